# sort: np.sort of 1e6 float64, the same scrambled sequence as sort.lua.
import numpy as np
from benchclock import clock, report

N, REPS = 1000000, 5
x = (np.arange(N, dtype=np.float64) * 0.6180339887498949) % 1 * 2 - 1
s = np.sort(x)
for _ in range(REPS):
    t0 = clock()
    s = np.sort(x)
    report(clock() - t0)
print("value %.17g" % s[N // 2])

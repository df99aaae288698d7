# histogram: np.histogram of 1e7 float64, 10 bins, the same numbers as histogram.lua.
import numpy as np
from benchclock import clock, report

N, REPS = 10000000, 5
x = ((np.arange(N, dtype=np.float64) * 0.6180339887498949) % 1) ** 2
c, _ = np.histogram(x)
for _ in range(REPS):
    t0 = clock()
    c, _ = np.histogram(x)
    report(clock() - t0)
print("value %.17g" % float((c * np.arange(1, 11)).sum()))

# small_add: a + b on n-element float64 arrays, 1e6 times (numpy or torch eager).
# Usage: python3 small_add.py numpy|torch N
import sys

from benchclock import clock, report

lib, n = sys.argv[1], int(sys.argv[2])
N = 1000000
if lib == "numpy":
    import numpy as np
    a, b = np.arange(n) / n, np.ones(n)
else:
    from benchutil import torch
    a = torch.arange(n, dtype=torch.float64) / n
    b = torch.ones(n, dtype=torch.float64)
for _ in range(10000):
    c = a + b
t0 = clock()
for _ in range(N):
    c = a + b
report(clock() - t0)
print("value %.17g" % float(c.sum()))

# small_add: a + b on n-element float64 arrays, 10 blocks of 1e5 ops (numpy
# or torch eager); each time line is a block scaled to 1e6 ops, as small_add.lua.
# Usage: python3 small_add.py numpy|torch N
import sys

from benchclock import clock, report

lib, n = sys.argv[1], int(sys.argv[2])
BLOCK, BLOCKS = 100000, 10
if lib == "numpy":
    import numpy as np
    a, b = np.arange(n) / n, np.ones(n)
else:
    from benchutil import torch
    a = torch.arange(n, dtype=torch.float64) / n
    b = torch.ones(n, dtype=torch.float64)
for _ in range(10000):
    c = a + b
for _ in range(BLOCKS):
    t0 = clock()
    for _ in range(BLOCK):
        c = a + b
    report((clock() - t0) * (1000000 / BLOCK))
print("value %.17g" % float(c.sum()))

# kernels_par: the workloads of kernels_par.lua in torch (float64) or numpy.
# usage: python3 kernels_par.py CASE THREADS [numpy]    wall clock (perf_counter)
import sys
import time

case, threads = sys.argv[1], int(sys.argv[2])
use_numpy = len(sys.argv) > 3 and sys.argv[3] == "numpy"
phi, psi = 0.6180339887498949, 0.7548776662466927
big = case in ("sum", "add", "exp")
n = 10_000_000 if big else 1_000_000
if use_numpy:
    import numpy as lib
    x = (lib.arange(n, dtype=lib.float64) * phi) % 1 - 0.5
    y = (lib.arange(n, dtype=lib.float64) * psi) % 1
    ops = {"sum1": lambda: x.sum(0), "mean1": lambda: x.mean(0), "max1": lambda: x.max(0),
           "expT": lambda: lib.exp(x.T), "sum": lambda: x.sum(), "add": lambda: x + y,
           "exp": lambda: lib.exp(x), "max2": lambda: x.max(1), "norm": lambda: lib.linalg.norm(x),
           "lse2": lambda: logsumexp(x, axis=1), "clip": lambda: lib.clip(x, -0.2, 0.2)}
    if case == "lse2":
        from scipy.special import logsumexp  # numpy has none
else:
    from benchutil import torch
    torch.set_num_threads(threads)
    x = (torch.arange(n, dtype=torch.float64) * phi) % 1 - 0.5
    y = (torch.arange(n, dtype=torch.float64) * psi) % 1
    ops = {"sum1": lambda: x.sum(0), "mean1": lambda: x.mean(0), "max1": lambda: x.max(0).values,
           "expT": lambda: torch.exp(x.T), "sum": lambda: x.sum(), "add": lambda: x + y,
           "exp": lambda: torch.exp(x), "max2": lambda: x.max(1).values,
           "norm": lambda: torch.linalg.norm(x), "lse2": lambda: torch.logsumexp(x, 1),
           "clip": lambda: torch.clamp(x, -0.2, 0.2)}
if not big:
    x = x.reshape(1000, 1000)
f = ops[case]
batch = 2 if big else 20
for _ in range(1 if big else 500):  # the warm-up of kernels_par.lua
    r = f()
for _ in range(7):
    t0 = time.perf_counter()
    for _ in range(batch):
        r = f()
    print("time %.9f" % (time.perf_counter() - t0), flush=True)
print("value %.17g" % float(r.sum()), flush=True)

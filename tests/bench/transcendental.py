# transcendental: ns/elem of one elementwise function on 1e6 float64, torch or numpy, 1 thread.
# usage: python3 transcendental.py torch|numpy NAME   (the same inputs as transcendental.lua)
# numpy has no erf, sigmoid or softplus: scipy.special.erf / expit and
# np.logaddexp(0, x) stand in for them.
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
from benchclock import clock, report  # noqa: E402

N, REPS = 1000000, 30
RANGES = {
    "exp": (-10, 10), "log": (0.01, 10), "expm1": (-2, 2), "log1p": (-0.9, 10),
    "tanh": (-5, 5), "sigmoid": (-10, 10), "softplus": (-10, 10), "sin": (-10, 10),
    "cos": (-10, 10), "tan": (-10, 10), "sqrt": (0, 100), "erf": (-4, 4),
    "pow2.5": (0.01, 10), "pow3": (-10, 10),
}
name = sys.argv[2]
use_numpy = sys.argv[1] == "numpy"
lo, hi = RANGES[name]
xn = lo + (hi - lo) * ((np.arange(N, dtype=np.float64) * 0.6180339887498949) % 1)

if use_numpy:
    def numpy_fn(n):
        if n == "erf":
            import scipy.special
            return scipy.special.erf
        if n == "sigmoid":
            import scipy.special
            return scipy.special.expit
        if n == "softplus":
            return lambda v: np.logaddexp(0.0, v)
        if n == "pow2.5":
            return lambda v: np.power(v, 2.5)
        if n == "pow3":
            return lambda v: np.power(v, 3.0)
        return getattr(np, n)
    f, x = numpy_fn(name), xn
    total = lambda y: float(y.sum())
else:
    import torch
    torch.set_num_threads(1)
    special = {
        "softplus": torch.nn.functional.softplus,
        "pow2.5": lambda v: torch.pow(v, 2.5),
        "pow3": lambda v: torch.pow(v, 3.0),
    }
    f, x = special.get(name) or getattr(torch, name), torch.from_numpy(xn)
    total = lambda y: float(y.sum())

y = f(x)
for _ in range(REPS):
    t0 = clock()
    y = f(x)
    report(clock() - t0)
print("value %.17g" % total(y))

# linalg: one LAPACK-backed function on an n x n matrix, the same matrix as linalg.lua.
# Usage: python3 linalg.py numpy|torch OP N (1 thread, float64).
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
from benchclock import clock, report  # noqa: E402

lib, op, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
REPS = int(os.environ.get("LINALG_REPS", 200 if n <= 100 else 10))
i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
a = ((31 * i + 17 * j) % 101) / 101 - 0.5
eye = np.eye(n)
mats = {
    "solve": a + n * eye, "inv": a + n * eye,
    "cholesky": a @ a.T / n + eye, "eigh": a + a.T, "svd": a,
}
A = mats[op]
b = np.arange(n) / n
if lib == "numpy":
    la = np.linalg
    fns = {
        "solve": lambda: la.solve(A, b), "inv": lambda: la.inv(A),
        "cholesky": lambda: la.cholesky(A), "eigh": lambda: la.eigh(A),
        "svd": lambda: la.svd(A, full_matrices=False),
    }
    values = {
        "solve": lambda x: x.sum(), "inv": lambda x: x.sum(), "cholesky": lambda x: x.sum(),
        "eigh": lambda r: r[0][-1], "svd": lambda r: r[1][0],
    }
else:
    import torch
    torch.set_num_threads(1)
    la = torch.linalg
    At, bt = torch.from_numpy(A.copy()), torch.from_numpy(b.copy())
    fns = {
        "solve": lambda: la.solve(At, bt), "inv": lambda: la.inv(At),
        "cholesky": lambda: la.cholesky(At), "eigh": lambda: la.eigh(At),
        "svd": lambda: la.svd(At, full_matrices=False),
    }
    values = {
        "solve": lambda x: x.sum().item(), "inv": lambda x: x.sum().item(),
        "cholesky": lambda x: x.sum().item(),
        "eigh": lambda r: r[0][-1].item(), "svd": lambda r: r[1][0].item(),
    }
f = fns[op]
for _ in range(max(10, (16 << 20) // (8 * n * n))):  # the same warm-up as linalg.lua
    r = f()
for _ in range(REPS):
    t0 = clock()
    r = f()
    report(clock() - t0)
print("value %.17g" % values[op](r))

# matmul: 1024x1024 @ 1024x1024 float64, one thread.
from benchutil import torch, clock, report

n, REPS = 1024, 5
a = torch.linspace(-1, 1, n * n, dtype=torch.float64).reshape(n, n)
b = torch.linspace(2, -2, n * n, dtype=torch.float64).reshape(n, n)
c = torch.matmul(a, b)
for _ in range(REPS):
    t0 = clock()
    c = torch.matmul(a, b)
    report(clock() - t0)
print("value %.17g" % c.sum().item())

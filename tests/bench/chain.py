# chain: torch.exp(-0.5*(x*w)**2).sum() over 1e7 float64 elements.
from benchutil import torch, clock, report

N, REPS, w = 10000000, 5, 0.7
x = torch.linspace(-3, 3, N, dtype=torch.float64)


def chain():
    return torch.exp(-0.5 * (x * w) ** 2).sum()


s = chain()
for _ in range(REPS):
    t0 = clock()
    s = chain()
    report(clock() - t0)
print("value %.17g" % s.item())

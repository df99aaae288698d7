# optim_step: one torch.optim.Adam step on a 1e7-element float64 parameter
# (default implementation for CPU tensors), the state allocated by a first step.
from benchutil import torch, clock, report

n = 10_000_000
w = torch.linspace(-1, 1, n).requires_grad_()
w.grad = torch.linspace(0.5, -0.5, n)
opt = torch.optim.Adam([w], lr=1e-3, eps=1e-7)
opt.step()
for _ in range(5):
    t0 = clock()
    opt.step()
    report(clock() - t0)
print("value %.17g" % w[0].item(), flush=True)

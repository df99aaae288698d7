# per_op: a + b on 2-element float64 tensors, 1e6 times (torch eager).
from benchutil import torch, clock, report

N = 1000000
a = torch.tensor([1.0, 2.0], dtype=torch.float64)
b = torch.tensor([3.0, 4.0], dtype=torch.float64)
t0 = clock()
for _ in range(N):
    c = a + b
report(clock() - t0)

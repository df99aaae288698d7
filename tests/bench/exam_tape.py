# exam_tape: 50,000 steps of the exam's regression loop with autograd (torch eager).
from benchutil import torch, clock, report

X = torch.tensor([[1, 20.1], [1, 22.2], [1, 22.7], [1, 23.3], [1, 24.4],
                  [1, 25.1], [1, 26.2], [1, 27.3], [1, 28.4], [1, 30.4]])
y = torch.tensor([55.4183651, 58.19427589, 61.23082496, 62.31255873, 63.1070028,
                  63.69569103, 67.24704918, 71.43650092, 73.10130336, 77.84988286]).reshape(10, 1)
beta = torch.tensor([5.0, 10.0]).reshape(2, 1).requires_grad_()
t0 = clock()
for _ in range(50000):
    r = y - X @ beta
    loss = r.T @ r / 10
    (slope,) = torch.autograd.grad(loss, [beta])
    with torch.no_grad():
        beta -= slope * 0.0015
report(clock() - t0, beta[0, 0].item())

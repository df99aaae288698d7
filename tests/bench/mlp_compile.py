# mlp_compile: the MLP 2-32-32-1 (tanh), Adam(0.01), 2000 full-batch autograd steps on 1000 points (torch eager).
from benchutil import torch, clock, report

torch.manual_seed(3)
x = torch.rand(1000, 2) * 4 - 2
y = (torch.sin(x[:, 0]) * torch.cos(x[:, 1])).reshape(1000, 1)
for _ in range(3):
    torch.manual_seed(4)
    net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                              torch.nn.Tanh(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.01, eps=1e-7)
    t0 = clock()
    for _ in range(2000):
        opt.zero_grad()
        loss = torch.mean((net(x) - y) ** 2)
        loss.backward()
        opt.step()
    report(clock() - t0)

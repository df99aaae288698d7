# nn_logistic: exam 3(2): 10,000 full-batch epochs of Dense(1, sigmoid) + BCE on 2000 points.
import time
import torch
torch.set_num_threads(1)
# the labels come from a fixed low-discrepancy sequence, so both sides fit the same data
n = 2000
x = torch.linspace(-1, 1, n, dtype=torch.float64).reshape(n, 1)
u = torch.arange(1, n + 1, dtype=torch.float64).reshape(n, 1) * 0.6180339887498949 % 1
y = (torch.sigmoid(-1 + 5 * x) > u).double()
for _ in range(3):
    net = torch.nn.Linear(1, 1).double()
    with torch.no_grad():
        net.weight.fill_(0.5); net.bias.zero_()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    lossf = torch.nn.BCELoss()
    t0 = time.process_time()
    for _ in range(10000):
        opt.zero_grad()
        loss = lossf(torch.sigmoid(net(x)), y)
        loss.backward()
        opt.step()
    print("time %.6f" % (time.process_time() - t0))
    print("value %.6f" % net.weight.item())

# nn_mlp: one epoch of a 784-128-10 MLP (relu, softmax + CE), batch 128, 60,000 synthetic rows.
import time
import torch
torch.set_num_threads(1)
torch.manual_seed(1)
n = 60000
x = torch.randn(n, 784, dtype=torch.float64)
y = torch.randint(0, 10, (n,))
for _ in range(3):
    net = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)).double()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    lossf = torch.nn.CrossEntropyLoss()
    t0 = time.process_time()
    tot = 0.0
    for lo in range(0, n, 128):
        xb, yb = x[lo:lo + 128], y[lo:lo + 128]
        opt.zero_grad()
        loss = lossf(net(xb), yb)
        loss.backward()
        opt.step()
        tot += loss.item() * xb.shape[0]
    print("time %.6f" % (time.process_time() - t0))
    last = tot / n
print("info epoch loss %.3f (torch's data and init)" % last)

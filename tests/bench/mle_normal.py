# mle_normal: 1000 steps of gradient ascent on the normal log-likelihood (torch eager).
from benchutil import torch, clock, report

torch.manual_seed(43052)
x = torch.randn(10000) * 2 + 3
mu = torch.tensor(2.0, requires_grad=True)
sigma = torch.tensor(3.0, requires_grad=True)
t0 = clock()
for _ in range(1000):
    pdf = 1 / sigma * torch.exp(-0.5 * ((x - mu) / sigma) ** 2)
    logL = torch.log(pdf).sum()
    dmu, dsigma = torch.autograd.grad(logL, [mu, sigma])
    with torch.no_grad():
        mu += dmu * 0.1 / 10000
        sigma += dsigma * 0.1 / 10000
report(clock() - t0)

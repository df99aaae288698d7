# lbfgs: torch.optim.LBFGS (history 10, line_search_fn="strong_wolfe") on the
# separable Rosenbrock function in 10,000 dimensions from (-1.2, 1, -1.2, 1, ...)
# to gtol 1e-6 (max |grad|, torch's tolerance_grad), the problem of lbfgs.lua.
from benchutil import torch, clock, report

n = 10_000


def f(x):
    p = x.view(n // 2, 2)
    a, b = p[:, 0], p[:, 1]
    return (100 * (b - a * a) ** 2 + (1 - a) ** 2).sum()


x0 = torch.tensor([-1.2, 1.0]).repeat(n // 2)
for rep in range(4):   # the first run is untimed, as in lbfgs.lua
    x = x0.clone().requires_grad_()
    opt = torch.optim.LBFGS([x], lr=1, history_size=10, max_iter=100_000, max_eval=200_000,
                            tolerance_grad=1e-6, tolerance_change=0, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = f(x)
        loss.backward()
        return loss

    t0 = clock()
    opt.step(closure)
    if rep > 0:
        report(clock() - t0)
state = opt.state[opt._params[0]]
with torch.no_grad():
    fx = f(x).item()
    ok = (x - 1).abs().max().item() < 1e-4
print("info %d iterations, %d evaluations, f = %.3g" % (state["n_iter"], state["func_evals"], fx), flush=True)
print("value %.17g" % (1 if ok else 0), flush=True)

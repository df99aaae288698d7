-- learning_rate.lua: seed 000, problem 2 ("how to find the learning rate
-- efficiently").  On the exam's regression loss (y − Xβ)ᵀ(y − Xβ)/10 the
-- Hessian H = 2XᵀX/10 is constant, so gradient descent with rate lr is stable
-- exactly when lr < 2/λmax(H), and along the eigenvector of λmin the error
-- shrinks by (1 − lr·λmin) per step.  This script finds 2/λmax from
-- Hessian-vector products (gd.optim.max_stable_lr), runs the learning-rate
-- range test (gd.optim.lr_find), explains why 0.0015 is still far from the
-- closed form after 50,000 steps, and shows which rates do better.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local X, y = dofile(here .. "exam_regression.lua")()   -- the exam's ten points
local start = gd.tensor{5.0, 10.0}:reshape(2, 1)
local XtX, Xty = X.T:matmul(X), X.T:matmul(y)
local exact = gd.solve(XtX, Xty)
local beta = gd.Variable(start)
local loss_fn = function() return (y - X:matmul(beta)).T:matmul(y - X:matmul(beta)) / 10 end

-- The Hessian's spectrum, two ways.
local H = 2 * XtX / 10
local ev, V = gd.eigh(H)
local lmin, lmax = ev[1], ev[2]
local lr_max, lambda = gd.optim.max_stable_lr(loss_fn, beta)
local kappa = lmax / lmin

-- The range test: one SGD step per rate of an exponential sweep.
local rt = gd.optim.lr_find(loss_fn, beta, { min = 1e-7, max = 1e-1, steps = 100 })

-- SGD with the analytic gradient 2(XᵀXβ − Xᵀy)/10 through gd.optim; the
-- distance to the closed form after `steps` steps, or nil if it diverged.
local function run(opt, steps)
  local b = gd.Variable(start)
  for _ = 1, steps do
    opt:apply_gradients(2 * (XtX:matmul(b) - Xty) / 10, b)
  end
  local d = (b - exact):norm():item()
  return d == d and d < 1e6 and d or nil, b
end

-- Why 0.0015 stalls: the error along the slow eigenvector v_min shrinks by
-- (1 − lr·λmin)^steps, the fast one is gone after a few hundred steps.
local steps = 50000
local vmin = V:select(2, 1):reshape(2, 1)
local e0 = (vmin * (start - exact)):sum():item()
local predicted = math.abs(e0) * (1 - 0.0015 * lmin) ^ steps
local d_exam, b_exam = run(gd.optim.SGD(0.0015), steps)

-- Better rates: the best fixed rate for plain gradient descent, 2/(λmin + λmax),
-- contracts by (κ−1)/(κ+1) per step; heavy-ball momentum with its optimal
-- lr = 4/(√λmax + √λmin)², μ = ((√κ − 1)/(√κ + 1))² by (√κ − 1)/(√κ + 1).
local lr_best = 2 / (lmin + lmax)
local sk = math.sqrt(kappa)
local hb_lr, hb_mu = 4 / (math.sqrt(lmax) + math.sqrt(lmin)) ^ 2, ((sk - 1) / (sk + 1)) ^ 2
local d_best = run(gd.optim.SGD(lr_best), steps)
local d_over = run(gd.optim.SGD(1.01 * lr_max), steps)
local d_hb = run(gd.optim.SGD{ lr = hb_lr, momentum = hb_mu }, 5000)
local need = function(rate) return math.log(1e-8) / math.log(rate) end

print("seed 000 problem 2: how to find the learning rate efficiently")
print("loss (y − Xβ)ᵀ(y − Xβ)/10 is quadratic: its Hessian H = 2XᵀX/10 is the same everywhere")
print(string.format("  eigenvalues of H (gd.eigh)                 λmin = %.8g, λmax = %.8g", lmin, lmax))
print(string.format("  λmax by power iteration on H·v (tapes)     %.8g", lambda))
print(string.format("  largest stable rate 2/λmax                 %.8g  (the exam's 0.0015 is %.1f%% of it)",
  lr_max, 0.0015 / lr_max * 100))
print(string.format("  condition number κ = λmax/λmin             %.0f", kappa))
print(string.format("  range test 1e-7..1e-1 (lr_find)            steepest descent at %.3g, diverged at %.3g",
  rt.suggestion, rt.diverged_at or 0 / 0))
print()
print(string.format("why 0.0015 is slow: along the slow eigenvector the error shrinks by 1 − lr·λmin = %.8f per step", 1 - 0.0015 * lmin))
print(string.format("  after %d steps: predicted |error| %.8f, observed %.8f (β = %.8f, %.8f; closed form %.8f, %.8f)",
  steps, predicted, d_exam, b_exam[1][1], b_exam[2][1], exact[1][1], exact[2][1]))
print(string.format("  steps to shrink it by 1e-8: %.3g", need(1 - 0.0015 * lmin)))
print()
-- pad by characters, not bytes (λ, μ, ² are several bytes)
local function pad(str, n) return str .. string.rep(" ", n - utf8.len(str)) end
local function lpad(str, n) return string.rep(" ", n - utf8.len(str)) .. str end
local function row(name, n, d, need_steps)
  print(string.format("%s %8d %14s %14s", pad(name, 52), n, d and ("%.3e"):format(d) or "diverged",
    need_steps and ("%.3g"):format(need_steps) or "never"))
end
-- the slower of the two directions' contraction factors at rate lr
local function factor(lr) return math.max(math.abs(1 - lr * lmin), math.abs(1 - lr * lmax)) end
local d_155 = run(gd.optim.SGD(0.00155), steps)
print(pad("optimizer", 52) .. " " .. lpad("steps", 8) .. " " .. lpad("|β − β̂|", 14) .. " " .. lpad("steps to 1e-8", 14))
row("SGD 0.0015 (the exam)", steps, d_exam, need(factor(0.0015)))
row("SGD 0.00155", steps, d_155, need(factor(0.00155)))
row(("SGD 2/(λmin+λmax) = %.8g (best worst case)"):format(lr_best), steps, d_best, need(factor(lr_best)))
row(("SGD 1.01·2/λmax = %.6g"):format(1.01 * lr_max), steps, d_over, nil)
row(("heavy ball: lr %.4g, momentum %.4f"):format(hb_lr, hb_mu), 5000, d_hb, need((sk - 1) / (sk + 1)))
print("every stable rate needs on the order of κ steps (2/(λmin+λmax) even slows the fast direction to")
print("the pace of the slow one); momentum needs on the order of √κ.")

-- The range test's curve: the loss after one step at each rate, with the
-- suggested rate (steepest descent) and the largest stable rate 2/λmax marked.
local ok, err = pcall(function()
  local plt = gd.plot
  local fig = plt.figure { size = { 800, 520 } }
  local ax = fig:subplot(1)
  ax:plot(rt.lrs, rt.losses, "-", { title = "loss after one step at lr" })
  ax:vline(rt.suggestion, { title = ("suggested %.3g"):format(rt.suggestion), color = "green" })
  ax:vline(lr_max, { title = ("2/lambda_max = %.4g"):format(lr_max), color = "red" })
  ax:vline(0.0015, { title = "the exam's 0.0015", color = "gray", style = ":" })
  ax:logscale("xy")
  ax:title("seed 000, 2: learning-rate range test (lr_find)"):xlabel("learning rate"):ylabel("loss")
  fig:show()
end)
if not ok and os.getenv("GD_PLOT") ~= "none" then print("plot: " .. tostring(err)) end

return {
  lmin = lmin, lmax = lmax, lambda = lambda, lr_max = lr_max, kappa = kappa,
  suggestion = rt.suggestion, diverged_at = rt.diverged_at, lrs = rt.lrs, losses = rt.losses,
  predicted = predicted, observed = d_exam, beta_exam = { b_exam[1][1], b_exam[2][1] },
  lr_best = lr_best, d_best = d_best, d_155 = d_155, d_over = d_over, d_heavy_ball = d_hb,
  heavy_ball = { lr = hb_lr, momentum = hb_mu },
}

-- specfun_spec.lua: gd.erf, erfc, lgamma, digamma, trigamma against closed forms.
local u = require "tests.helpers.util"
local close = u.close

local EULER = 0.57721566490153286061

-- relative closeness with an absolute floor (lgamma has zeros at 1 and 2)
local function rclose(got, want, rel, msg)
  close(got, want, rel * math.max(1, math.abs(want)), msg)
end

describe("special functions", function()
  it("lgamma(n) = log((n-1)!)", function()
    local fact = 1.0
    for n = 1, 30 do
      if n > 1 then fact = fact * (n - 1) end
      rclose(gd.lgamma(n):item(), math.log(fact), 1e-14, "lgamma(" .. n .. ")")
    end
  end)
  it("lgamma at half-integers and negative x is log|Γ|", function()
    local sqrtpi = math.sqrt(math.pi)
    rclose(gd.lgamma(0.5):item(), math.log(sqrtpi), 1e-14)
    rclose(gd.lgamma(1.5):item(), math.log(sqrtpi / 2), 1e-14)
    rclose(gd.lgamma(-0.5):item(), math.log(2 * sqrtpi), 1e-14)          -- Γ(-1/2) = -2√π
    rclose(gd.lgamma(-1.5):item(), math.log(4 * sqrtpi / 3), 1e-14)      -- Γ(-3/2) = 4√π/3
    rclose(gd.lgamma(1e-8):item(), -math.log(1e-8) - EULER * 1e-8, 1e-14) -- log Γ(ε) ≈ -log ε - γε
    assert(gd.lgamma(0):item() == math.huge and gd.lgamma(-3):item() == math.huge)
  end)
  it("lgamma of large x follows Stirling", function()
    local x = 1e6
    local want = (x - 0.5) * math.log(x) - x + 0.5 * math.log(2 * math.pi) + 1 / (12 * x)
    rclose(gd.lgamma(x):item(), want, 1e-14)
  end)
  it("digamma: -γ at 1, the recurrence, and ψ(1/2)", function()
    rclose(gd.digamma(1):item(), -EULER, 1e-14)
    rclose(gd.digamma(0.5):item(), -EULER - 2 * math.log(2), 1e-14)
    local h = 0
    for n = 1, 40 do
      rclose(gd.digamma(n + 1):item(), gd.digamma(n):item() + 1 / n, 1e-14)
      rclose(gd.digamma(n + 1):item(), -EULER + h + 1 / n, 1e-14, "H_n")
      h = h + 1 / n
    end
    -- reflection: ψ(1 - x) - ψ(x) = π cot(πx)
    local x = 0.3
    rclose(gd.digamma(1 - x):item() - gd.digamma(x):item(), math.pi / math.tan(math.pi * x), 1e-13)
    rclose(gd.digamma(-0.5):item(), -EULER - 2 * math.log(2) + 2, 1e-14)  -- ψ(x+1) = ψ(x) + 1/x
  end)
  it("trigamma: π²/6 at 1, π²/2 at 1/2, and the recurrence", function()
    rclose(gd.trigamma(1):item(), math.pi ^ 2 / 6, 1e-14)
    rclose(gd.trigamma(0.5):item(), math.pi ^ 2 / 2, 1e-14)
    for _, x in ipairs{ 0.1, 2.5, 7.3, -0.4 } do
      rclose(gd.trigamma(x):item(), gd.trigamma(x + 1):item() + 1 / x ^ 2, 1e-13)
    end
  end)
  it("erf and erfc", function()
    close(gd.erf(0):item(), 0, 0)
    -- erf(x) = 2/√π Σ (-1)^k x^(2k+1) / (k! (2k+1))
    local x, s, term = 0.7, 0, 0.7
    for k = 0, 30 do
      s = s + term / (2 * k + 1)
      term = -term * x * x / (k + 1)
    end
    rclose(gd.erf(x):item(), 2 / math.sqrt(math.pi) * s, 1e-15)
    rclose(gd.erfc(x):item(), 1 - 2 / math.sqrt(math.pi) * s, 1e-15)
    -- erfc(x) ~ e^{-x²}/(x√π) (1 - 1/(2x²) + 3/(4x⁴) - ...) for large x
    local y = 20
    rclose(gd.erfc(y):item() / (math.exp(-y * y) / (y * math.sqrt(math.pi))),
      1 - 1 / (2 * y * y) + 3 / (4 * y ^ 4) - 15 / (8 * y ^ 6) + 105 / (16 * y ^ 8)
        - 945 / (32 * y ^ 10), 1e-13)
  end)
  it("are methods, keep shapes and record gradients", function()
    local x = gd.tensor{ { 1, 2 }, { 3, 4 } }
    assert.same({ 2, 2 }, x:lgamma().shape)
    close(x:digamma(), gd.digamma(x), 0)
    local v = gd.Variable(gd.tensor{ 1, 2 })
    local g = gd.grad(function(t) return t:lgamma():sum() end)(v)
    close(g, { -EULER, 1 - EULER }, 1e-14)
  end)
  it("reject non-numbers", function()
    u.errors(function() gd.lgamma("a") end, "gd.lgamma")
  end)
end)

-- tour.lua: a short printed tour of gd's tensors (make run).
-- Each step prints the Lua expression and its value.
local function show(label, v)
  print(("-- %s"):format(label))
  print(v)
  print()
end

print("gdlua tour: n-d float64 tensors for Lua 5.4\n")

local x = gd.tensor{{1, 2, 3}, {4, 5, 6}}
show("x = gd.tensor{{1, 2, 3}, {4, 5, 6}}", x)
show("x.shape  (a new table)", table.concat(x.shape, " x "))
show("x * 2 + 1  (numbers on either side)", x * 2 + 1)
show("x + gd.tensor{10, 20, 30}  (numpy broadcasting)", x + gd.tensor{10, 20, 30})
show("x:sum(2)  (dims are 1-based; -1 is the last)", x:sum(2))
show("x:mean(), x:std{ddof = 1}", string.format("%g  %g", x:mean():item(), x:std({ddof = 1}):item()))
show("x.T  (a view, no copy)", x.T)
show("x[2], x[{1, {2, 3}}]  (1-based indexing and inclusive ranges)", tostring(x[2]) .. "\n" .. tostring(x[{1, {2, 3}}]))
show("gd.exp(gd.linspace(0, 1, 5))", gd.exp(gd.linspace(0, 1, 5)))

-- The exam's problem 2(1): least squares by the normal equation.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local X, y = dofile(here .. "exam_regression.lua")()   -- the exam's ten points
show("gd.inv(X.T:matmul(X)):matmul(X.T):matmul(y)  (seed 000, problem 2(1))",
  gd.inv(X.T:matmul(X)):matmul(X.T):matmul(y))
show("gd.lstsq(X, y)  (the same by LAPACK least squares)", gd.lstsq(X, y))

gd.seed(43052)
local z = gd.normal(3, 2, 10000)
show("gd.seed(43052); z = gd.normal(3, 2, 10000): mean and std",
  string.format("%.4f  %.4f  (truth 3, 2)", z:mean():item(), z:std():item()))
print("help(gd.linspace) prints:")
gd.help(gd.linspace)

-- tests/run.lua: run every busted spec under gdlua.
-- usage: gdlua tests/run.lua [pattern]   (make test runs this)
-- The summary handler ends the output with "N passed, N failed".
local filter = arg[1]
_G.arg = { [0] = "busted", "-o", "tests/helpers/summary.lua", "-p", "_spec", "tests" }
if filter and filter ~= "" then
  table.insert(_G.arg, 1, "--filter=" .. filter)
end
require "busted.runner" ({ standalone = false })

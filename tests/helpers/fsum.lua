-- tests/helpers/fsum.lua: the exact sum of a list of numbers, rounded once
-- (Shewchuk's non-overlapping partials, as Python's math.fsum), the
-- reference for the reduction specs.
return function(t)
  local partials = {}
  for _, v in ipairs(t) do
    local x, i = v, 1
    for j = 1, #partials do
      local y = partials[j]
      if math.abs(x) < math.abs(y) then x, y = y, x end
      local hi = x + y
      local lo = y - (hi - x)
      if lo ~= 0 then partials[i] = lo; i = i + 1 end
      x = hi
    end
    for k = #partials, i, -1 do partials[k] = nil end
    partials[i] = x
  end
  local s = 0
  for k = #partials, 1, -1 do s = s + partials[k] end
  return s
end

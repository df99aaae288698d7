-- Busted output handler: a dot per test, each failure in full, and a last
-- line "N passed, N failed" (what CI reads).
return function(options)
  local busted = require "busted"
  local handler = require "busted.outputHandlers.base"()

  local function report(kind, element, message, trace)
    local name = handler.getFullName(element)
    io.stdout:write("\n", kind, ": ", name, "\n")
    if trace and trace.short_src then
      io.stdout:write("  at ", trace.short_src, ":", tostring(trace.currentline), "\n")
    end
    io.stdout:write("  ", tostring(message):gsub("\n", "\n  "), "\n")
  end

  handler.testEnd = function(element, parent, status)
    io.stdout:write(status == "success" and "." or (status == "pending" and "p" or "F"))
    io.stdout:flush()
    return nil, true
  end

  handler.failureTest = function(element, parent, message, debug)
    report("FAIL", element, message, debug)
    return nil, true
  end

  handler.errorTest = function(element, parent, message, debug)
    report("ERROR", element, message, debug)
    return nil, true
  end

  handler.error = function(element, parent, message, debug)
    if element.descriptor ~= "it" then report("ERROR", element, message, debug) end
    return nil, true
  end

  handler.suiteEnd = function()
    local failed = handler.failuresCount + handler.errorsCount
    io.stdout:write("\n", string.format("%d passed, %d failed\n", handler.successesCount, failed))
    io.stdout:flush()
    return nil, true
  end

  busted.subscribe({ "test", "end" }, handler.testEnd, { predicate = handler.cancelOnPending })
  busted.subscribe({ "failure", "it" }, handler.failureTest)
  busted.subscribe({ "error", "it" }, handler.errorTest)
  busted.subscribe({ "failure" }, handler.error)
  busted.subscribe({ "error" }, handler.error)
  busted.subscribe({ "suite", "end" }, handler.suiteEnd)
  return handler
end

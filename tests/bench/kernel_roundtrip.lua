-- kernel_roundtrip: an empty cell, execute_request to execute_reply through
-- jupyter_client (wall time), ipykernel's beside it as info.
local bench = dofile((arg[0]:match("^(.*/)") or "./") .. "kernel_bench.lua")
bench.run("roundtrip", 200)

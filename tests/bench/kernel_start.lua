-- kernel_start: `gdlua --kernel` started by jupyter_client until its first
-- kernel_info_reply (wall time), ipykernel's time beside it as info.
-- The kernelspec goes into a private JUPYTER_DATA_DIR; tests/bench/kernel_client.py times.
local bench = dofile((arg[0]:match("^(.*/)") or "./") .. "kernel_bench.lua")
bench.run("start", 5)

"""tests/bench/kernel_client.py: times a Jupyter kernel with jupyter_client
(for kernel_start.lua and kernel_roundtrip.lua; not a workload of its own).

    kernel_client.py start KERNEL N      N times: start the kernel, wall time to its first kernel_info_reply
    kernel_client.py roundtrip KERNEL N  one kernel, N empty cells: wall time from execute_request to execute_reply

Prints `time <seconds>` per sample. KERNEL is a kernelspec name (gdlua,
or python3 for ipykernel beside it); JUPYTER_DATA_DIR says where gdlua's is.
Wall time, not CPU time: what is measured is two processes talking.
"""
import sys
import time

import zmq
from jupyter_client.manager import KernelManager

# The client retries a connection to a port not bound yet every RECONNECT_IVL
# (100 ms by default), which would round every start time up to 100 ms.
zmq.Context.instance().setsockopt(zmq.RECONNECT_IVL, 2)


def start_once(name):
    km = KernelManager(kernel_name=name)
    t0 = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.kernel_info()
    while True:
        msg = kc.get_shell_msg(timeout=30)
        if msg["msg_type"] == "kernel_info_reply":
            break
    dt = time.perf_counter() - t0
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return dt


def roundtrips(name, n):
    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=30)
    for _ in range(5):                       # warm up
        kc.execute("", reply=True, timeout=30)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        kc.execute("", reply=True, timeout=30)
        out.append(time.perf_counter() - t0)
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return out


def main():
    mode, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    samples = [start_once(name) for _ in range(n)] if mode == "start" else roundtrips(name, n)
    for s in samples:
        print("time %.6f" % s)


if __name__ == "__main__":
    main()

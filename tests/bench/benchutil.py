"""Shared set-up for the PyTorch side of tests/bench (run with /usr/bin/python3).

clock() is process CPU time, the same clock as gdlua's os.clock() and the C
baselines' CLOCK_PROCESS_CPUTIME_ID; everything runs on one thread.
"""
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

clock = time.process_time


def report(seconds, value=None):
    """Print one timed repetition (and optionally the checksum) for run.lua."""
    print("time %.9f" % seconds, flush=True)
    if value is not None:
        print("value %.17g" % value, flush=True)

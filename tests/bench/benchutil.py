"""Shared set-up for the PyTorch side of tests/bench (run with /usr/bin/python3).

clock and report come from benchclock.py (shared with the numpy programs);
everything runs on one thread.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
from benchclock import clock, report  # noqa: E402,F401

torch.set_num_threads(1)
torch.set_default_dtype(torch.float64)

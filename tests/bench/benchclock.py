"""The clock and the report line of tests/bench's Python programs (torch or numpy).

clock() is process CPU time, the same clock as gdlua's os.clock() and the C
baselines' CLOCK_PROCESS_CPUTIME_ID.
"""
import time

clock = time.process_time


def report(seconds, value=None):
    """Print one timed repetition (and optionally the checksum) for run.lua."""
    print("time %.9f" % seconds, flush=True)
    if value is not None:
        print("value %.17g" % value, flush=True)

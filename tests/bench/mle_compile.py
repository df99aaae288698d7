# mle_compile: the torch eager side of mle_compile is mle_normal's loop.
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "mle_normal.py"))

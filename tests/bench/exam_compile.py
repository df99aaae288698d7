# exam_compile: the torch eager side of exam_compile is exam_tape's loop (50,000 autograd steps).
import os
import runpy

runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "exam_tape.py"))

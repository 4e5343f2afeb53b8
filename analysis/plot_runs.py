#!/usr/bin/python3
"""Former entry point, kept for scripts that call it: the same as collabsim_plot.py (see
its --help; `collabsim plot` runs that script)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from collabsim_plot import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())

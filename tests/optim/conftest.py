import os
import sys

# The shared parity helpers (optim_parity.py) live next to the tests that use them.
sys.path.insert(0, os.path.dirname(__file__))

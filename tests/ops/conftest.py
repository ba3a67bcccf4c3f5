import os
import sys

# The op registry (_registry.py) lives next to the tests that expand it.
sys.path.insert(0, os.path.dirname(__file__))

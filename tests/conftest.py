import os
import sys

# Tests run against the source tree even without an editable install.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir, "src"))
sys.path.insert(0, os.path.dirname(__file__))

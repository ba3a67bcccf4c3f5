"""``python -m ember.run script.py [args...]``: run a PyTorch program unchanged on ember (see ``ember.compat``)."""

import sys

from ember.compat._run import main

if __name__ == "__main__":
    sys.exit(main())

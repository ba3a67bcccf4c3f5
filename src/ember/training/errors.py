"""The two ways a training-run command fails, which the CLI maps to exit codes, and where messages go."""

from __future__ import annotations

import sys
from collections.abc import Callable

__all__ = ["Log", "RunError", "UsageError", "stderr_log"]


class UsageError(Exception):
    """The request cannot work as given (unknown name, bad option, wrong shapes): exit code 2."""


class RunError(Exception):
    """Something failed while running (missing data, divergence, unreadable files): exit code 1."""


Log = Callable[[str], None]


def stderr_log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)

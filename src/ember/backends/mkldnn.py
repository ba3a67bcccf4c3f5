"""``ember.backends.mkldnn``: oneDNN is not part of ember (NumPy computes); the flag is recorded."""

import contextlib

enabled = True


def is_available() -> bool:
    return False


@contextlib.contextmanager
def flags(enabled=False, deterministic=False):
    g = globals()
    saved = g["enabled"]
    g["enabled"] = enabled
    try:
        yield
    finally:
        g["enabled"] = saved

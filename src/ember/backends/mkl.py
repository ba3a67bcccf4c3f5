"""``ember.backends.mkl``: ember does not link MKL (NumPy's BLAS computes)."""


def is_available() -> bool:
    return False

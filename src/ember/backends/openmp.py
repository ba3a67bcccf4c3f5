"""``ember.backends.openmp``: ember has no OpenMP kernels (threads come from NumPy's BLAS)."""


def is_available() -> bool:
    return False

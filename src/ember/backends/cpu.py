"""``ember.backends.cpu``: the SIMD level ember's kernels (NumPy's) run at."""


def get_cpu_capability() -> str:
    """'AVX512', 'AVX2' or 'DEFAULT', from the features NumPy detected at start-up."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return "DEFAULT"
    if features.get("AVX512F") and features.get("AVX512BW"):
        return "AVX512"
    if features.get("AVX2"):
        return "AVX2"
    return "DEFAULT"

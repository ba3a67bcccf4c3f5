"""``ember.backends.opt_einsum``: ember's einsum does not use opt_einsum; as in PyTorch without it, disabled."""

enabled = False
strategy = None


def is_available() -> bool:
    return False


def get_opt_einsum():
    return None

"""``ember.backends``: the flags PyTorch scripts set (``torch.backends.cudnn.deterministic = True``).

ember has no cuDNN, MPS or MKL-DNN backend; the flags are accepted and recorded so such
scripts run unchanged, and the ``is_available()`` checks answer False.
"""

from __future__ import annotations

from types import SimpleNamespace


def _unavailable() -> bool:
    return False


cudnn = SimpleNamespace(enabled=True, benchmark=False, deterministic=False, allow_tf32=False,
                        is_available=_unavailable, version=lambda: None)
mps = SimpleNamespace(is_available=_unavailable, is_built=_unavailable)
mkldnn = SimpleNamespace(enabled=False, is_available=_unavailable)
cuda = SimpleNamespace(is_built=_unavailable, matmul=SimpleNamespace(allow_tf32=False))

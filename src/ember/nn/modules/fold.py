"""``torch.nn.modules.fold``'s path (defined in ``conv.py``)."""

from .conv import Fold, Unfold

__all__ = ["Fold", "Unfold"]

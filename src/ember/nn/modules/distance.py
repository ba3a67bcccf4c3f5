"""``torch.nn.modules.distance``'s path: distance modules (defined in ``loss.py``)."""

from .loss import CosineSimilarity, PairwiseDistance

__all__ = ["PairwiseDistance", "CosineSimilarity"]

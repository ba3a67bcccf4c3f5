"""``torch.nn.modules.sparse``'s path: the embedding layers (defined in ``embedding.py``)."""

from .embedding import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]

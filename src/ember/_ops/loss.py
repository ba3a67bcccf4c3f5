"""loss ops (in progress)."""

__all__ = []

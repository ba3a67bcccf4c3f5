"""norm ops (in progress)."""

__all__ = []

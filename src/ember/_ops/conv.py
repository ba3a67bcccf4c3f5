"""conv ops (in progress)."""

__all__ = []

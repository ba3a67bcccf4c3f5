"""pool ops (in progress)."""

__all__ = []

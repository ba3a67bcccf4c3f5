"""resample ops (in progress)."""

__all__ = []

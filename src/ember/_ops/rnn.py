"""rnn ops (in progress)."""

__all__ = []

"""``ember.compiler``: ``torch.compiler``'s queries; ember never compiles, so nothing is ever compiling."""

from __future__ import annotations


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def disable(fn=None, recursive: bool = True, *, reason=None):
    """Returns ``fn`` (everything already runs eagerly)."""
    if fn is None:
        return lambda f: f
    return fn


def reset() -> None:
    """Nothing is cached: no compiled code exists."""

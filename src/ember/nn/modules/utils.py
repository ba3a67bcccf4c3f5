"""``torch.nn.modules.utils``: the argument-normalising helpers layer code imports (``_pair`` & co.)."""

from __future__ import annotations

import collections.abc
from itertools import repeat


def _ntuple(n: int, name: str = "parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable) and not isinstance(x, str):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n: int) -> tuple:
    """``(a, b)`` -> ``(b, b, a, a)`` for n=2: the padding order F.pad wants."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _non_default(module, defaults: dict) -> str:
    """``", name=value"`` for each attribute of ``module`` that differs from its default, in order: the tail of
    torch's ``extra_repr`` (None and bool defaults compare by identity, numbers by value, as torch's checks do)."""
    parts = []
    for name, default in defaults.items():
        value = getattr(module, name)
        changed = value is not default if default is None or isinstance(default, bool) else value != default
        if changed:
            parts.append(f", {name}={value}")
    return "".join(parts)


__all__: list[str] = []

"""Tensor methods of the torch names added in ``_ops/scatter_views.py`` and ``_ops/torch_toplevel.py``
(as_strided, the scatter family, sum_to_size, addr, renorm, frexp, histogram ...), plus the legacy
``Tensor.new`` constructor and ``is_nonzero``."""

from __future__ import annotations

from . import _creation
from ._ops import scatter_views as SV
from ._ops import special2 as S2
from ._ops import torch_toplevel as TT
from ._ops.inplace import write_inplace
from ._tensor import Size, Tensor
from ._tensor_surface import define

for _name in ("as_strided as_strided_ as_strided_scatter diagonal_scatter select_scatter slice_scatter "
              "split_with_sizes unsafe_chunk unsafe_split unsafe_split_with_sizes sum_to_size").split():
    define(_name, getattr(SV, _name))
for _name in "addr renorm frexp histogram is_inference isreal".split():
    define(_name, getattr(TT, _name))
define("addr_", lambda self, vec1, vec2, *, beta=1, alpha=1: write_inplace(
    self, lambda t: TT.addr(t, vec1, vec2, beta=beta, alpha=alpha), others=(vec1, vec2)))
define("renorm_", lambda self, p, dim, maxnorm: write_inplace(self, lambda t: TT.renorm(t, p, dim, maxnorm)))
define("multinomial", _creation.multinomial)
for _name in ("igamma", "igammac"):
    define(_name, getattr(S2, _name))
    define(_name + "_", lambda self, other, _fn=getattr(S2, _name): write_inplace(self, lambda t: _fn(t, other), others=(other,)))
define("is_nonzero", lambda self: bool(self))


def new(self, *args, device=None) -> Tensor:
    """Legacy constructor: ``new()`` empty, ``new(2, 3)`` / ``new(Size)`` uninitialised of that shape,
    ``new(data)`` a tensor of ``data``, ``new(tensor)`` that tensor; always of self's dtype."""
    dtype = self.dtype
    if not args:
        return _creation.empty(0, dtype=dtype)
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other.dtype != dtype:
            raise TypeError(f"expected {dtype} (got {other.dtype})")
        return other
    if all(isinstance(a, int) and not isinstance(a, bool) for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
        return _creation.empty(*args, dtype=dtype)
    if len(args) == 1:
        return _creation.tensor(args[0], dtype=dtype)
    raise TypeError(f"new() received an invalid combination of arguments - got {tuple(type(a).__name__ for a in args)}")


define("new", new)

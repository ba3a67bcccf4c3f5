"""``ember.nn.functional``: the stateless layer functions (``F.relu``, ``F.linear``, ``F.conv2d``...).

Thin by design: every name here is an op from ``ember._ops`` (forward and backward live there).
"""

from __future__ import annotations

from .._ops.activation import *  # noqa: F401,F403
from .._ops.conv import *  # noqa: F401,F403
from .._ops.dropout import *  # noqa: F401,F403
from .._ops.embedding import *  # noqa: F401,F403
from .._ops.loss import *  # noqa: F401,F403
from .._ops.norm import *  # noqa: F401,F403
from .._ops.pool import *  # noqa: F401,F403
from .._ops.pool3d import *  # noqa: F401,F403
from .._ops.linalg import einsum, linear  # noqa: F401  (linear: fused matmul + bias)
from .._ops.pointwise import add
from .._tensor import Tensor


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y_k = x1^T A_k x2 + b_k for every output feature k.

    Shape: input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out,) -> (*, out).
    """
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(
            f"bilinear(): input batch dimensions do not match: got {list(input1.shape[:-1])} and {list(input2.shape[:-1])}"
        )
    if weight.dim() != 3 or weight.shape[1] != input1.shape[-1] or weight.shape[2] != input2.shape[-1]:
        raise RuntimeError(
            f"bilinear(): weight of shape {list(weight.shape)} does not match inputs with last dimensions "
            f"{input1.shape[-1]} and {input2.shape[-1]}"
        )
    out = einsum("...i,kij,...j->...k", input1, weight, input2)
    return add(out, bias) if bias is not None else out


from .._ops.resample import *  # noqa: E402,F401,F403  (pad, interpolate, pixel_shuffle ...)
from .._ops.attention import *  # noqa: E402,F401,F403
from .._ops.sampling import *  # noqa: E402,F401,F403  (grid_sample, affine_grid)
from .._ops.ctc import *  # noqa: E402,F401,F403
from .._ops.fractional_pool import *  # noqa: E402,F401,F403
from ._multihead import _canonical_mask, _none_or_dtype, multi_head_attention_forward  # noqa: E402,F401

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
from .._ops.linalg import linear  # noqa: F401  (fused matmul + bias)
from .._ops.torch_toplevel import bilinear  # noqa: F401


from .._ops.resample import *  # noqa: E402,F401,F403  (pad, interpolate, pixel_shuffle ...)
from .._ops.attention import *  # noqa: E402,F401,F403
from .._ops.sampling import *  # noqa: E402,F401,F403  (grid_sample, affine_grid)
from .._ops.ctc import *  # noqa: E402,F401,F403
from .._ops.fractional_pool import *  # noqa: E402,F401,F403
from ._multihead import _canonical_mask, _none_or_dtype, multi_head_attention_forward  # noqa: E402,F401

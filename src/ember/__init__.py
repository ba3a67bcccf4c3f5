"""ember: a deep-learning framework on NumPy with a PyTorch-compatible API.

``import ember as torch`` runs most PyTorch CPU training code unchanged.
"""

import importlib as _importlib

from . import _dtype
from ._device import device, get_default_device, set_default_device
from ._memory_format import channels_last, channels_last_3d, contiguous_format, memory_format, preserve_format  # noqa: F401
from ._dtype import (
    bool,
    double,
    dtype,
    finfo,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    iinfo,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    promote_types,
    set_default_dtype,
    short,
    uint8,
)
from ._tensor import Size, Tensor
from . import _tensor_methods  # noqa: F401  (attaches methods and operators to Tensor)
from ._creation import (
    arange,
    as_tensor,
    asarray,
    bernoulli,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    logspace,
    multinomial,
    normal,
    ones,
    ones_like,
    poisson,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    scalar_tensor,
    tensor,
    zeros,
    zeros_like,
)
from ._random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from ._format import set_printoptions
from ._ops.pointwise import *  # noqa: F401,F403
from ._ops.reduce import *  # noqa: F401,F403
from ._ops.shape import *  # noqa: F401,F403
from ._ops.index import *  # noqa: F401,F403
from ._ops.nonzero import *  # noqa: F401,F403
from ._ops.linalg import *  # noqa: F401,F403
from ._ops.special import *  # noqa: F401,F403
from ._ops.bitwise import *  # noqa: F401,F403
from ._ops.scan import *  # noqa: F401,F403
from ._ops.construct import *  # noqa: F401,F403
from ._ops.linalg_toplevel import *  # noqa: F401,F403
from ._ops.misc import *  # noqa: F401,F403
from . import _tensor_methods_more  # noqa: F401  (methods of the special/bitwise/scan/construct families)
from ._ops.scatter_views import *  # noqa: F401,F403
from ._ops.torch_toplevel import *  # noqa: F401,F403  (fill, range, addr, renorm, frexp, histogram, cells ...)
from ._ops.windows import *  # noqa: F401,F403
from ._ops.special2 import *  # noqa: F401,F403  (igamma, igammac)
from ._switches import *  # noqa: F401,F403  (anomaly, warn-always, deterministic debug mode ...)
from . import _tensor_methods_missing  # noqa: F401
from ._ops.pointwise import abs, pow, round  # noqa: F401  (shadowing builtins on purpose, like torch)
from ._ops.reduce import all, any, max, min, sum  # noqa: F401
from ._ops.activation import (  # noqa: F401  (torch.softmax & co. exist at the top level too; attaches Tensor.softmax)
    celu,
    hardshrink,
    log_softmax,
    prelu,
    rrelu,
    selu,
    softmax,
)
from ._ops.dropout import alpha_dropout, dropout, feature_alpha_dropout  # noqa: F401
from .autograd import enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad, set_grad_enabled
from .autograd import functional as _autograd_functional  # noqa: F401  (ember.autograd.functional, as torch exposes it)
from ._compat_api import (  # noqa: F401  (compile, autocast, precision/determinism switches)
    are_deterministic_algorithms_enabled, autocast, compile, get_float32_matmul_precision, get_num_interop_threads,
    is_autocast_enabled, is_deterministic_algorithms_warn_only_enabled, set_float32_matmul_precision,
    set_num_interop_threads, use_deterministic_algorithms,
)
from ._legacy import BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor, HalfTensor  # noqa: F401

globals().update({_k: _v for _k, _v in _tensor_methods_more.inplace_functions().items() if _k not in globals()})

__version__ = "0.1.0"

_LAZY_SUBMODULES = ("special", "linalg", "backends", "nn", "optim", "utils", "vision", "classic", "training", "autograd", "cli", "testing", "func",
                    "accelerator", "amp", "cpu", "cuda", "mps", "xpu", "jit", "version", "multiprocessing",
                    "serialization", "compiler", "compat", "onnx")


# Layer functions PyTorch also offers at the top level (torch.conv2d, torch.batch_norm, ...),
# resolved on first use from the op module that defines them.
_LAZY_FUNCTIONS = {
    "conv1d": "conv", "conv2d": "conv", "conv_transpose1d": "conv", "conv_transpose2d": "conv",
    "max_pool1d": "pool", "max_pool2d": "pool", "avg_pool1d": "pool", "adaptive_avg_pool1d": "pool",
    "adaptive_max_pool1d": "pool", "batch_norm": "norm", "layer_norm": "norm", "group_norm": "norm",
    "instance_norm": "norm", "embedding": "embedding", "pixel_shuffle": "resample", "pixel_unshuffle": "resample",
    "cosine_similarity": "loss", "pairwise_distance": "loss", "binary_cross_entropy_with_logits": "loss",
    "conv3d": "conv", "conv_transpose3d": "conv", "max_pool3d": "pool3d", "rms_norm": "norm",
    "threshold": "activation", "threshold_": "activation",
}


def __getattr__(name):
    # Heavy subpackages load on first use so `import ember` stays fast.
    if name in _LAZY_SUBMODULES:
        return _importlib.import_module(f"ember.{name}")
    if name in ("save", "load"):
        return getattr(_importlib.import_module("ember.serialization"), name)
    if name in _LAZY_FUNCTIONS:
        module = _importlib.import_module(f"ember._ops.{_LAZY_FUNCTIONS[name]}")
        if hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module 'ember' has no attribute '{name}'")


def is_tensor(obj) -> bool:
    """True for ember tensors (and Parameters)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    return input._data.dtype.kind == "f"


def numel(input: Tensor) -> int:
    return input._data.size


def is_nonzero(input: Tensor) -> bool:
    return input.__bool__()


def result_type(tensor1, tensor2) -> dtype:
    return _dtype.result_type(tensor1, tensor2)


def can_cast(from_: dtype, to: dtype) -> bool:
    return from_.category <= to.category


def get_num_threads() -> int:
    """Threads ember uses: the value given to ``set_num_threads``, else the BLAS pool's size."""
    from ._threads import get_num_threads as _g  # lazily: _threads loads concurrent.futures (import time)

    return _g()


def set_num_threads(n: int) -> None:
    """Use ``n`` threads in this process (like ``torch.set_num_threads``): BLAS's pool (threadpoolctl)
    and ember's batch-parallel pool for convolutions. Importing ember changes neither."""
    from ._threads import set_num_threads as _s

    _s(n)

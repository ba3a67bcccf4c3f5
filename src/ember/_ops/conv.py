"""Convolutions: ``conv1d``, ``conv2d``, ``conv_transpose1d``, ``conv_transpose2d``.

The kernels (im2col/col2im, GEMM layouts, scratch buffers) are in ``conv_kernels.py`` (2-D) and
``conv_nd_kernels.py`` (channels-last N-d); this module holds the Ops and the functional entry points.
"""

from __future__ import annotations

from .._backend import array_module
from .._tensor import Tensor
from ..autograd import grad_mode
from ._common import LinearOp
from .conv_nd import ConvNd, ConvOp, ConvTransposeNd, GeomN
from .conv_kernels import (
    Geom, col2im, col2im_of_gemm_t, compact, conv_scratch, gemm, gemm_w, im2col, narrow, pad_input,
    planes_backward, planes_forward, planes_of, widen,
)
from .shape import reshape, squeeze, unsqueeze

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "unfold", "fold"]


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return tuple(int(v) for v in value) * n
        if len(value) != n:
            raise RuntimeError(
                f"expected {name} to be a single integer value or a list of {n} values to match the "
                f"convolution dimensions, but got {name}={list(value)}"
            )
        return tuple(int(v) for v in value)
    return (int(value),) * n


class Conv2d(ConvOp):
    """y = conv(x, w) + b as im2col + GEMM;  dx = col2im(W^T dy), dW = dy cols^T, db = sum dy.

    Runs on the planes layout (see ``Planes``). The im2col matrix of a batch up to
    ``conv_kernels._KEEP_COLS`` bytes is kept for the first backward (PyTorch's slow_conv2d keeps its
    "finput" the same way); larger batches run in chunks of images and backward rebuilds it.
    """

    _node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, geom):
        w2 = w.reshape(w.shape[0], -1)
        pl = planes_of(geom, x.itemsize)
        y = array_module(x, w).empty((geom.n, geom.o, geom.oh, geom.ow), dtype=x.dtype)
        keep = geom.keep and pl.chunk >= geom.n
        cols = None  # an empty batch runs no chunk
        for start in range(0, geom.n, pl.chunk):
            stop = min(start + pl.chunk, geom.n)
            cols = planes_forward(x[start:stop], w2, b, geom, pl, y[start:stop], keep)
        ConvOp._keep(ctx, x, w, geom, cols if keep else None)
        return y

    @staticmethod
    def grads(dy, x, w, g, cols, need_x, need_w):
        xp = array_module(dy, x, w)
        gx = gw = None
        if need_x or need_w:
            pl = planes_of(g, x.itemsize)
            w2 = w.reshape(w.shape[0], -1)
            gx = xp.empty(x.shape, dtype=x.dtype) if need_x else None
            for start in range(0, g.n, pl.chunk):
                stop = min(start + pl.chunk, g.n)
                part = planes_backward(
                    x[start:stop], w2, dy[start:stop], g, pl, cols if stop - start == g.n else None,
                    None if gx is None else gx[start:stop], need_w,
                )
                if need_w:
                    gw = part if gw is None else xp.add(gw, part, out=gw)
            if gw is not None:
                # (G, C/G*KH*KW, O/G) -> (O, C/G, KH, KW)
                gw = xp.ascontiguousarray(xp.swapaxes(gw, 1, 2)).reshape(w.shape)
            elif need_w:  # an empty batch: no image contributes
                gw = xp.zeros(w.shape, dtype=w.dtype)
        return gx, gw


class ConvTranspose2d(ConvOp):
    """y = col2im(W^T x) + b, the adjoint of a convolution;  dx = W im2col(dy), dW = x im2col(dy)^T."""

    _node_name = "ConvolutionBackward0"
    transposed = True

    @staticmethod
    def forward(ctx, x, w, b, geom):
        # geom describes the convolution this op is the adjoint of: from our output to our input.
        # Its weight layout (Cin, Cout/G, KH, KW) is that convolution's (O, C/G, KH, KW).
        y = col2im_of_gemm_t(w.reshape(w.shape[0], -1), widen(x, geom), geom)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        ConvOp._keep(ctx, x, w, geom)
        return y

    @staticmethod
    def grads(dy, x, w, g, kept, need_x, need_w):
        gx = gw = None
        if need_x or need_w:
            cols = im2col(pad_input(dy, g), g, role="cols")
            w2 = w.reshape(w.shape[0], -1)
            if need_x:
                narrowing = g.wide and g.wp != g.ow
                out = conv_scratch("gemm", (g.n, g.o, g.ncols), dy) if narrowing else None
                gx = narrow(gemm(w2, cols, g.groups, out=out), g)
            if need_w:
                gw = gemm_w(widen(x, g), cols, g.groups).reshape(w.shape)
        return gx, gw


Conv2d.pair = ConvTranspose2d.pair = (Conv2d, ConvTranspose2d)


# -- functional API ---------------------------------------------------------------------------------------


def _will_record(*tensors) -> bool:
    """Whether the op will be recorded for backward (so keeping its im2col matrix pays off)."""
    return grad_mode._state.enabled and any(t is not None and t._requires_grad for t in tensors)


def _check_float(input: Tensor, weight: Tensor, bias) -> None:
    """Dtype checks with PyTorch's messages."""
    if input._data.dtype != weight._data.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input)} but found {_scalar_name(weight)}")
    if input._data.dtype.kind != "f":
        raise RuntimeError(f'"slow_conv2d_cpu" not implemented for \'{_scalar_name(input)}\'')
    if bias is not None and bias._data.dtype != weight._data.dtype:
        raise RuntimeError(
            f"Input type ({_scalar_name(input).lower()}) and bias type ({_scalar_name(bias).lower()}) should be the same"
        )


def _scalar_name(t: Tensor) -> str:
    return {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int"}.get(
        str(t._data.dtype), str(t._data.dtype)
    )


def _size_list(shape) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _check_ranks(input, weight, nd: int, name: str, transposed: bool) -> None:
    """The input is a Tensor of nd + 1 (unbatched) or nd + 2 dims, the weight has nd + 2 (torch's messages)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}() argument 'input' must be Tensor, not {type(input).__name__}")
    x, w = input._data, weight._data
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(
            f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of size: {_size_list(x.shape)}"
        )
    if w.ndim != nd + 2:
        raise RuntimeError(
            "weight should have at least three dimensions" if w.ndim < 3 and not transposed else
            f"Expected {nd + 2}-dimensional weight for {nd + 2}-dimensional input {_size_list(x.shape)}, but got {w.ndim}-dimensional weight of size {_size_list(w.shape)} instead"
        )


def _stride_dilation(stride, dilation, nd: int):
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError("dilation should be greater than zero")
    return stride, dilation


def _batched(input: Tensor, nd: int):
    """``input`` with a batch dimension (added when unbatched), its array, and whether one was added."""
    unbatched = input._data.ndim == nd + 1
    if unbatched:
        input = unsqueeze(input, 0)
    return input, input._data, unbatched


def _conv_nd(input, weight, bias, stride, padding, dilation, groups, nd: int, name: str):
    _check_ranks(input, weight, nd, name, False)
    w = weight._data
    stride, dilation = _stride_dilation(stride, dilation, nd)
    groups = int(groups)
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    input, x, unbatched = _batched(input, nd)
    ksize = w.shape[2:]
    if any(k <= 0 for k in ksize):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel size {_size_list(ksize)}")
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(ksize, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pad = _tuple(padding, nd, "padding")
        if any(p < 0 for p in pad):
            raise RuntimeError("negative padding is not supported")
        pads = [(p, p) for p in pad]
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{_size_list(w.shape)}] instead"
        )
    if x.shape[1] != w.shape[1] * groups:
        raise RuntimeError(
            f"Given groups={groups}, weight of size {_size_list(w.shape)}, expected input{_size_list(x.shape)} to have "
            f"{w.shape[1] * groups} channels, but got {x.shape[1]} channels instead"
        )
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != w.shape[0]):
        raise RuntimeError(
            f"Given weight of size {_size_list(w.shape)}, expected bias to be 1-dimensional with {w.shape[0]} elements, "
            f"but got bias of size {_size_list(bias._data.shape)} instead"
        )
    _check_float(input, weight, bias)
    padded = [s + a + b for s, (a, b) in zip(x.shape[2:], pads)]
    eff = [d * (k - 1) + 1 for k, d in zip(ksize, dilation)]
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(
            f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
            f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size"
        )
    if _use_nd(x.shape, w.shape, groups, nd):

        geom = GeomN(x.shape, ksize, stride, pads, dilation, groups, w.shape[0])
        out = ConvNd.apply(input, weight, bias, geom)
    elif nd == 1:
        n, c, length = x.shape
        x4 = reshape(input, (n, c, 1, length))
        w4 = reshape(weight, (w.shape[0], w.shape[1], 1, w.shape[2]))
        geom = Geom((n, c, 1, length), (1, w.shape[2]), (1, stride[0]), (0, 0) + pads[0], (1, dilation[0]), groups, w.shape[0])
        geom.keep = _will_record(input, weight, bias)
        out = Conv2d.apply(x4, w4, bias, geom)
        out = reshape(out, (n, w.shape[0], out._data.shape[-1]))
    else:
        geom = Geom(x.shape, w.shape[2:], stride, pads[0] + pads[1], dilation, groups, w.shape[0])
        geom.keep = _will_record(input, weight, bias)
        out = Conv2d.apply(input, weight, bias, geom)
    return squeeze(out, 0) if unbatched else out


def _use_nd(xshape, wshape, groups: int, nd: int) -> bool:
    """Whether the channels-last N-d kernels (conv_nd.py) run this convolution rather than the planes
    layout: 3-D ones, empty batches, and layers with at least ``_ND_MIN_K`` input channels per
    group. Measured (1 thread, fwd + bwd): ResNet-18's 64-512 channel layers 1.3-2x faster on the
    N-d kernels; LeNet (1, 6 channels), course_cnn (1, 16), ResNet's RGB stem and depthwise layers
    (1 channel per group) 1.4-3x faster on the planes layout, whose copies suit few channels."""
    if nd == 3 or xshape[0] == 0:
        return True
    return wshape[1] >= _ND_MIN_K


_ND_MIN_K = 32


def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution over (N, C, L) (or unbatched (C, L)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution over (N, C, H, W) (or unbatched (C, H, W)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution over (N, C, D, H, W) (or unbatched (C, D, H, W)); ``padding`` may be 'same' or 'valid'."""
    return _conv_nd(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, nd: int, name: str):
    _check_ranks(input, weight, nd, name, True)
    w = weight._data
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    pad = _tuple(padding, nd, "padding")
    opad = _tuple(output_padding, nd, "output_padding")
    stride, dilation = _stride_dilation(stride, dilation, nd)
    groups = int(groups)
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    for op, s, d in zip(opad, stride, dilation):
        if op >= s and op >= d:
            if nd == 2:
                raise RuntimeError(
                    f"output padding must be smaller than either stride or dilation, but got output_padding_height: {opad[0]} "
                    f"output_padding_width: {opad[1]} stride_height: {stride[0]} stride_width: {stride[1]} "
                    f"dilation_height: {dilation[0]} dilation_width: {dilation[1]}"
                )
            raise RuntimeError(
                f"output padding must be smaller than either stride or dilation, but got output_padding: {opad[0]} "
                f"stride: {stride[0]} dilation: {dilation[0]}"
            )
    input, x, unbatched = _batched(input, nd)
    if w.shape[0] % groups:
        raise RuntimeError(
            f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but got weight of size [{_size_list(w.shape)}] instead"
        )
    if x.shape[1] != w.shape[0]:
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size_list(w.shape)}, expected input{_size_list(x.shape)} to have "
            f"{w.shape[0]} channels, but got {x.shape[1]} channels instead"
        )
    cout = w.shape[1] * groups
    if bias is not None and (bias._data.ndim != 1 or bias._data.shape[0] != cout):
        raise RuntimeError(
            f"Given transposed=1, weight of size {_size_list(w.shape)}, expected bias to be 1-dimensional with {cout} elements, "
            f"but got bias of size {_size_list(bias._data.shape)} instead"
        )
    _check_float(input, weight, bias)
    ksize = w.shape[2:]
    spatial = x.shape[2:]
    outs = [(i - 1) * s - 2 * p + d * (k - 1) + op + 1 for i, s, p, d, k, op in zip(spatial, stride, pad, dilation, ksize, opad)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(
            f"Given input size per channel: ({' x '.join(map(str, spatial))}). Calculated output size per channel: "
            f"({' x '.join(map(str, outs))}). Output size is too small"
        )
    if _use_nd(x.shape, (cout, w.shape[0] // groups), groups, nd):  # the channels-last N-d kernels (conv_nd.py)

        n, c = x.shape[:2]
        pads = [(p, p - op) for p, op in zip(pad, opad)]
        geom = GeomN((n, cout) + tuple(outs), ksize, stride, pads, dilation, groups, c)
        out = ConvTransposeNd.apply(input, weight, bias, geom)
    elif nd == 1:
        n, c, length = x.shape
        x4 = reshape(input, (n, c, 1, length))
        w4 = reshape(weight, (w.shape[0], w.shape[1], 1, w.shape[2]))
        # the forward convolution: y (N, Cout, 1, Lout) -> x, padded by p on the left and p - op on the right
        geom = Geom((n, cout, 1, outs[0]), (1, ksize[0]), (1, stride[0]), (0, 0, pad[0], pad[0] - opad[0]), (1, dilation[0]), groups, c)
        out = ConvTranspose2d.apply(x4, w4, bias, geom)
        out = reshape(out, (n, cout, outs[0]))
    else:
        n, c = x.shape[:2]
        geom = Geom((n, cout) + tuple(outs), ksize, stride, (pad[0], pad[0] - opad[0], pad[1], pad[1] - opad[1]), dilation, groups, c)
        out = ConvTranspose2d.apply(input, weight, bias, geom)
    return squeeze(out, 0) if unbatched else out


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution ("deconvolution") over (N, C_in, L); weight (C_in, C_out/groups, K)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 1, "conv_transpose1d")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution over (N, C_in, H, W); weight (C_in, C_out/groups, KH, KW)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 2, "conv_transpose2d")


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0, output_padding=0, groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution over (N, C_in, D, H, W); weight (C_in, C_out/groups, KD, KH, KW)."""
    return _conv_transpose_nd(input, weight, bias, stride, padding, output_padding, groups, dilation, 3, "conv_transpose3d")


# -- unfold / fold (im2col as a user-facing op) ------------------------------------------------------------


class _Unfold(LinearOp):
    """cols = im2col(x);  dx = col2im(dcols)."""

    _node_name = "Im2ColBackward0"

    @staticmethod
    def f(x, geom):
        return compact(im2col(pad_input(x, geom), geom), geom)

    @staticmethod
    def adjoint(h, x_shape, geom):
        return _Fold.of(h, geom)


class _Fold(LinearOp):
    """x = col2im(cols);  dcols = im2col(dx)."""

    _node_name = "Col2ImBackward0"

    @staticmethod
    def f(cols, geom):
        return col2im(widen(cols.reshape(geom.n, geom.c * geom.kh * geom.kw, geom.oh, geom.ow), geom), geom)

    @staticmethod
    def adjoint(h, x_shape, geom):
        return _Unfold.of(h, geom)


def _blocks_args(input: Tensor, batched_ndim: int, kernel_size, dilation, padding, stride):
    """unfold/fold's input with a batch dimension (and whether one was added) and their four
    pairs (kernel_size, dilation, padding, stride)."""
    unbatched = input._data.ndim == batched_ndim - 1
    if unbatched:
        input = unsqueeze(input, 0)
    names = ("kernel_size", "dilation", "padding", "stride")
    return input, unbatched, tuple(_tuple(v, 2, n) for v, n in zip((kernel_size, dilation, padding, stride), names))


def unfold(input: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Sliding local blocks (im2col): (N, C, H, W) -> (N, C*KH*KW, L)."""
    if input._data.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input._data.ndim}D)")
    input, unbatched, (k, d, p, s) = _blocks_args(input, 4, kernel_size, dilation, padding, stride)
    x = input._data
    geom = Geom(x.shape, k, s, (p[0], p[0], p[1], p[1]), d, 1, x.shape[1])
    if geom.oh <= 0 or geom.ow <= 0:
        raise RuntimeError(
            f"Given input with spatial size ({x.shape[2]}, {x.shape[3]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), "
            f"padding=({p[0]}, {p[1]}), calculated shape of the array of sliding blocks as ({geom.oh}, {geom.ow}), but its components must be at least one."
        )
    out = _Unfold.apply(input, geom)
    return squeeze(out, 0) if unbatched else out


def fold(input: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """Combine sliding local blocks (col2im, summing overlaps): (N, C*KH*KW, L) -> (N, C, H, W)."""
    if input._data.ndim not in (2, 3):
        raise RuntimeError(
            f"Input Error: Only unbatched (2D) or batched (3D) input Tensors are supported (got {input._data.ndim}D)"
        )
    input, unbatched, (k, d, p, s) = _blocks_args(input, 3, kernel_size, dilation, padding, stride)
    x = input._data
    osz = _tuple(output_size, 2, "output_size")
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(
            f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)={x.shape[1]} and kernel_size=({k[0]}, {k[1]})"
        )
    c = x.shape[1] // kk
    geom = Geom((x.shape[0], c) + osz, k, s, (p[0], p[0], p[1], p[1]), d, 1, c)
    if geom.oh * geom.ow != x.shape[2]:
        raise RuntimeError(
            f"Given output_size=({osz[0]}, {osz[1]}), kernel_size=({k[0]}, {k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
            f"stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to match the calculated number of sliding blocks "
            f"{geom.oh} * {geom.ow} = {geom.oh * geom.ow}, but got input.size(2)={x.shape[2]}."
        )
    out = _Fold.apply(input, geom)
    return squeeze(out, 0) if unbatched else out

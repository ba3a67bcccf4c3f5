"""ONNX translations of ember's primitive ops, one function per op, keyed by the op's class name.

Each translation gets the graph builder ``g``, the call's arguments as the op saw them
(Tensors, parameter arrays, plain values), its result, and ``args2``: the same call's
arguments in the second trace (see ``_export``), from which shape arguments that depend on
the batch are recognised. It returns the name of the value (or names of the values) that
stand for the result.
"""

from __future__ import annotations

import math

import numpy as np

from .._tensor import Tensor
from ._errors import OnnxExporterError

_TABLE: dict = {}


def translate(g, op, args, result, args2):
    name = op if isinstance(op, str) else op.__name__
    fn = _TABLE.get(name)
    if fn is None:
        raise OnnxExporterError(f"ember.onnx.export: the op {name} has no ONNX translation in ember yet")
    return fn(g, args, result, args2)


def _register(*names):
    def deco(fn):
        for n in names:
            _TABLE[n] = fn
        return fn

    return deco


def _out_dtype(result):
    r = result[0] if isinstance(result, tuple) else result
    return r._data.dtype


def _v(g, x, x2=None, dtype=None, what=None):
    return g.value(x, x2, dtype=dtype, what=what)


def _dynamic_shape(shape, shape2, what: str, fill: int = -1):
    """A shape argument as ONNX needs it: the one entry that changed between the traces becomes ``fill``."""
    shape = [int(s) for s in shape]
    varying = [i for i, (a, b) in enumerate(zip(shape, shape2)) if a != b]
    if len(shape) != len(shape2) or len(varying) > 1:
        raise OnnxExporterError(f"ember.onnx.export: {what} to a shape with more than one input-dependent size")
    if varying and fill == -1 and -1 in shape:
        raise OnnxExporterError(f"ember.onnx.export: {what} has -1 and an input-dependent size")
    for i in varying:
        shape[i] = fill
    return shape


# -- elementwise ------------------------------------------------------------------------------------


def _binary(onnx_op):
    def fn(g, args, result, args2):
        dt = _out_dtype(result)
        a = _v(g, args[0], args2[0], dtype=dt)
        b = _v(g, args[1], args2[1], dtype=dt)
        return g.node(onnx_op, [a, b], dtype=dt)

    return fn


for _op, _onnx in (("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Div", "Div"), ("Maximum", "Max"),
                   ("Minimum", "Min")):
    _TABLE[_op] = _binary(_onnx)


@_register("Pow")
def _pow(g, args, result, args2):
    dt = _out_dtype(result)
    return g.node("Pow", [_v(g, args[0], args2[0], dtype=dt), _v(g, args[1], args2[1], dtype=dt)], dtype=dt)


def _unary(onnx_op, **attrs):
    def fn(g, args, result, args2):
        return g.node(onnx_op, [_v(g, args[0], args2[0])], dtype=_out_dtype(result), **attrs)

    return fn


for _op, _onnx in (("Neg", "Neg"), ("Exp", "Exp"), ("Log", "Log"), ("Sqrt", "Sqrt"), ("Reciprocal", "Reciprocal"),
                   ("Sin", "Sin"), ("Cos", "Cos"), ("Tan", "Tan"), ("Tanh", "Tanh"), ("Sigmoid", "Sigmoid"),
                   ("Relu", "Relu"), ("Abs", "Abs"), ("Erf", "Erf"), ("Softsign", "Softsign"),
                   ("Contiguous", "Identity")):
    _TABLE[_op] = _unary(_onnx)


@_register("Square")
def _square(g, args, result, args2):
    x = _v(g, args[0], args2[0])
    return g.node("Mul", [x, x], dtype=_out_dtype(result))


@_register("Rsqrt")
def _rsqrt(g, args, result, args2):
    return g.node("Reciprocal", [g.node("Sqrt", [_v(g, args[0], args2[0])])], dtype=_out_dtype(result))


@_register("Log1p")
def _log1p(g, args, result, args2):
    dt = _out_dtype(result)
    return g.node("Log", [g.node("Add", [_v(g, args[0], args2[0]), g.const(np.array(1, dt))])], dtype=dt)


@_register("Expm1")
def _expm1(g, args, result, args2):
    dt = _out_dtype(result)
    return g.node("Sub", [g.node("Exp", [_v(g, args[0], args2[0])]), g.const(np.array(1, dt))], dtype=dt)


@_register("ToDtype")
def _to_dtype(g, args, result, args2):
    return g.cast(_v(g, args[0], args2[0]), _out_dtype(result))


@_register("Clamp")
def _clamp(g, args, result, args2):
    dt = _out_dtype(result)
    x = _v(g, args[0], args2[0], dtype=dt)
    lo = "" if args[1] is None else _v(g, args[1], args2[1], dtype=dt)
    hi = "" if args[2] is None else _v(g, args[2], args2[2], dtype=dt)
    if (lo and np.ndim(args[1]) > 0) or (hi and np.ndim(args[2]) > 0):  # tensor bounds: Clip wants scalars
        if lo:
            x = g.node("Max", [x, lo])
        if hi:
            x = g.node("Min", [x, hi])
        return x
    return g.node("Clip", [x, lo, hi], dtype=dt)


@_register("Where")
def _where(g, args, result, args2):
    dt = _out_dtype(result)
    cond = _v(g, args[0], args2[0], dtype=np.bool_)
    return g.node("Where", [cond, _v(g, args[1], args2[1], dtype=dt), _v(g, args[2], args2[2], dtype=dt)], dtype=dt)


# Comparisons, logic and predicates reach the tracer through ``emit`` under torch's function names.
_COMPARE = {"eq": "Equal", "lt": "Less", "gt": "Greater", "le": "LessOrEqual", "ge": "GreaterOrEqual"}


def _compare(onnx_op):
    def fn(g, args, result, args2):
        a, b = args[0], args[1]
        dt = np.result_type(*(x._data.dtype if isinstance(x, Tensor) else np.min_scalar_type(x) for x in (a, b)))
        return g.node(onnx_op, [_v(g, a, args2[0], dtype=dt), _v(g, b, args2[1], dtype=dt)], dtype=np.bool_)

    return fn


for _op, _onnx in _COMPARE.items():
    _TABLE[_op] = _compare(_onnx)


@_register("ne")
def _not_equal(g, args, result, args2):
    return g.node("Not", [_compare("Equal")(g, args, result, args2)], dtype=np.bool_)


def _logical(onnx_op):
    def fn(g, args, result, args2):
        # ONNX's And/Or/Xor/Not take bools; torch's logical ops read any dtype as nonzero -> True.
        return g.node(onnx_op, [_v(g, a, a2, dtype=np.bool_) for a, a2 in zip(args, args2)], dtype=np.bool_)

    return fn


for _op, _onnx in (("logical_and", "And"), ("logical_or", "Or"), ("logical_xor", "Xor"), ("logical_not", "Not")):
    _TABLE[_op] = _logical(_onnx)


@_register("bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not")
def _bitwise(g, args, result, args2):
    """``&``, ``|``, ``^``, ``~``: And/Or/Xor/Not on bool masks, the Bitwise* ops (opset 18) on integers."""
    dt = _out_dtype(result)
    logical = {"bitwise_and": "And", "bitwise_or": "Or", "bitwise_xor": "Xor", "bitwise_not": "Not"}[g.current]
    if dt != np.bool_:
        if g.opset < 18:
            raise OnnxExporterError(f"ember.onnx.export: {g.current} on integers needs opset 18 or newer, got {g.opset}")
        logical = "Bitwise" + logical
    return g.node(logical, [_v(g, a, a2, dtype=dt) for a, a2 in zip(args, args2)], dtype=dt)


@_register("isnan")
def _isnan(g, args, result, args2):
    return g.node("IsNaN", [_v(g, args[0], args2[0])], dtype=np.bool_)


@_register("isinf")
def _isinf(g, args, result, args2):
    return g.node("IsInf", [_v(g, args[0], args2[0])], dtype=np.bool_)


@_register("inplace")
def _inplace(g, args, result, args2):
    """``x.op_(...)``: x's memory now holds the op's result (already translated); rename, casting to x's dtype."""
    x, new = args
    return g.cast(_v(g, new, args2[1]), x._data.dtype)


# -- activations ---------------------------------------------------------------------------------


@_register("LeakyRelu")
def _leaky_relu(g, args, result, args2):
    return g.node("LeakyRelu", [_v(g, args[0], args2[0])], alpha=float(args[1]))


@_register("Hardtanh")
def _hardtanh(g, args, result, args2):
    dt = _out_dtype(result)
    return g.node("Clip", [_v(g, args[0], args2[0]), g.const(np.array(args[1], dt)), g.const(np.array(args[2], dt))])


@_register("Elu")
def _elu(g, args, result, args2):
    """ELU, SELU and CELU: y = scale * x for x > 0, scale * alpha * (exp(x * input_scale) - 1) otherwise."""
    x, alpha, scale, input_scale = _v(g, args[0], args2[0]), float(args[1]), float(args[2]), float(args[3])
    dt = _out_dtype(result)
    c = lambda v: g.const(np.array(v, dt))  # noqa: E731
    if scale == 1.0 and input_scale == 1.0:
        return g.node("Elu", [x], alpha=alpha)
    neg = g.node("Mul", [g.node("Sub", [g.node("Exp", [g.node("Mul", [x, c(input_scale)])]), c(1.0)]), c(alpha * scale)])
    return g.node("Where", [g.node("Greater", [x, c(0.0)]), g.node("Mul", [x, c(scale)]), neg])


@_register("Gelu")
def _gelu(g, args, result, args2):
    x = _v(g, args[0], args2[0])
    dt = _out_dtype(result)
    c = lambda v: g.const(np.array(v, dt))  # noqa: E731
    if args[1] == "tanh":
        cube = g.node("Mul", [g.node("Mul", [x, x]), x])
        inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [cube, c(0.044715)])]), c(math.sqrt(2 / math.pi))])
        return g.node("Mul", [g.node("Mul", [x, c(0.5)]), g.node("Add", [g.node("Tanh", [inner]), c(1.0)])])
    phi = g.node("Add", [g.node("Erf", [g.node("Mul", [x, c(1 / math.sqrt(2))])]), c(1.0)])
    return g.node("Mul", [g.node("Mul", [x, c(0.5)]), phi])


@_register("Silu")
def _silu(g, args, result, args2):
    x = _v(g, args[0], args2[0])
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


@_register("Mish")
def _mish(g, args, result, args2):
    x = _v(g, args[0], args2[0])
    return g.node("Mul", [x, g.node("Tanh", [g.node("Softplus", [x])])])


@_register("Softplus")
def _softplus(g, args, result, args2):
    x, beta, threshold = _v(g, args[0], args2[0]), float(args[1]), float(args[2])
    dt = _out_dtype(result)
    bx = x if beta == 1.0 else g.node("Mul", [x, g.const(np.array(beta, dt))])
    soft = g.node("Softplus", [bx])
    if beta != 1.0:
        soft = g.node("Div", [soft, g.const(np.array(beta, dt))])
    # above the threshold torch returns x itself
    return g.node("Where", [g.node("Greater", [bx, g.const(np.array(threshold, dt))]), x, soft])


@_register("LogSigmoid")
def _log_sigmoid(g, args, result, args2):
    return g.node("Neg", [g.node("Softplus", [g.node("Neg", [_v(g, args[0], args2[0])])])])


@_register("Hardsigmoid")
def _hardsigmoid(g, args, result, args2):
    return g.node("HardSigmoid", [_v(g, args[0], args2[0])], alpha=1 / 6, beta=0.5)


@_register("Hardswish")
def _hardswish(g, args, result, args2):
    x = _v(g, args[0], args2[0])
    if g.opset >= 14:
        return g.node("HardSwish", [x])
    return g.node("Mul", [x, g.node("HardSigmoid", [x], alpha=1 / 6, beta=0.5)])


@_register("Threshold")
def _threshold(g, args, result, args2):
    dt = _out_dtype(result)
    x = _v(g, args[0], args2[0])
    keep = g.node("Greater", [x, g.const(np.array(args[1], dt))])
    return g.node("Where", [keep, x, g.const(np.array(args[2], dt))])


@_register("Prelu")
def _prelu(g, args, result, args2):
    x, w = args[0], args[1]
    slope = _v(g, w, args2[1])
    w_arr = w._data if isinstance(w, Tensor) else np.asarray(w)
    ndim = x._data.ndim
    if w_arr.size > 1 and ndim > 2:  # one slope per channel (dim 1): (C, 1, ..., 1) broadcasts from the right
        slope = g.node("Reshape", [slope, g.ints([w_arr.size] + [1] * (ndim - 2))])
    return g.node("PRelu", [_v(g, x, args2[0]), slope])


def _softmax(onnx_op):
    def fn(g, args, result, args2):
        x = _v(g, args[0], args2[0])
        return g.node(onnx_op, [x], axis=int(args[1]) % max(args[0]._data.ndim, 1))

    return fn


_TABLE["Softmax"] = _softmax("Softmax")
_TABLE["LogSoftmax"] = _softmax("LogSoftmax")


# -- linear algebra -----------------------------------------------------------------------------


@_register("Linear")
def _linear(g, args, result, args2):
    x, w, b = args
    xn, wn = _v(g, x, args2[0]), _v(g, w, args2[1])
    if x._data.ndim == 2:
        inputs = [xn, wn] + ([_v(g, b, args2[2])] if b is not None else [])
        return g.node("Gemm", inputs, transB=1)
    y = g.node("MatMul", [xn, g.node("Transpose", [wn], perm=[1, 0])])
    return g.node("Add", [y, _v(g, b, args2[2])]) if b is not None else y


@_register("MatMul")
def _matmul(g, args, result, args2):
    return g.node("MatMul", [_v(g, args[0], args2[0]), _v(g, args[1], args2[1])])


# -- shapes ---------------------------------------------------------------------------------------


@_register("Reshape")
def _reshape(g, args, result, args2):
    shape = _dynamic_shape(args[1], args2[1], "a reshape")
    return g.node("Reshape", [_v(g, args[0], args2[0]), g.ints(shape)])


@_register("Permute")
def _permute(g, args, result, args2):
    return g.node("Transpose", [_v(g, args[0], args2[0])], perm=[int(a) for a in args[1]])


@_register("Expand")
def _expand(g, args, result, args2):
    x = args[0]
    shape = [int(s) for s in args[1]]
    shape2 = [int(s) for s in args2[1]]
    in_shape = (1,) * (len(shape) - x._data.ndim) + tuple(x._data.shape)
    in_shape2 = (1,) * (len(shape2) - args2[0]._data.ndim) + tuple(args2[0]._data.shape)
    for i, (a, b) in enumerate(zip(shape, shape2)):
        if a != b:
            if in_shape[i] == a and in_shape2[i] == b:
                shape[i] = 1  # the input brings this size itself
            else:
                raise OnnxExporterError("ember.onnx.export: an expand to an input-dependent size the input doesn't have")
    return g.node("Expand", [_v(g, x, args2[0]), g.ints(shape)])


@_register("Cat")
def _cat(g, args, result, args2):
    dim = int(args[0])
    xs = [_v(g, x, x2) for x, x2 in zip(args[1:], args2[1:])]
    ndim = result._data.ndim
    return g.node("Concat", xs, axis=dim % ndim)


@_register("Narrow")
def _narrow(g, args, result, args2):
    x, dim, start, length = args
    return g.node("Slice", [_v(g, x, args2[0]), g.ints([start]), g.ints([start + length]), g.ints([dim])])


@_register("Flip")
def _flip(g, args, result, args2):
    axes = [int(a) for a in args[1]]
    n = len(axes)
    big = np.iinfo(np.int64).max
    return g.node("Slice", [_v(g, args[0], args2[0]), g.ints([-1] * n), g.ints([-big] * n), g.ints(axes),
                            g.ints([-1] * n)])


@_register("Tile")
def _tile(g, args, result, args2):
    x = args[0]
    reps = [int(r) for r in args[1]]
    xn = _v(g, x, args2[0])
    if len(reps) > x._data.ndim:
        xn = g.node("Reshape", [xn, g.ints([1] * (len(reps) - x._data.ndim) + list(x._data.shape))])
    return g.node("Tile", [xn, g.ints(reps)])


@_register("GetItem")
def _getitem(g, args, result, args2):
    x, key, basic = args
    if _default_zeros(g, x, args2[0]):
        return None  # a slice of the zero state an RNN makes for itself: the RNN translation omits it
    if not basic:
        return _advanced_index(g, x, key, args2)
    name = _v(g, x, args2[0])
    key2 = args2[1]
    starts, ends, axes, steps, squeeze, unsqueeze = [], [], [], [], [], []
    dim = 0  # input dim being consumed
    out_dim = 0
    items = list(key) if isinstance(key, tuple) else [key]
    items2 = list(key2) if isinstance(key2, tuple) else [key2]
    n_real = sum(1 for k in items if k is not None and k is not Ellipsis)
    for k, k2 in zip(items, items2):
        if k is Ellipsis:
            skip = x._data.ndim - n_real
            dim += skip
            out_dim += skip
        elif k is None:
            unsqueeze.append(out_dim)
            out_dim += 1
        elif isinstance(k, slice):
            size, size2 = x._data.shape[dim], args2[0]._data.shape[dim]
            s, e, st = k.indices(size)
            s2, e2, st2 = k2.indices(size2)
            if (s, st) != (s2, st2):
                raise OnnxExporterError("ember.onnx.export: a slice whose start depends on the input size")
            if (s, e, st) != (0, size, 1):
                if e != e2:  # the slice runs to the end of an input-dependent dim
                    e = np.iinfo(np.int64).max if st > 0 else -np.iinfo(np.int64).max
                elif st < 0 and e < 0:
                    e = -np.iinfo(np.int64).max
                starts.append(s)
                ends.append(e)
                axes.append(dim)
                steps.append(st)
            dim += 1
            out_dim += 1
        else:  # an integer: select, then drop the dim
            i = int(k)
            if i != int(k2):
                raise OnnxExporterError("ember.onnx.export: an index that depends on the input size")
            starts.append(i)
            ends.append(i + 1 if i != -1 else np.iinfo(np.int64).max)
            axes.append(dim)
            steps.append(1)
            squeeze.append(dim)
            dim += 1
    if axes:
        name = g.node("Slice", [name, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)])
    if squeeze:
        name = g.node("Squeeze", [name, g.ints(squeeze)])
    if unsqueeze:
        name = g.node("Unsqueeze", [name, g.ints(unsqueeze)])
    return name


def _default_zeros(g, x, x2) -> bool:
    """A zero tensor sized by the batch that no op computed (``zeros(layers, N, H)`` as an RNN's default state)."""
    return (isinstance(x, Tensor) and g.known(x) is None and id(x._data) not in g.param_names
            and x._data.shape != x2._data.shape and not x._data.any() and not x2._data.any())


def _advanced_index(g, x, key, args2):
    """``x[..., idx, ...]`` with one integer (or boolean constant) index tensor among full slices: a Gather."""
    items = list(key) if isinstance(key, tuple) else [key]
    arrays = [i for i, k in enumerate(items) if not isinstance(k, slice)]
    if len(arrays) != 1 or any(k != slice(None) for i, k in enumerate(items) if i != arrays[0]):
        raise OnnxExporterError("ember.onnx.export: indexing with several index tensors or mixed with slices/ints")
    axis = arrays[0]
    idx = items[axis]
    idx2 = (list(args2[1]) if isinstance(args2[1], tuple) else [args2[1]])[axis]
    if isinstance(idx, np.ndarray) and idx.dtype == np.bool_:
        idx, idx2 = np.nonzero(idx)[0], np.nonzero(idx2)[0]
    if isinstance(idx, Tensor):
        index = g.value(idx, idx2, what="an index")
    else:
        index = g.value(np.asarray(idx, dtype=np.int64), np.asarray(idx2, dtype=np.int64), what="an index")
    return g.node("Gather", [_v(g, x, args2[0]), g.cast(index, np.int64)], axis=axis)


# -- reductions -------------------------------------------------------------------------------------


def _reduce(onnx_op):
    def fn(g, args, result, args2):
        x, axes, keepdim = args[0], args[1], args[2]
        xn = _v(g, x, args2[0])
        if axes is None:
            axes = tuple(range(x._data.ndim))
        axes = [int(a) for a in (axes if isinstance(axes, (tuple, list)) else (axes,))]
        if not axes:
            return g.node("Identity", [xn])
        if onnx_op == "ReduceSum" or g.opset >= 18:
            y = g.node(onnx_op, [xn, g.ints(axes)], keepdims=int(bool(keepdim)))
        else:
            y = g.node(onnx_op, [xn], axes=axes, keepdims=int(bool(keepdim)))
        return g.cast(y, _out_dtype(result))

    return fn


_TABLE["Sum"] = _reduce("ReduceSum")
_TABLE["Mean"] = _reduce("ReduceMean")
_TABLE["LogSumExp"] = _reduce("ReduceLogSumExp")


@_register("Amax")
def _amax(g, args, result, args2):
    return _reduce("ReduceMax" if args[3] else "ReduceMin")(g, args, result, args2)


# -- convolution and pooling ----------------------------------------------------------------------


@_register("Conv2d")
def _conv2d(g, args, result, args2):
    x, w, b, geom = args
    inputs = [_v(g, x, args2[0]), _v(g, w, args2[1])] + ([_v(g, b, args2[2])] if b is not None else [])
    return g.node("Conv", inputs, kernel_shape=[geom.kh, geom.kw], strides=[geom.sh, geom.sw],
                  pads=[geom.pt, geom.pl, geom.pb, geom.pr], dilations=[geom.dh, geom.dw], group=geom.groups)


@_register("ConvTranspose2d")
def _conv_transpose2d(g, args, result, args2):
    x, w, b, geom = args
    inputs = [_v(g, x, args2[0]), _v(g, w, args2[1])] + ([_v(g, b, args2[2])] if b is not None else [])
    # geom describes the forward convolution y -> x: padding p on the leading side, p - output_padding on the other
    return g.node("ConvTranspose", inputs, kernel_shape=[geom.kh, geom.kw], strides=[geom.sh, geom.sw],
                  pads=[geom.pt, geom.pl, geom.pt, geom.pl], output_padding=[geom.pt - geom.pb, geom.pl - geom.pr],
                  dilations=[geom.dh, geom.dw], group=geom.groups)


@_register("ConvNd")
def _conv_nd(g, args, result, args2):
    x, w, b, geom = args
    inputs = [_v(g, x, args2[0]), _v(g, w, args2[1])] + ([_v(g, b, args2[2])] if b is not None else [])
    return g.node("Conv", inputs, kernel_shape=list(geom.k), strides=list(geom.s), dilations=list(geom.d),
                  pads=[lo for lo, _ in geom.pads] + [hi for _, hi in geom.pads], group=geom.groups)


@_register("ConvTransposeNd")
def _conv_transpose_nd(g, args, result, args2):
    x, w, b, geom = args
    inputs = [_v(g, x, args2[0]), _v(g, w, args2[1])] + ([_v(g, b, args2[2])] if b is not None else [])
    # geom is the forward convolution y -> x: padding p before, p - output_padding after
    return g.node("ConvTranspose", inputs, kernel_shape=list(geom.k), strides=list(geom.s), dilations=list(geom.d),
                  pads=[lo for lo, _ in geom.pads] * 2, output_padding=[lo - hi for lo, hi in geom.pads],
                  group=geom.groups)


def _pool_attrs(geom):
    floor_h = (geom.h + 2 * geom.ph - geom.dh * (geom.kh - 1) - 1) // geom.sh + 1
    floor_w = (geom.w + 2 * geom.pw - geom.dw * (geom.kw - 1) - 1) // geom.sw + 1
    return dict(kernel_shape=[geom.kh, geom.kw], strides=[geom.sh, geom.sw], pads=[geom.ph, geom.pw, geom.ph, geom.pw],
                ceil_mode=int(geom.oh != floor_h or geom.ow != floor_w))


@_register("MaxPool2d")
def _max_pool2d(g, args, result, args2):
    x, geom, return_indices = args
    if return_indices:
        raise OnnxExporterError("ember.onnx.export: max pooling with return_indices=True (ONNX indices are laid out differently)")
    attrs = _pool_attrs(geom)
    if (geom.dh, geom.dw) != (1, 1):
        attrs["dilations"] = [geom.dh, geom.dw]
    return g.node("MaxPool", [_v(g, x, args2[0])], **attrs)


@_register("AvgPool2d")
def _avg_pool2d(g, args, result, args2):
    x, geom, divisor = args
    dt = x._data.dtype
    if dt.kind != "f":
        raise OnnxExporterError("ember.onnx.export: average pooling of integer tensors")
    window = geom.kh * geom.kw
    y = g.node("AveragePool", [_v(g, x, args2[0])], count_include_pad=1, **_pool_attrs(geom))
    # torch divides by the window size, by the count of unpadded elements, or by divisor_override
    factor = window / np.asarray(divisor, dtype=np.float64)
    if np.all(factor == 1.0):
        return y
    return g.node("Mul", [y, g.const(factor.astype(dt))])


@_register("_Separable")
def _separable(g, args, result, args2):
    x, ah, aw = args
    y = _v(g, x, args2[0])
    if ah is not None:
        y = g.node("MatMul", [g.const(ah), y])
    if aw is not None:
        y = g.node("MatMul", [y, g.const(np.ascontiguousarray(aw.T))])
    return y


@_register("_AdaptiveMax")
def _adaptive_max(g, args, result, args2):
    x, oh, ow, return_indices = args
    h, w = x._data.shape[2:]
    if return_indices or h % oh or w % ow:
        raise OnnxExporterError("ember.onnx.export: adaptive max pooling needs output sizes that divide the input (and no indices)")
    if (oh, ow) == (1, 1):
        return g.node("GlobalMaxPool", [_v(g, x, args2[0])])
    kh, kw = h // oh, w // ow
    return g.node("MaxPool", [_v(g, x, args2[0])], kernel_shape=[kh, kw], strides=[kh, kw])


@_register("ConstantPad")
def _constant_pad(g, args, result, args2):
    x, widths, value = args
    widths = [tuple(int(v) for v in w) for w in widths]
    if any(a < 0 or b < 0 for a, b in widths):
        raise OnnxExporterError("ember.onnx.export: negative padding")
    pads = [a for a, _ in widths] + [b for _, b in widths]
    dt = x._data.dtype
    return g.node("Pad", [_v(g, x, args2[0]), g.ints(pads), g.const(np.array(value, dt))], mode="constant")


@_register("IndexPad")
def _index_pad(g, args, result, args2):
    x, maps = args
    y = _v(g, x, args2[0])
    # the padded tensor gathers input rows by index along each padded axis (reflect/replicate/circular)
    for axis, idx, _lo in maps:
        y = g.node("Gather", [y, g.const(np.asarray(idx, dtype=np.int64))], axis=int(axis))
    return y


# -- normalization ----------------------------------------------------------------------------------


@_register("_Affine")
def _batch_norm_eval(g, args, result, args2):
    x, w, b, rmean, rvar, eps = args
    dt = x._data.dtype
    c = x._data.shape[1]
    scale = _v(g, w, args2[1], dtype=dt) if w is not None else g.const(np.ones(c, dt))
    bias = _v(g, b, args2[2], dtype=dt) if b is not None else g.const(np.zeros(c, dt))
    mean = g.value(rmean, args2[3], dtype=dt, what="batch norm")
    var = g.value(rvar, args2[4], dtype=dt, what="batch norm")
    return g.node("BatchNormalization", [_v(g, x, args2[0]), scale, bias, mean, var], epsilon=float(eps))


@_register("BatchNorm")
def _batch_norm_train(g, args, result, args2):
    raise OnnxExporterError("ember.onnx.export: batch norm with batch statistics (module in training mode, or "
                            "track_running_stats=False): export uses running statistics, call model.eval()")


@_register("LayerNorm")
def _layer_norm(g, args, result, args2):
    x, w, b, eps, size = args  # size: the number of normalized elements (product of the trailing dims)
    dt = x._data.dtype
    if w is not None:
        shape = tuple(w.shape)
    else:  # the fewest trailing dims holding `size` elements (extra size-1 dims change nothing)
        k = next(k for k in range(1, x._data.ndim + 1) if int(np.prod(x._data.shape[-k:])) == size)
        shape = tuple(x._data.shape[-k:])
    d = len(shape)
    xn = _v(g, x, args2[0])
    scale = _v(g, w, args2[1]) if w is not None else g.const(np.ones(shape, dt))
    bias = _v(g, b, args2[2]) if b is not None else g.const(np.zeros(shape, dt))
    if g.opset >= 17:
        return g.node("LayerNormalization", [xn, scale, bias], axis=-d, epsilon=float(eps))
    axes = list(range(-d, 0))
    mean = g.node("ReduceMean", [xn], axes=axes, keepdims=1)
    xc = g.node("Sub", [xn, mean])
    var = g.node("ReduceMean", [g.node("Mul", [xc, xc])], axes=axes, keepdims=1)
    inv = g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [var, g.const(np.array(eps, dt))])])])
    return g.node("Add", [g.node("Mul", [g.node("Mul", [xc, inv]), scale]), bias])


@_register("GroupNorm")
def _group_norm(g, args, result, args2):
    x, w, b, groups, eps = args
    dt = x._data.dtype
    shape = x._data.shape
    xn = _v(g, x, args2[0])
    grouped = g.node("Reshape", [xn, g.ints([0, int(groups), -1])])
    axes = [2]
    if g.opset >= 18:
        mean = g.node("ReduceMean", [grouped, g.ints(axes)], keepdims=1)
    else:
        mean = g.node("ReduceMean", [grouped], axes=axes, keepdims=1)
    xc = g.node("Sub", [grouped, mean])
    sq = g.node("Mul", [xc, xc])
    var = g.node("ReduceMean", [sq, g.ints(axes)], keepdims=1) if g.opset >= 18 else \
        g.node("ReduceMean", [sq], axes=axes, keepdims=1)
    normed = g.node("Mul", [xc, g.node("Reciprocal", [g.node("Sqrt", [g.node("Add", [var, g.const(np.array(eps, dt))])])])])
    y = g.node("Reshape", [normed, g.node("Shape", [xn])])
    bshape = [shape[1]] + [1] * (len(shape) - 2)
    if w is not None:
        y = g.node("Mul", [y, g.node("Reshape", [_v(g, w, args2[1]), g.ints(bshape)])])
    if b is not None:
        y = g.node("Add", [y, g.node("Reshape", [_v(g, b, args2[2]), g.ints(bshape)])])
    return y


# -- embedding and dropout --------------------------------------------------------------------------


@_register("Embedding")
def _embedding(g, args, result, args2):
    weight, indices = args[0], args[1]
    return g.node("Gather", [_v(g, weight, args2[0]), g.cast(_v(g, indices, args2[1]), np.int64)], axis=0)


@_register("Dropout")
def _dropout(g, args, result, args2):
    raise OnnxExporterError("ember.onnx.export: dropout in training mode; export the model in eval mode")


# -- recurrent layers -------------------------------------------------------------------------------


def _gate_blocks(a, order, hid):
    """Reorder the stacked gate blocks of a torch weight (or bias) into ONNX's order."""
    return np.concatenate([a[i * hid:(i + 1) * hid] for i in order], axis=0)


def _initial_state(g, h, h2, what):
    """An initial state as an ONNX input: omitted when it is the zeros torch creates by default."""
    if isinstance(h, Tensor) and g.known(h) is not None:
        return g.node("Unsqueeze", [g.value(h), g.ints([0])])
    arr = h._data if isinstance(h, Tensor) else np.asarray(h)
    if not arr.any():
        return ""
    return g.node("Unsqueeze", [g.value(h, h2, what=what), g.ints([0])])


def _rnn(g, args, result, args2, kind):
    if kind == "LSTM":
        x, h0, c0, w_ih, w_hh, b_ih, b_hh = args
        order = (0, 3, 1, 2)  # torch i, f, g, o -> ONNX i, o, f, c
        gates = 4
    elif kind == "GRU":
        x, h0, w_ih, w_hh, b_ih, b_hh = args
        order = (1, 0, 2)  # torch r, z, n -> ONNX z, r, h
        gates = 3
    else:
        x, h0, w_ih, w_hh, b_ih, b_hh, relu = args
        order = (0,)
        gates = 1
    arr = lambda t: t._data if isinstance(t, Tensor) else np.asarray(t)  # noqa: E731
    wi, wh = arr(w_ih), arr(w_hh)
    hid = wh.shape[1]
    dt = x._data.dtype
    W = g.const(_gate_blocks(wi, order, hid)[None], "W")
    R = g.const(_gate_blocks(wh, order, hid)[None], "R")
    bi = arr(b_ih) if b_ih is not None else np.zeros(gates * hid, dt)
    bh = arr(b_hh) if b_hh is not None else np.zeros(gates * hid, dt)
    B = g.const(np.concatenate([_gate_blocks(bi, order, hid), _gate_blocks(bh, order, hid)])[None], "B")
    inputs = [_v(g, x, args2[0]), W, R, B, "", _initial_state(g, h0, args2[1], f"{kind} initial state")]
    attrs = dict(hidden_size=hid)
    if kind == "LSTM":
        inputs.append(_initial_state(g, c0, args2[2], "LSTM initial cell state"))
        op = "LSTM"
    elif kind == "GRU":
        op = "GRU"
        attrs["linear_before_reset"] = 1
    else:
        op = "RNN"
        attrs["activations"] = ["Relu" if relu else "Tanh"]
    while inputs and inputs[-1] == "":
        inputs.pop()
    outs = g.node(op, inputs, n_out=3 if kind == "LSTM" else 2, **attrs)
    y = g.node("Squeeze", [outs[0], g.ints([1])])  # (T, 1, N, H) -> (T, N, H)
    hn = g.node("Squeeze", [outs[1], g.ints([0])])
    if kind == "LSTM":
        return [y, hn, g.node("Squeeze", [outs[2], g.ints([0])])]
    return [y, hn]


_TABLE["LSTMLayer"] = lambda g, a, r, a2: _rnn(g, a, r, a2, "LSTM")
_TABLE["GRULayer"] = lambda g, a, r, a2: _rnn(g, a, r, a2, "GRU")
_TABLE["RNNLayer"] = lambda g, a, r, a2: _rnn(g, a, r, a2, "RNN")

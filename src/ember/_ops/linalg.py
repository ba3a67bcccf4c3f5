"""Matrix products: matmul and its special cases, einsum, and the fused affine map ``linear``."""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ..autograd.function import Op

_wrap = Tensor._wrap


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


class MatMul(Op):
    """Y = A B (batched, broadcasting the batch dims);  dA = dY B^T, dB = A^T dY."""

    _node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = np.matmul(g, np.swapaxes(b, -1, -2)) if need_a else None
        gb = np.matmul(np.swapaxes(a, -1, -2), g) if need_b else None
        return ga, gb


def _check_dtypes(a: Tensor, b: Tensor, name="mat1 and mat2"):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {a.dtype.name} != {b.dtype.name}")


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands."""
    from .shape import squeeze, unsqueeze

    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(other).__name__}")
    _check_dtypes(input, other)
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return dot(input, other)
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        if a.ndim <= 2 and b.ndim <= 2:
            sa = a.shape if a.ndim == 2 else (1,) + a.shape
            sb = b.shape if b.ndim == 2 else b.shape + (1,)
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{ka}] but got: [{kb}]. "
            f"(matmul of shapes {tuple(a.shape)} and {tuple(b.shape)})"
        )
    if a.ndim == 1:
        return squeeze(MatMul.apply(unsqueeze(input, 0), other), -2)
    if b.ndim == 1:
        return squeeze(MatMul.apply(input, unsqueeze(other, -1)), -1)
    if a.ndim > 2 and b.ndim > 2:
        try:
            np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        except ValueError:
            raise RuntimeError(
                f"The size of tensor a ({a.shape[-3]}) must match the size of tensor b ({b.shape[-3]}) at non-singleton dimension {a.ndim - 3}"
            ) from None
    return MatMul.apply(input, other)


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """2-D matrix product."""
    if input._data.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:
    """Batched matrix product of (b, n, k) and (b, k, m)."""
    a, b = input._data, mat2._data
    if a.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )
    _check_dtypes(input, mat2)
    return MatMul.apply(input, mat2)


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat ({_shape_str(input._data.shape)}), vec ({vec._data.shape[0]})")
    return matmul(input, vec)


class Dot(Op):
    """y = sum_i a_i b_i;  da = dy b, db = dy a."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.dot(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {input.dtype.name.capitalize()} and {other.dtype.name.capitalize()}")
    return Dot.apply(input, other)


inner = dot
vdot = dot


def outer(input: Tensor, vec2: Tensor) -> Tensor:
    """a_i b_j."""
    from .pointwise import mul
    from .shape import unsqueeze

    return mul(unsqueeze(input, 1), unsqueeze(vec2, 0))


ger = outer


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2)."""
    from .pointwise import add, mul

    prod = mm(mat1, mat2)
    if alpha != 1:
        prod = mul(prod, alpha)
    base = input if beta == 1 else mul(input, beta)
    return add(base, prod) if beta != 0 else prod


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    from .pointwise import add, mul

    prod = mv(mat, vec)
    return add(mul(input, beta) if beta != 1 else input, mul(prod, alpha) if alpha != 1 else prod)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), batched."""
    from .pointwise import add, mul

    prod = bmm(batch1, batch2)
    if alpha != 1:
        prod = mul(prod, alpha)
    base = input if beta == 1 else mul(input, beta)
    return add(base, prod) if beta != 0 else prod


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    from .pointwise import add, mul
    from .reduce import sum as _sum

    prod = _sum(bmm(batch1, batch2), 0)
    return add(mul(input, beta) if beta != 1 else input, mul(prod, alpha) if alpha != 1 else prod)


class Linear(Op):
    """y = x W^T + b (one GEMM plus a broadcast add);  dx = dy W, dW = dy^T x, db = sum dy."""

    _node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        y = np.matmul(x, weight.T)
        if bias is not None:
            y += bias  # y is fresh, so adding in place saves a temporary
        return y

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = np.matmul(g, weight) if need_x else None
        gw = gb = None
        if need_w or need_b:
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            if need_w:
                x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
                gw = np.matmul(np.swapaxes(g2, 0, 1), x2)
            if need_b:
                gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias, fused."""
    x, w = input._data, weight._data
    if w.ndim != 2 and w.ndim != 1:
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got {w.ndim}-D")
    if w.ndim == 1:
        from .pointwise import add

        out = matmul(input, weight)
        return add(out, bias) if bias is not None else out
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = int(np.prod(x.shape[:-1])) if x.ndim else 1
        sa = (rows, x.shape[-1] if x.ndim else 1)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str((w.shape[1], w.shape[0]))})")
    if x.dtype != w.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {input.dtype.name.capitalize()} and {weight.dtype.name.capitalize()}")
    if bias is not None:
        if bias._data.shape not in ((w.shape[0],), ()):
            raise RuntimeError(f"linear(): bias must have shape ({w.shape[0]},), got {tuple(bias._data.shape)}")
    return Linear.apply(input, weight, bias)


class Einsum(Op):
    """y = einsum(spec, *xs);  dx_i = einsum of dy with the other operands, onto x_i's subscripts."""

    @staticmethod
    def forward(ctx, spec, *xs):
        ctx.spec = spec
        ctx.save_for_backward(*xs)
        return np.asarray(np.einsum(spec, *xs, optimize=len(xs) > 2))

    @staticmethod
    def backward(ctx, g):
        xs = ctx.saved_tensors
        ins, out = ctx.spec.split("->")
        subs = ins.split(",")
        grads = [None]
        for i, s in enumerate(subs):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [x for j, x in enumerate(xs) if j != i]
            other_subs = [t for j, t in enumerate(subs) if j != i]
            available = set(out).union(*other_subs) if other_subs else set(out)
            if len(set(s)) != len(s):
                raise NotImplementedError("einsum backward with a repeated index in one operand is not supported")
            target = "".join(c for c in s if c in available)
            gi = np.einsum(",".join([out] + other_subs) + "->" + target, g, *others)
            if target != s:
                shape = xs[i].shape
                expand = tuple(1 if c not in available else shape[k] for k, c in enumerate(s))
                gi = np.broadcast_to(gi.reshape(expand), shape)
            grads.append(gi)
        return tuple(grads)


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "..." in eq:
        raise NotImplementedError("einsum with '...' is not supported by ember yet; write the dims out")
    if "->" not in eq:
        ins = eq.split(",")
        counts = {}
        for c in "".join(ins):
            counts[c] = counts.get(c, 0) + 1
        eq = eq + "->" + "".join(sorted(c for c, n in counts.items() if n == 1))
    subs = eq.split("->")[0].split(",")
    if len(subs) != len(operands):
        raise RuntimeError(f"einsum(): more operands were provided than specified in the equation" if len(operands) > len(subs) else "einsum(): fewer operands were provided than specified in the equation")
    for s, t in zip(subs, operands):
        if len(s) != t._data.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(s)}) does not match the number of dimensions ({t._data.ndim}) for operand {subs.index(s)} and no ellipsis was given")
    return Einsum.apply(eq, *operands)


def tensordot(a: Tensor, b: Tensor, dims=2) -> Tensor:
    letters = "abcdefghijklmnopqrstuvwxyz"
    if isinstance(dims, int):
        da = list(range(a._data.ndim - dims, a._data.ndim))
        db = list(range(dims))
    else:
        da, db = [list(d) if isinstance(d, (list, tuple)) else [d] for d in dims]
    sa = list(letters[: a._data.ndim])
    sb = list(letters[a._data.ndim : a._data.ndim + b._data.ndim])
    for i, j in zip(da, db):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in da] + [c for k, c in enumerate(sb) if k not in db]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)



__all__ = [
    _n for _n, _v in list(globals().items())
    if not _n.startswith("_") and callable(_v) and not isinstance(_v, type) and getattr(_v, "__module__", None) == __name__
]

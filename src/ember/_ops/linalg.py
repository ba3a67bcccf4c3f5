"""Matrix products: matmul and its special cases, einsum, and the fused affine map ``linear``."""

from __future__ import annotations

import math

import numpy as np

from .._backend import array_module, is_array
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import c_type_name, check_broadcast, type_name
from .shape import squeeze, unsqueeze
from ._out import write_out
from .pointwise import add, mul
from .reduce import sum as _sum

_wrap = Tensor._wrap


def _shape_str(shape) -> str:
    return "x".join(str(s) for s in shape)


class MatMul(Op):
    """Y = A B (batched, broadcasting the batch dims);  dA = dY B^T, dB = A^T dY."""

    _node_name = "MmBackward0"

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        ctx.save_for_backward(a, b)
        return xp.matmul(a, b)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = xp.matmul(g, xp.swapaxes(b, -1, -2)) if need_a else None
        gb = xp.matmul(xp.swapaxes(a, -1, -2), g) if need_b else None
        return ga, gb


def _check_dtypes(a: Tensor, b: Tensor):
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(
            f"expected m1 and m2 to have the same dtype, but got: {c_type_name(a.dtype)} != {c_type_name(b.dtype)}"
        )


def matmul(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Matrix product with NumPy/PyTorch semantics for 1-D, 2-D and batched operands."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"matmul(): argument 'other' must be Tensor, not {type(other).__name__}")
    _check_dtypes(input, other)
    if out is not None:
        return write_out(out, matmul(input, other), "matmul",
                         exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")
    a, b = input._data, other._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        return dot(input, other)
    if a.dtype is _BOOL and a.size and b.size:  # PyTorch has no bool GEMM; name the kernel it would have used
        kernel = "bmm" if b.ndim > 2 else "addmv_impl_cpu" if b.ndim == 1 else "addmm_impl_cpu_"
        _refuse_bool(kernel)
    ka = a.shape[-1]
    kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if ka != kb:
        _check_matmul_shapes(a.shape, b.shape)
    if a.ndim == 1:
        return squeeze(MatMul.apply(unsqueeze(input, 0), other), -2)
    if b.ndim == 1:
        return squeeze(MatMul.apply(input, unsqueeze(other, -1)), -1)
    try:
        return MatMul.apply(input, other)
    except ValueError:  # batch dims that don't broadcast; checked only once NumPy refuses
        _check_matmul_shapes(a.shape, b.shape)
        raise


def _check_matmul_shapes(sa: tuple, sb: tuple) -> None:
    """PyTorch's messages, which name the shapes of the product it reduces matmul to:
    leading dims of a batched-by-matrix product fold into rows (mm), a matrix-vector product
    is an mv, and batched products broadcast their batch dims and become a bmm."""
    ka = sa[-1]
    if len(sb) == 1:
        rows = math.prod(sa[:-1])
        if ka != sb[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{ka}), vec ({sb[0]})")
        return
    if len(sb) == 2:
        if ka != sb[0]:
            rows = math.prod(sa[:-1])
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{ka} and {_shape_str(sb)})")
        return
    batch = check_broadcast(sa[:-2], sb[:-2])
    n = math.prod(batch)
    if ka != sb[-2]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {ka}] but got: [{n}, {sb[-2]}]."
        )


def mm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """2-D matrix product."""
    if out is not None:
        return write_out(out, mm(input, mat2), "mm", exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input: Tensor, mat2: Tensor, *, out=None) -> Tensor:
    """Batched matrix product of (b, n, k) and (b, k, m)."""
    if out is not None:
        return write_out(out, bmm(input, mat2), "bmm", exact="Expected out tensor to have dtype {want_c}, but got {got_c} instead")
    _check_bmm(input._data, mat2._data)
    _check_dtypes(input, mat2)
    if input._data.dtype is _BOOL and input._data.size and mat2._data.size:
        _refuse_bool("bmm")
    return MatMul.apply(input, mat2)


def _check_bmm(a, b) -> None:
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(
            f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}]."
        )


def mv(input: Tensor, vec: Tensor) -> Tensor:
    """Matrix-vector product."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    if input._data.shape[1] != vec._data.shape[0]:
        raise RuntimeError(f"size mismatch, got input ({input._data.shape[0]}), mat ({_shape_str(input._data.shape)}), vec ({vec._data.shape[0]})")
    return matmul(input, vec)


class Dot(Op):
    """y = sum_i a_i b_i;  da = dy b, db = dy a."""

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        ctx.save_for_backward(a, b)
        return xp.asarray(xp.dot(a, b))

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return g * b, g * a


def dot(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """Inner product of two 1-D tensors."""
    if out is not None:
        return write_out(out, dot(input, other), "dot", exact="result dtype {got} does not match input dtype {want}")
    a, b = input._data, other._data
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(
            f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements respectively"
        )
    if a.dtype != b.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {type_name(input.dtype)} and {type_name(other.dtype)}")
    if a.dtype is _BOOL:
        _refuse_bool("dot")
    return Dot.apply(input, other)


_BOOL = np.dtype(bool)


def _refuse_bool(kernel: str) -> None:
    raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


inner = dot
vdot = dot


def outer(input: Tensor, vec2: Tensor, *, out=None) -> Tensor:
    """a_i b_j."""
    if out is not None:
        return write_out(out, outer(input, vec2), "outer")

    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    return mul(unsqueeze(input, 1), unsqueeze(vec2, 0))


ger = outer


class Addmm(Op):
    """Y = beta C + alpha A B (batched like matmul);  dC = beta dY, dA = alpha dY B^T, dB = alpha A^T dY.

    With beta = 0, C is ignored (NaN in it doesn't leak) but still gets its zero gradient.
    """

    @staticmethod
    def forward(ctx, c, a, b, beta, alpha):
        xp = array_module(a, b)
        ctx.save_for_backward(a, b)
        ctx.scales = (beta, alpha)
        y = xp.matmul(a, b)
        if alpha != 1:
            y *= alpha  # y is fresh: scale in place
        if beta != 0:
            y = y + (c if beta == 1 else beta * c)  # out of place: c may broadcast y up
        return y

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        a, b = ctx.saved_tensors
        beta, alpha = ctx.scales
        need_c, need_a, need_b = ctx.needs_input_grad[:3]
        gc = (g if beta == 1 else g * beta) if need_c else None
        ga = xp.matmul(g, xp.swapaxes(b, -1, -2)) if need_a else None
        gb = xp.matmul(xp.swapaxes(a, -1, -2), g) if need_b else None
        if alpha != 1:
            ga = ga * alpha if ga is not None else None
            gb = gb * alpha if gb is not None else None
        return gc, ga, gb, None, None


def _check_addmm_input(name: str, input: Tensor, out_shape: tuple) -> None:
    try:
        shape = np.broadcast_shapes(input._data.shape, out_shape)
    except ValueError:
        shape = None
    if shape != tuple(out_shape):
        raise RuntimeError(
            f"{name}: The input tensor of shape {list(input._data.shape)} can't be broadcast to the "
            f"product's shape {list(out_shape)}"
        )


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2), fused into one node like PyTorch's."""
    if mat1._data.ndim != 2:
        raise RuntimeError("mat1 must be a matrix, got " + f"{mat1._data.ndim}-D tensor")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix, got " + f"{mat2._data.ndim}-D tensor")
    _check_mm_shapes(mat1._data.shape, mat2._data.shape)
    _check_dtypes(mat1, mat2)
    _check_dtypes(input, mat1)
    _check_addmm_input("addmm", input, (mat1._data.shape[0], mat2._data.shape[1]))
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def _check_mm_shapes(sa, sb) -> None:
    if sa[-1] != sb[-2]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(sa)} and {_shape_str(sb)})")


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    prod = mv(mat, vec)
    return add(mul(input, beta) if beta != 1 else input, mul(prod, alpha) if alpha != 1 else prod)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """beta * input + alpha * (batch1 @ batch2), batched, fused into one node."""
    a, b = batch1._data, batch2._data
    _check_bmm(a, b)
    _check_dtypes(batch1, batch2)
    _check_dtypes(input, batch1)
    _check_addmm_input("baddbmm", input, (a.shape[0], a.shape[1], b.shape[2]))
    return Addmm.apply(input, batch1, batch2, beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta=1, alpha=1) -> Tensor:
    prod = _sum(bmm(batch1, batch2), 0)
    return add(mul(input, beta) if beta != 1 else input, mul(prod, alpha) if alpha != 1 else prod)


def _rows(a):
    """(..., K) as a (rows, K) matrix (also when K == 0, where reshape(-1, K) is ambiguous)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _matmul_rows(a, b):
    """a @ b for a 2-D ``b``: a contiguous (..., K) ``a`` is multiplied as one (rows, K) matrix, since
    NumPy's matmul would otherwise run one smaller GEMM per leading index (about 30% slower)."""
    xp = array_module(a, b)
    if a.ndim > 2 and is_array(a) and a.flags.c_contiguous:
        return xp.matmul(_rows(a), b).reshape(a.shape[:-1] + (b.shape[-1],))
    return xp.matmul(a, b)


class Linear(Op):
    """y = x W^T + b (one GEMM plus a broadcast add);  dx = dy W, dW = dy^T x, db = sum dy."""

    _node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        y = _matmul_rows(x, weight.T)
        if bias is not None:
            y += bias  # y is fresh, so adding in place saves a temporary
        return y

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = _matmul_rows(g, weight) if need_x else None
        gw = gb = None
        if need_w or need_b:
            g2 = _rows(g) if g.ndim != 2 else g
            if need_w:
                x2 = _rows(x) if x.ndim != 2 else x
                gw = xp.matmul(xp.swapaxes(g2, 0, 1), x2)
            if need_b:
                gb = g2.sum(axis=0)
        return gx, gw, gb


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = input @ weight.T + bias, fused."""
    x, w = input._data, weight._data
    if w.ndim != 2 and w.ndim != 1:
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got {w.ndim}-D")
    if w.ndim == 1:
        out = matmul(input, weight)
        return add(out, bias) if bias is not None else out
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        rows = math.prod(x.shape[:-1]) if x.ndim else 1
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
        xp = array_module(*xs)
        ctx.spec = spec
        ctx.save_for_backward(*xs)
        return xp.asarray(xp.einsum(spec, *xs, optimize=len(xs) > 2))

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
            grads.append(_einsum_operand_grad(g, out, s, tuple(xs[i].shape), others, other_subs))
        return tuple(grads)


def _einsum_operand_grad(g, out: str, s: str, shape: tuple, others, other_subs):
    """d einsum / d operand with subscripts ``s``: contract dY with the other operands onto s.

    Letters that only this operand has (summed inside it) get dY broadcast over them; a letter
    repeated in s (a diagonal, 'ii->i') gets the gradient placed on that diagonal, by an einsum
    with identity matrices. NumPy calls only, so it also runs on Tensors (create_graph).
    """
    xp = array_module(g, *others)
    sizes = {c: n for c, n in zip(s, shape)}
    uniq = "".join(dict.fromkeys(s))
    available = set(out).union(*other_subs)
    target = "".join(c for c in uniq if c in available)
    gi = xp.einsum(",".join([out] + other_subs) + "->" + target, g, *others)
    if target != uniq:
        keep = tuple(sizes[c] if c in available else 1 for c in uniq)
        gi = xp.broadcast_to(gi.reshape(keep), tuple(sizes[c] for c in uniq))
    if uniq == s:
        return gi
    unused = iter(c for c in _LETTERS if c not in sizes and c not in available)
    renamed, seen, deltas = "", set(), []
    for c in s:
        if c in seen:
            z = next(unused)
            deltas.append((c + z, xp.eye(sizes[c], dtype=_dtype_of(g))))
            c = z
        seen.add(c)
        renamed += c
    spec = ",".join([uniq] + [d for d, _ in deltas]) + "->" + renamed
    return xp.einsum(spec, gi, *[e for _, e in deltas])


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _dtype_of(x):
    return x._data.dtype if isinstance(x, Tensor) else x.dtype


def _split_dims(sub: str, shape: tuple):
    """(named letters, their sizes, the ellipsis dims) of one operand, wherever '...' sits."""
    if "..." not in sub:
        return sub, tuple(shape), ()
    i = sub.index("...")
    head, tail = sub[:i], sub[i + 3 :]
    nd = len(shape)
    tail_dims = tuple(shape[nd - len(tail) :]) if tail else ()
    return head + tail, tuple(shape[: len(head)]) + tail_dims, tuple(shape[len(head) : nd - len(tail)])


def _expand_ellipsis(eq: str, operands) -> str:
    """Rewrite '...' as explicit letters (NumPy-style broadcasting of the batch dims), check
    that each letter has one size, and make the output explicit: PyTorch's implicit output
    is '...' then the letters used once, sorted."""
    ins, out = eq.split("->") if "->" in eq else (eq, None)
    subs = ins.split(",")
    if len(subs) != len(operands):
        raise RuntimeError(
            "einsum(): more operands were provided than specified in the equation"
            if len(operands) > len(subs)
            else "einsum(): fewer operands were provided than specified in the equation"
        )
    used = set(c for c in eq if c.isalpha())
    fresh = iter(c for c in _LETTERS if c not in used)
    parts, seen = [], {}
    for k, (sub, t) in enumerate(zip(subs, operands)):
        nd = t._data.ndim
        n_named = len(sub) - (3 if "..." in sub else 0)
        if "..." in sub and nd < n_named:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_named}) is more than the number of "
                f"dimensions ({nd}) for operand {k}"
            )
        if "..." not in sub and n_named != nd:
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_named}) does not match the number of "
                f"dimensions ({nd}) for operand {k} and no ellipsis was given"
            )
        named, dims, ell = _split_dims(sub, t._data.shape)
        for c, n in zip(named, dims):
            if c in seen and n != seen[c] and 1 not in (n, seen[c]):
                raise RuntimeError(
                    f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast with previously "
                    f"seen size {seen[c]}"
                )
            seen.setdefault(c, n)
        parts.append(ell)
    ell_shapes = [e for sub, e in zip(subs, parts) if "..." in sub]
    n_ell = max((len(e) for e in ell_shapes), default=0)
    ell_letters = [next(fresh) for _ in range(n_ell)]
    ell_out = ()
    if ell_shapes:
        try:
            ell_out = np.broadcast_shapes(*ell_shapes)
        except ValueError:
            raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes {[list(e) for e in ell_shapes]}") from None
    new_subs = []
    for sub, ell in zip(subs, parts):
        if "..." not in sub:
            new_subs.append(sub)
            continue
        off = n_ell - len(ell)
        # a size-1 dim broadcast against a larger one gets a letter of its own (summed away, size 1)
        letters = [next(fresh) if n == 1 and ell_out[off + j] != 1 else ell_letters[off + j] for j, n in enumerate(ell)]
        new_subs.append(sub.replace("...", "".join(letters)))
    if out is None:
        counts = {}
        for c in "".join(subs):
            if c.isalpha():
                counts[c] = counts.get(c, 0) + 1
        out = "".join(ell_letters) + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        out = out.replace("...", "".join(ell_letters))
    return ",".join(new_subs) + "->" + out


def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, e.g. ``einsum('bij,bjk->bik', a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = _expand_ellipsis(equation.replace(" ", ""), operands)
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

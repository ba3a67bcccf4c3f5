"""Finite-difference gradient checks, PyTorch's ``gradcheck``/``gradgradcheck``.

The numerical Jacobian comes from central differences, the analytical one from one
backward pass per output element; they must agree within ``atol + rtol * |numerical|``
for every (output, input) pair. Use float64 inputs: float32 differences are too coarse.
"""

from __future__ import annotations

import warnings

import numpy as np

from .. import _tensor as _T
from . import grad_mode as _gm
from .engine import grad as _grad

Tensor = _T.Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _differentiable_outputs(func, inputs) -> list:
    """The floating-point tensors ``func`` returns (others have no Jacobian)."""
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _flat_outputs(func, inputs, grad_mode: bool) -> list:
    # No graph is needed for finite differences, except when func itself differentiates
    # (gradgradcheck's first derivative).
    with _gm.set_grad_enabled(grad_mode):
        return [o._data.astype(np.float64).reshape(-1) for o in _differentiable_outputs(func, inputs)]


def _numerical_jacobians(func, inputs, diff_idx, eps, grad_mode: bool = False) -> list:
    """``J[o][i]`` of shape (outputs[o].numel(), inputs[i].numel()) by central differences.

    Each element is perturbed in place through its multi-index, so inputs that are not
    contiguous (a transposed tensor) are perturbed too, and restored exactly afterwards.
    """
    n_outputs = len(_flat_outputs(func, inputs, grad_mode))
    jac = [[None] * len(diff_idx) for _ in range(n_outputs)]
    for j, i in enumerate(diff_idx):
        data = inputs[i]._data
        cols = [[] for _ in range(n_outputs)]
        for k in range(data.size):
            index = np.unravel_index(k, data.shape)
            orig = data[index].copy()
            data[index] = orig + eps
            plus = _flat_outputs(func, inputs, grad_mode)
            data[index] = orig - eps
            minus = _flat_outputs(func, inputs, grad_mode)
            data[index] = orig
            for o in range(n_outputs):
                cols[o].append((plus[o] - minus[o]) / (2 * eps))
        sizes = [a.size for a in _flat_outputs(func, inputs, grad_mode)]
        for o in range(n_outputs):
            jac[o][j] = np.stack(cols[o], axis=1) if cols[o] else np.zeros((sizes[o], 0))
    return jac


def _analytical_jacobians(func, inputs, diff_idx) -> list:
    """``J[o][i]`` from backward: row r is the gradient of output element r (one graph, retained)."""
    with _gm.enable_grad():
        outs = _differentiable_outputs(func, inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    jac = [[np.zeros((o._data.size, inputs[i]._data.size)) for i in diff_idx] for o in outs]
    for o, out in enumerate(outs):
        if not out._requires_grad:
            continue
        for r in range(out._data.size):
            seed = np.zeros(out._data.shape, dtype=out._data.dtype)
            seed.reshape(-1)[r] = 1
            grads = _grad([out], diff_inputs, [Tensor._wrap(seed)], retain_graph=True, allow_unused=True)
            for j, g in enumerate(grads):
                if g is not None:
                    if g.shape != inputs[diff_idx[j]].shape:
                        raise GradcheckError(
                            f"Gradient for input {diff_idx[j]} has shape {tuple(g.shape)}, expected "
                            f"{tuple(inputs[diff_idx[j]].shape)}"
                        )
                    jac[o][j][r] = g._data.reshape(-1)
    return jac


def gradcheck(
    func,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked=None,
) -> bool:
    """Check the gradients of ``func`` at ``inputs`` against finite differences.

    Every floating output is differentiated with respect to every input that requires
    grad; analytical and numerical Jacobians must satisfy
    ``|analytical - numerical| <= atol + rtol * |numerical|``. Returns True, or raises
    ``GradcheckError`` (returns False when ``raise_exception=False``).

    ``fast_mode=True`` runs the full check (it covers what PyTorch's projected check does);
    the checks ember has no machinery for (batched gradients: no vmap; forward-mode AD; masked
    sparse semantics; gradient dtypes) raise NotImplementedError when asked for, rather than pass
    unchecked.
    """
    _refuse_unsupported(check_batched_grad=check_batched_grad, check_batched_forward_grad=check_batched_forward_grad,
                        check_forward_ad=check_forward_ad, check_grad_dtypes=check_grad_dtypes, masked=bool(masked))
    return _gradcheck(func, inputs, eps, atol, rtol, raise_exception, check_backward_ad)


def _refuse_unsupported(**requested) -> None:
    """PyTorch's gradcheck options that ember cannot honour: asking for one raises."""
    asked = [name for name, on in requested.items() if on]
    if asked:
        raise NotImplementedError(
            f"ember's gradcheck cannot perform {', '.join(f'{a}=True' for a in asked)} (no vmap, no forward-mode AD, "
            "no masked or dtype checks); leave them False"
        )


def _gradcheck(func, inputs, eps, atol, rtol, raise_exception, check_backward_ad=True, numerical_grad_mode=False) -> bool:
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    if not diff_idx:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True."
        )
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or complex. "
                "This check will likely fail if all the inputs are not of double precision floating point or complex.",
                stacklevel=3,
            )
    if not check_backward_ad:
        return True
    analytical = _analytical_jacobians(func, inputs, diff_idx)
    numerical = _numerical_jacobians(func, inputs, diff_idx, eps, numerical_grad_mode)
    for o, (a_row, n_row) in enumerate(zip(analytical, numerical)):
        for j, (a, n) in enumerate(zip(a_row, n_row)):
            if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
                msg = (
                    f"Jacobian mismatch for output {o} with respect to input {diff_idx[j]},\n"
                    f"numerical:{_show(n)}\nanalytical:{_show(a)}\n"
                )
                if raise_exception:
                    raise GradcheckError(msg)
                return False
    return True


def _show(jacobian: np.ndarray) -> str:
    return repr(Tensor._wrap(jacobian))


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: ``gradcheck`` of the map (inputs, grad_outputs) ->
    vector-Jacobian product ``grad(func(inputs), inputs, grad_outputs, create_graph=True)``.

    ``grad_outputs`` default to random tensors (fixed seed) that require grad, so the
    check covers the derivative with respect to them as well, like PyTorch's. Options ember
    cannot honour (batched, forward-over-reverse, masked, dtype checks) raise when set.
    """
    _refuse_unsupported(check_batched_grad=check_batched_grad, check_fwd_over_rev=check_fwd_over_rev,
                        check_grad_dtypes=check_grad_dtypes, masked=bool(masked))
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    with _gm.enable_grad():
        outs = _differentiable_outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(
            Tensor._wrap(rng.standard_normal(o._data.shape).astype(o._data.dtype)).requires_grad_() for o in outs
        )
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_derivative(*args):
        xs, gos = args[:n_in], args[n_in:]
        outputs = _differentiable_outputs(func, xs)
        grads = _grad(outputs, [xs[i] for i in diff_idx], list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    if not check_rev_over_rev:
        return True
    return _gradcheck(
        first_derivative, inputs + tuple(grad_outputs), eps, atol, rtol, raise_exception, numerical_grad_mode=True
    )

"""Finite-difference gradient checks, PyTorch's ``gradcheck``/``gradgradcheck``.

The numerical Jacobian comes from central differences; the analytical one from one
backward pass per output element. Use float64 inputs: float32 differences are too coarse.
"""

from __future__ import annotations

import numpy as np

from .. import _tensor as _T
from . import grad_mode as _gm
from .engine import grad as _grad

Tensor = _T.Tensor


class GradcheckError(RuntimeError):
    """Raised by gradcheck when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs):
    return [o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor) and o._data.dtype.kind == "f"]


def _numerical_jacobians(func, inputs, diff_idx, eps):
    """J[i] of shape (n_out_total, n_in_i) for each differentiable input i."""
    jacobians = []
    with _gm.no_grad():
        for i in diff_idx:
            x = inputs[i]
            flat = x._data.reshape(-1)
            cols = []
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + eps
                plus = np.concatenate([o._data.reshape(-1).astype(np.float64) for o in _outputs(func, inputs)] or [np.zeros(0)])
                flat[k] = orig - eps
                minus = np.concatenate([o._data.reshape(-1).astype(np.float64) for o in _outputs(func, inputs)] or [np.zeros(0)])
                flat[k] = orig
                cols.append((plus - minus) / (2 * eps))
            n_out = cols[0].size if cols else sum(o._data.size for o in _outputs(func, inputs))
            jacobians.append(np.stack(cols, axis=1) if cols else np.zeros((n_out, 0)))
    return jacobians


def _analytical_jacobians(func, inputs, diff_idx):
    with _gm.enable_grad():
        outs = _outputs(func, inputs)
    diff_inputs = [inputs[i] for i in diff_idx]
    n_out = sum(o._data.size for o in outs)
    jac = [np.zeros((n_out, inputs[i]._data.size)) for i in diff_idx]
    row = 0
    for o in outs:
        for k in range(o._data.size):
            if not o._requires_grad:
                row += 1
                continue
            seed = np.zeros(o._data.shape, dtype=o._data.dtype)
            seed.reshape(-1)[k] = 1
            grads = _grad([o], diff_inputs, [Tensor._wrap(seed)], retain_graph=True, allow_unused=True)
            for j, g in enumerate(grads):
                if g is not None:
                    jac[j][row] = g._data.reshape(-1)
            row += 1
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
    fast_mode: bool = False,
    masked=None,
) -> bool:
    """Check ``func``'s gradients against finite differences for inputs that require grad."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    if not diff_idx:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them have requires_grad=True.")
    for i in diff_idx:
        if inputs[i]._data.dtype != np.float64:
            import warnings

            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point. "
                "This check will likely fail if all the inputs are not of double precision floating point.",
                stacklevel=2,
            )
    analytical = _analytical_jacobians(func, inputs, diff_idx)
    numerical = _numerical_jacobians(func, inputs, diff_idx, eps)
    for j, (a, n) in enumerate(zip(analytical, numerical)):
        if a.shape != n.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
            msg = (
                f"Jacobian mismatch for output 0 with respect to input {diff_idx[j]},\n"
                f"numerical:{n}\nanalytical:{a}\n"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


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
    """Check second derivatives: gradcheck of (inputs, grad_outputs) -> d(func)/d(inputs) . grad_outputs."""
    inputs = _as_tuple(inputs)
    diff_idx = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x._requires_grad]
    with _gm.enable_grad():
        outs = _outputs(func, inputs)
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
        with _gm.enable_grad():  # gradcheck evaluates this under no_grad for its finite differences
            outputs = _outputs(func, xs)
            diff_inputs = [xs[i] for i in diff_idx]
            grads = _grad(outputs, diff_inputs, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivative, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol, raise_exception=raise_exception
    )

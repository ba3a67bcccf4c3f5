"""Derivatives of whole functions: ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp`` (PyTorch's
``torch.autograd.functional``).

Each takes ``func`` and its ``inputs`` (a tensor or a tuple of tensors) and returns results nested as
torch's: a tensor where the function takes/returns a tensor, tuples where it takes/returns tuples.
Everything is computed with reverse mode: a Jacobian-vector product uses the double-backward trick
(differentiate the vector-Jacobian product ``uᵀJ`` with respect to a dummy ``u``), as torch's does.
ember has no forward-mode AD, so ``strategy="forward-mode"`` raises ``NotImplementedError``.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import _creation as C
from .._ops.shape import stack as _stack
from .._tensor import Tensor
from .engine import grad as _grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(value, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_tuple, value as a tuple)``, after checking every entry is a tensor (torch's TypeError)."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but {where} "
                f"has type {type(el)}."
            )
    return is_tuple, items


def _unpack(res, to_unpack):
    """Undo the tupling of results: ``to_unpack`` is one flag, or (outer, inner) flags for nested results."""
    if isinstance(to_unpack, tuple):
        outer, inner = to_unpack
        if not inner:
            res = tuple(el[0] for el in res)
        if not outer:
            res = res[0]
    elif not to_unpack:
        res = res[0]
    return res


def _preprocess(inputs, create_graph: bool, need_graph: bool) -> tuple:
    """Fresh graph roots for the inputs: a view (keeps the caller's graph) with create_graph, else detached."""
    return tuple(
        inp.view_as(inp) if create_graph and inp.requires_grad else inp.detach().requires_grad_(need_graph)
        for inp in inputs
    )


def _postprocess(values, create_graph: bool):
    if isinstance(values[0], Tensor):
        return values if create_graph else tuple(v.detach() for v in values)
    return tuple(_postprocess(v, create_graph) for v in values)


def _validate_v(v, other, is_other_tuple: bool) -> None:
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (el_v, el_other) in enumerate(zip(v, other)):
        if el_v.size() != el_other.size():
            prepend = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prepend}v has invalid size: should be {el_other.size()} but got {el_v.size()}.")


_INDEPENDENT = {
    "hessian": "The hessian of the user-provided function with respect to input {i} is independent of the input. "
    "This is not allowed in strict mode. You should ensure that your function is thrice differentiable and that "
    "the hessian depends on the inputs.",
    "jacobian": "While computing the hessian, found that the jacobian of the user-provided function with respect "
    "to input {i} is independent of the input. This is not allowed in strict mode. You should ensure that your "
    "function is twice differentiable and that the jacobian depends on the inputs (this would be violated by a "
    "linear function for example).",
    "grad_inputs": "The gradient with respect to input {i} is independent of the inputs of the user-provided "
    "function. This is not allowed in strict mode.",
    "outputs": "Output {i} of the user-provided function does not require gradients. The outputs must be computed "
    "in a differentiable manner from the input when running in strict mode.",
}


def _check_requires_grad(values, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, value in enumerate(values):
        if value is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode."
            )
        if not value.requires_grad:
            raise RuntimeError(_INDEPENDENT[kind].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None) -> tuple:
    """``autograd.grad`` over the outputs that require grad (None for every input when none does)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    kept = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not kept:
        return (None,) * len(inputs)
    return _grad([o for o, _ in kept], inputs, [g for _, g in kept], allow_unused=True, create_graph=create_graph,
                 retain_graph=retain_graph)


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict "
    "mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
    "using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed "
    "in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the "
    "grad_jacobian. This is not allowed in strict mode as it prevents from using the double backward trick to "
    "replace forward mode AD.",
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros for the inputs a result does not depend on (an error in strict mode)."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = C.zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            which = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {which} of the user-provided function is independent of input {i}. "
                "This is not allowed in strict mode when create_graph=True."
            )
        res.append(g)
    return tuple(res)


def _setup(func, inputs, v, fn_name: str, create_graph: bool, strict: bool, v_matches: str):
    """The shared prologue: inputs as fresh roots, ``v`` checked against the inputs or the outputs, ``func`` run.

    Returns ``(is_inputs_tuple, inputs, v, is_outputs_tuple, outputs)``; ``v_matches`` is ``"outputs"``
    (vjp) or ``"inputs"`` (jvp, hvp, vhp), which also decides when ``v`` may be None."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    inputs = _preprocess(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _as_tuple(v, "v", fn_name)
        v = _preprocess(v, create_graph, need_graph=False)
        if v_matches == "inputs":
            _validate_v(v, inputs, is_inputs_tuple)
    elif v_matches == "inputs" and (len(inputs) != 1 or inputs[0].nelement() != 1):
        raise RuntimeError(
            "The vector v can only be None if the input to the user-provided function is a single Tensor "
            "with a single element."
        )
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", fn_name)
    _check_requires_grad(outputs, "outputs", strict)
    if v_matches == "outputs":
        if v is not None:
            _validate_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].nelement() != 1:
            raise RuntimeError(
                "The vector v can only be None if the user-provided function returns a single Tensor with a "
                "single element."
            )
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs


def _check_scalar_output(fn_name: str, is_outputs_tuple: bool, outputs) -> None:
    if is_outputs_tuple:
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].nelement() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should contain a single element")


def _finish(outputs, of, wrt, v, refs, stage: str, create_graph: bool, strict: bool, is_outputs_tuple: bool,
            is_result_tuple: bool):
    """The last backward pass (``of`` differentiated by ``wrt`` along ``v``, zeros where independent) and the
    ``(outputs, result)`` pair nested as torch's; grad mode stays the caller's unless ``create_graph``."""
    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _autograd_grad(of, wrt, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, refs, strict, create_graph, stage)
    return (_unpack(_postprocess(outputs, create_graph), is_outputs_tuple),
            _unpack(_postprocess(result, create_graph), is_result_tuple))


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ J)``: the vector-Jacobian product of ``func`` at ``inputs``.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: shaped like the outputs (may be None when ``func`` returns a one-element tensor).
        create_graph: keep the results differentiable (for higher derivatives).
        strict: raise when an output does not depend on an input instead of returning zeros.
    """
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs = _setup(
            func, inputs, v, "vjp", create_graph, strict, "outputs")
    return _finish(outputs, outputs, inputs, v, inputs, "back", create_graph, strict, is_outputs_tuple,
                   is_inputs_tuple)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors.
        v: shaped like the inputs (may be None for a single one-element input).
        create_graph, strict: as in `vjp`.
    """
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs = _setup(
            func, inputs, v, "jvp", create_graph, strict, "inputs")
        # uᵀJ is linear in the dummy u, so differentiating it by u along v gives J v
        dummies = tuple(C.zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, dummies, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    return _finish(outputs, grad_inputs, dummies, v, outputs, "back_trick", create_graph, strict, is_outputs_tuple,
                   is_outputs_tuple)


def jacobian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: entry ``[i][j]`` has shape ``output_i.shape + input_j.shape``.

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or a tuple of tensors (a tensor gives the inner level unnested, as torch's).
        create_graph: keep the Jacobian differentiable.
        strict: raise when an output does not depend on an input instead of returning zeros.
        vectorize: torch batches the backward passes with vmap; ember has no vmap, so ``True`` computes
            the same Jacobian row by row (same values, no speed-up), after torch's check that it is not
            combined with ``strict``.
        strategy: ``"reverse-mode"``; ``"forward-mode"`` raises ``NotImplementedError`` (ember has no forward AD).
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has more '
            'outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
            '"reverse-mode".'
        )
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(
                "torch.autograd.functional.jacobian: `create_graph=True` and `strategy=\"forward-mode\"` are not "
                "supported together (yet). Please either set `create_graph=False` or `strategy=\"reverse-mode\"`."
            )
        if strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `strategy=\"forward-mode\"` are not "
                "supported together (yet). Please either set `strict=False` or `strategy=\"reverse-mode\"`."
            )
        raise NotImplementedError(
            "ember.autograd.functional.jacobian: strategy=\"forward-mode\" needs forward-mode AD, which ember does "
            "not have; use strategy=\"reverse-mode\" (the same Jacobian)."
        )
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _preprocess(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", "jacobian")
        _check_requires_grad(outputs, "outputs", strict)
        if vectorize and strict:
            raise RuntimeError(
                "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not supported together. "
                "Please either set `strict=False` or `vectorize=False`."
            )
        jac = tuple(_jacobian_rows(i, out, inputs, create_graph, strict) for i, out in enumerate(outputs))
        return _unpack(_postprocess(jac, create_graph), (is_outputs_tuple, is_inputs_tuple))


def _jacobian_rows(i: int, out, inputs, create_graph: bool, strict: bool) -> tuple:
    """Output ``i``'s Jacobian blocks, one backward pass per element of the output."""
    rows: tuple[list, ...] = tuple([] for _ in inputs)
    flat = out.reshape(-1)
    for j in range(out.nelement()):
        grads = _autograd_grad((flat[j],), inputs, retain_graph=True, create_graph=create_graph)
        for k, (row, g, inp) in enumerate(zip(rows, grads, inputs)):
            if g is None:
                if strict:
                    raise RuntimeError(
                        f"Output {i} of the user-provided function is independent of input {k}. "
                        "This is not allowed in strict mode."
                    )
                g = C.zeros_like(inp)
            elif strict and create_graph and not g.requires_grad:
                raise RuntimeError(
                    f"The jacobian of the user-provided function is independent of input {i}. "
                    "This is not allowed in strict mode when create_graph=True."
                )
            row.append(g)
    return tuple(
        _stack(row, dim=0).view(tuple(out.size()) + tuple(inp.size()))
        for row, inp in zip(rows, inputs)
    )


def hessian(func: Callable, inputs, create_graph: bool = False, strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar function: entry ``[i][j]`` has shape ``input_i.shape + input_j.shape``.

    Args:
        func: a function of tensors returning a one-element tensor.
        inputs: a tensor or a tuple of tensors.
        create_graph, strict, vectorize: as in `jacobian`.
        outer_jacobian_strategy: the strategy of the outer `jacobian` (``"forward-mode"`` raises in ember).
    """
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp):
        out = func(*inp)
        is_out_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if is_out_tuple:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.nelement() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should contain a single element")
        return out.squeeze()

    def jac_func(*inp):
        jac = jacobian(single_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    return _unpack(res, (is_inputs_tuple, is_inputs_tuple))


def _scalar_gradient(func, inputs, v, fn_name: str, create_graph: bool, strict: bool):
    """vhp/hvp's prologue: ``func`` run, checked to return one element, and its gradient kept differentiable."""
    is_inputs_tuple, inputs, v, is_outputs_tuple, outputs = _setup(
        func, inputs, v, fn_name, create_graph, strict, "inputs")
    _check_scalar_output(fn_name, is_outputs_tuple, outputs)
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def _hessian_product(fn_name: str, func, inputs, v, create_graph: bool, strict: bool):
    """vᵀH (``"vhp"``: differentiate the gradient along v) or Hv (``"hvp"``: the double-backward trick on it)."""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _scalar_gradient(
            func, inputs, v, fn_name, create_graph, strict)
        if fn_name == "vhp":
            of, wrt, stage = jac, inputs, "double_back"
        else:
            wrt = tuple(C.zeros_like(inp, requires_grad=True) for inp in inputs)
            of, stage = _autograd_grad(jac, inputs, wrt, create_graph=True), "double_back_trick"
            _check_requires_grad(jac, "hessian", strict)
    return _finish(outputs, of, wrt, v, inputs, stage, create_graph, strict, is_outputs_tuple, is_inputs_tuple)


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), vᵀ H)``: the vector-Hessian product of a scalar function.

    Args:
        func: a function of tensors returning a one-element tensor.
        inputs: a tensor or a tuple of tensors.
        v: shaped like the inputs (may be None for a single one-element input).
        create_graph, strict: as in `vjp`.
    """
    return _hessian_product("vhp", func, inputs, v, create_graph, strict)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(inputs), H v)``: the Hessian-vector product of a scalar function, by the double-backward trick
    (the arguments are `vhp`'s; for the symmetric Hessian of a twice-differentiable function the two agree)."""
    return _hessian_product("hvp", func, inputs, v, create_graph, strict)

"""Shared oracle for the hostile property tests: run the same call on torch and on ember.

Either both raise, ember an exception of the class torch raises (its nearest built-in class: torch's
own error types derive from the built-in ones), or both return, with the same shapes, dtypes and
values. A NumPy/Python error escaping from deep inside ember shows up as a class mismatch.
"""

import builtins
import traceback
import warnings

import numpy as np

import ember

torch = __import__("pytest").importorskip("torch")


def builtin_class(cls: type) -> type:
    for c in cls.__mro__:
        if getattr(builtins, c.__name__, None) is c:
            return c
    return Exception


def tensor(lib, array, requires_grad=False):
    array = np.asarray(array)
    t = lib.from_numpy(array.copy()) if lib is torch else ember.from_numpy(array.copy())
    if requires_grad and array.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def _run(lib, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(lib)
        except Exception as e:  # noqa: BLE001 - the class is what is compared
            return "err", e


def _arrays(out):
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in _arrays(o)]
    if hasattr(out, "detach"):
        return [out.detach().numpy()]
    if isinstance(out, (int, float, bool, np.ndarray, np.generic)):
        return [np.asarray(out)]
    return []  # a module or another object: constructing it without error is what was compared


def same_behaviour(fn, rtol=1e-4, atol=1e-5, backward=False, empty_backward=True):
    """Assert ``fn(torch)`` and ``fn(ember)`` raise the same class or return the same values.

    With ``backward``, ``fn`` returns ``(output, inputs)``; the sum of the output is back-propagated and
    the gradients of ``inputs`` compared too (not for an empty output with ``empty_backward=False``:
    some of torch's backward kernels abort the process on those).
    """
    kt, t = _run(torch, fn)
    ke, e = _run(ember, fn)
    if kt == "err":
        expected = builtin_class(type(t))
        assert ke == "err", f"torch raised {type(t).__name__}: {t}; ember returned"
        where = "".join(traceback.format_tb(e.__traceback__)[-2:])
        assert isinstance(e, expected), (
            f"torch raised {type(t).__name__}: {str(t)[:200]}\nember raised {type(e).__name__}: {str(e)[:200]}\n{where}"
        )
        return
    if ke == "err":
        where = "".join(traceback.format_tb(e.__traceback__)[-3:])
        raise AssertionError(f"torch returned; ember raised {type(e).__name__}: {e}\n{where}")
    if backward:
        (t, t_inputs), (e, e_inputs) = t, e
        outs_t, outs_e = [t], [e]
        for lib, out, inputs, acc in ((torch, t, t_inputs, outs_t), (ember, e, e_inputs, outs_e)):
            if out.requires_grad and (empty_backward or t.numel()):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    out.sum().backward()
            acc.extend(i.grad if i.grad is not None else lib.zeros(0) for i in inputs)
        t, e = outs_t, outs_e
    ta, ea = _arrays(t), _arrays(e)
    assert len(ta) == len(ea)
    for a, b in zip(ta, ea):
        assert a.shape == b.shape, f"shape: torch {a.shape}, ember {b.shape}"
        assert a.dtype == b.dtype, f"dtype: torch {a.dtype}, ember {b.dtype}"
        if a.dtype.kind == "f":
            np.testing.assert_allclose(b, a, rtol=rtol, atol=atol, equal_nan=True)
        else:
            np.testing.assert_array_equal(b, a)

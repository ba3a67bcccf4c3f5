"""Registry-driven parity: every op x shape case against PyTorch (values, dtypes, shapes and
the gradient of every input), in float64 and float32, on integer inputs where PyTorch takes
them, plus finite-difference gradcheck and second-order gradgradcheck in float64."""

from __future__ import annotations

import numpy as np
import pytest

import ember
from _registry import REGISTRY, OpSpec, _domains, cases, make_arrays
from helpers import check_against_torch

# var/std with no degrees of freedom warn (like torch); those cases are tested on purpose
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0:UserWarning")

torch = pytest.importorskip("torch")


def _run(spec: OpSpec, arrays, rtol, atol, grad=True):
    check_against_torch(
        lambda *xs: spec.fn(ember, *xs),
        lambda *xs: spec.fn(torch, *xs),
        arrays,
        rtol=rtol,
        atol=atol,
        grad=grad and spec.grad,
    )


@pytest.mark.parametrize("spec, shapes", cases(REGISTRY))
def test_float64_values_dtypes_and_gradients_match_torch(spec, shapes):
    _run(spec, make_arrays(spec, shapes), spec.rtol, spec.atol)


@pytest.mark.parametrize("spec, shapes", cases(REGISTRY))
def test_float32_values_dtypes_and_gradients_match_torch(spec, shapes):
    _run(spec, make_arrays(spec, shapes, dtype=np.float32), max(spec.rtol, 1e-5), max(spec.atol, 1e-5))


def _int_arrays(spec, shapes, seed=0):
    """int64 inputs respecting the op's domain (positive bases, non-zero divisors)."""
    rng = np.random.default_rng(seed)
    out = []
    for s, d in zip(shapes, _domains(spec, len(shapes))):
        if d in ("pos",):
            a = rng.integers(1, 5, s)
        elif d in ("nonzero", "offint"):
            a = rng.integers(1, 5, s) * rng.choice([-1, 1], s)
        elif d == "distinct":
            n = int(np.prod(s, dtype=np.int64))
            a = rng.permutation(n).reshape(s) - n // 2
        elif d == "bool":
            a = rng.random(s) < 0.5
        else:
            a = rng.integers(-5, 6, s)
        out.append(np.asarray(a, dtype=bool if d == "bool" else np.int64))
    return out


@pytest.mark.parametrize("spec, shapes", cases(REGISTRY, keep=lambda s: s.ints))
def test_int64_inputs_match_torch(spec, shapes):
    _run(spec, _int_arrays(spec, shapes), 1e-6, 1e-7, grad=False)


@pytest.mark.parametrize("spec, shapes", cases(REGISTRY, nonempty_only=True, keep=lambda s: s.gradcheck and s.grad))
def test_gradcheck_float64(spec, shapes):
    arrays = make_arrays(spec, shapes, seed=3)
    inputs = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    if not any(t.requires_grad for t in inputs):
        pytest.skip("no differentiable input")
    assert ember.autograd.gradcheck(lambda *xs: spec.fn(ember, *xs), tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("spec, shapes", cases(REGISTRY, nonempty_only=True, keep=lambda s: s.gradgrad))
def test_gradgradcheck_float64(spec, shapes):
    arrays = make_arrays(spec, shapes, seed=4)
    inputs = [ember.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    assert ember.autograd.gradgradcheck(lambda *xs: spec.fn(ember, *xs), tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("spec, shapes", cases(REGISTRY, keep=lambda s: s.ints))
def test_bool_inputs_match_torch_or_raise_like_it(spec, shapes):
    """Bool tensors: the same result dtype and values as torch, or the same exception type."""
    rng = np.random.default_rng(5)
    arrays = [rng.random(s) < 0.5 for s in shapes]
    try:
        spec.fn(torch, *[torch.tensor(a) for a in arrays])
    except (RuntimeError, TypeError, ValueError, IndexError) as exc:
        with pytest.raises(type(exc)):
            spec.fn(ember, *[ember.tensor(a) for a in arrays])
        return
    _run(spec, arrays, 1e-6, 1e-7, grad=False)

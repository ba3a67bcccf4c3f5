"""repr(tensor) is PyTorch's, character for character (ember.float64 for torch.float64)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

_rng = np.random.default_rng(0)

ARRAYS = {
    "ints_as_floats": np.array([1.0, 2.0]),
    "quarters": np.array([1.5, 2.25]),
    "span_1e3": np.array([0.1, 100.0]),
    "tiny": np.array([1e-5, 1.0]),
    "huge": np.array([1e10, 1.0]),
    "exactly_1e8": np.array([1e8]),
    "1e7_and_frac": np.array([1e7, 1.5]),
    "six_digits": np.array([123456.789]),
    "zero": np.array([0.0]),
    "scalar": np.array(3.0),
    "negative_scalar": np.array(-0.5),
    "nan": np.array([np.nan, 1.0]),
    "inf": np.array([np.inf, -np.inf, 1.5]),
    "all_nan": np.array([np.nan]),
    "wide_range": np.array([1e-20, 1e20]),
    "negative_small": np.array([-1e-3, 2.0]),
    "ratio_1e6": np.array([1000.0, 0.001]),
    "mixed": np.array([1234.5, 0.5]),
    "1e4_1e-4": np.array([1e4, 1e-4]),
    "rounding_up": np.array([99999.5, 1.25]),
    "matrix": _rng.standard_normal((3, 4)),
    "cube": _rng.standard_normal((2, 3, 4)),
    "wraps": _rng.standard_normal(20),
    "summarized": _rng.standard_normal(2000),
    "summarized_matrix": _rng.standard_normal((50, 50)),
    "summarized_wide": _rng.standard_normal((4, 1000)),
    "big_values": _rng.standard_normal((3, 4)) * 1e5,
    "small_values": _rng.standard_normal((3, 4)) * 1e-5,
    "thousands": np.arange(30.0).reshape(5, 6) * 1000,
    "empty_2d": np.zeros((2, 0)),
    "empty_1d": np.zeros((0,)),
    "empty_3d": np.zeros((0, 3, 2)),
    "ints": np.array([1, 2, 3]),
    "negative_ints": np.array([-100, 5]),
    "many_ints": np.arange(2000),
    "int_scalar": np.array(7),
    "bools": np.array([True, False]),
    "bool_scalar": np.array(True),
    "all_true": np.array([True, True]),
    "int_matrix": np.arange(12).reshape(3, 4),
    "int32": np.array([1, 2], dtype=np.int32),
    "uint8": np.array([1, 2], dtype=np.uint8),
    "int16_empty": np.zeros(0, dtype=np.int16),
    "int64_empty": np.zeros(0, dtype=np.int64),
    "float16": np.array([1.5, 2.0], dtype=np.float16),
    "float32_thirds": np.array([1 / 3], dtype=np.float32),
    "float32_tenths": np.array([0.1, 0.2, 0.3], dtype=np.float32),
    "negatives": np.array([-1.0, -2.0]),
    "1e-4_1e-3": np.array([1e-4, 1e-3]),
    "1e-5": np.array([1e-5]),
    "eight_digits": np.array([12345678.0]),
    "nine_digits": np.array([123456789.0]),
    "pm_1e16": np.array([1.0e16, -1.0e16]),
    "linspace": np.linspace(0, 1, 12).reshape(3, 4),
    "spread": _rng.standard_normal(30) * 1e3,
    "1e-10": np.array([1e-10, 2e-10]),
    "5e-5_1e3": np.array([5e-5, 1e3]),
    "column": np.array([[1e3], [1e-3]]),
    "with_zero_tiny": np.array([0.0, 1e-8]),
    "negative_zero": np.array([1.0, -0.0]),
    "4d": _rng.standard_normal((2, 2, 2, 2)),
    "sci_negative_exponents": np.array([-1e-120, -3.0, 1e-150]),
}


@pytest.mark.parametrize("name", list(ARRAYS))
@pytest.mark.parametrize("requires_grad", [False, True], ids=["plain", "requires_grad"])
def test_repr_matches_torch(name, requires_grad):
    a = ARRAYS[name]
    for dtype in (None, "float32") if a.dtype == np.float64 else (None,):
        if requires_grad and a.dtype.kind != "f":
            continue
        data = a.astype(dtype) if dtype else a
        e = repr(ember.tensor(data, requires_grad=requires_grad))
        t = repr(torch.tensor(data, requires_grad=requires_grad))
        assert e.replace("ember.", "torch.") == t


@pytest.mark.parametrize(
    "expr",
    [
        "lib.tensor([1., 2.], requires_grad=True) * 2",
        "(lib.tensor([1., 2.], requires_grad=True) * 2).sum()",
        "lib.tensor([[1., 2.], [3., 4.]], dtype=lib.float64, requires_grad=True).exp()",
        "lib.arange(30.).reshape(5, 6).requires_grad_() + 1",
        "lib.tensor(2.5, requires_grad=True).exp()",
        "lib.zeros(3, 0, requires_grad=True)",
    ],
)
def test_repr_with_grad_fn_matches_torch(expr):
    e = repr(eval(expr, {"lib": ember}))
    t = repr(eval(expr, {"lib": torch}))
    assert e.replace("ember.", "torch.") == t


def test_str_is_repr_and_default_dtype_is_not_shown():
    x = ember.tensor([1.0, 2.0])
    assert str(x) == repr(x) == "tensor([1., 2.])"
    assert repr(ember.tensor([1.0], dtype=ember.float64)) == "tensor([1.], dtype=ember.float64)"


def test_repr_follows_the_default_dtype():
    try:
        ember.set_default_dtype(ember.float64)
        torch.set_default_dtype(torch.float64)
        for data in ([1.0, 2.0], [1, 2]):
            for dtype in ("float32", "float64"):
                e = repr(ember.tensor(data, dtype=getattr(ember, dtype)))
                t = repr(torch.tensor(data, dtype=getattr(torch, dtype)))
                assert e.replace("ember.", "torch.") == t
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize(
    "options",
    [dict(precision=2), dict(threshold=5), dict(edgeitems=1, threshold=5), dict(linewidth=40), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"), dict(profile="full")],
)
def test_set_printoptions_matches_torch(options):
    data = np.random.default_rng(1).standard_normal((6, 7)) * 100
    try:
        ember.set_printoptions(**options)
        torch.set_printoptions(**options)
        assert repr(ember.tensor(data)).replace("ember.", "torch.") == repr(torch.tensor(data))
        assert repr(ember.arange(10)) == repr(torch.arange(10))
    finally:
        ember.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")

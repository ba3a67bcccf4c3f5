"""Pooling windows refused as torch refuses them: max_pool1d without indices with its own 1-d kernel's checks,
max_pool1d with indices and avg_pool1d through the 2-d path (an H of size 1 in the message), and max pooling's
padding limit of half the undilated kernel (2-d and 3-d)."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

WINDOWS = [
    dict(kernel_size=0),
    dict(kernel_size=2, stride=0),
    dict(kernel_size=2, stride=-1),
    dict(kernel_size=2, dilation=0),
    dict(kernel_size=2, padding=-1),
    dict(kernel_size=2, padding=2),
    dict(kernel_size=3, padding=2, dilation=3),
    dict(kernel_size=9),
    dict(kernel_size=9, padding=1, ceil_mode=True),
    dict(kernel_size=3, padding=1, dilation=4),
    dict(kernel_size=3, stride=2, ceil_mode=True),
]


def _outcome(lib, fn, kw, requires_grad=False):
    x = lib.arange(16.0).reshape(1, 2, 8).requires_grad_(requires_grad)
    try:
        out = fn(lib)(x, **kw)
    except RuntimeError as e:
        return "error", str(e)
    out = out[0] if isinstance(out, tuple) else out
    return "ok", out.detach().tolist()


FUNCTIONS = {
    "max_pool1d": lambda lib: lib.nn.functional.max_pool1d,
    "max_pool1d_indices": lambda lib: lambda x, **kw: lib.nn.functional.max_pool1d(x, return_indices=True, **kw),
    "avg_pool1d": lambda lib: lambda x, **kw: lib.nn.functional.avg_pool1d(
        x, **{k: v for k, v in kw.items() if k != "dilation"}),
}


@pytest.mark.parametrize("requires_grad", [False, True])
@pytest.mark.parametrize("kw", WINDOWS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_pool1d_window_matches_torch(name, kw, requires_grad):
    ours = _outcome(ember, FUNCTIONS[name], kw, requires_grad)
    theirs = _outcome(torch, FUNCTIONS[name], kw, requires_grad)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "error":
        assert ours[1] == theirs[1]
    else:
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_max_pool1d_module_reports_like_the_function():
    with pytest.raises(RuntimeError, match=r"^max_pool1d\(\) Invalid computed output size: 0$"):
        ember.nn.MaxPool1d(9)(ember.ones(1, 2, 8))
    with pytest.raises(RuntimeError, match=r"Given input size: \(2x1x8\)\. Calculated output size: \(2x1x0\)"):
        ember.nn.MaxPool1d(9, return_indices=True)(ember.ones(1, 2, 8))


@pytest.mark.parametrize("return_indices", [False, True])
@pytest.mark.parametrize("nd,kw", [
    (2, dict(kernel_size=3, padding=2, dilation=3)),
    (2, dict(kernel_size=(3, 2), padding=(2, 1), dilation=(3, 1))),
    (2, dict(kernel_size=(2, 3), padding=(1, 2), dilation=(1, 2))),
    (2, dict(kernel_size=3, padding=1, dilation=2)),
    (3, dict(kernel_size=3, padding=2, dilation=3)),
    (3, dict(kernel_size=(3, 2, 3), padding=(2, 1, 1), dilation=(3, 1, 1))),
    (3, dict(kernel_size=(2, 3, 2), padding=(1, 1, 1), dilation=(1, 2, 1))),
])
def test_max_pool_padding_within_half_the_undilated_kernel(nd, kw, return_indices):
    """torch's max pooling also refuses padding over half the undilated kernel (avg pooling has no dilation)."""

    def run(lib):
        x = lib.arange(2.0 * 8**nd).reshape(1, 2, *([8] * nd))
        fn = getattr(lib.nn.functional, f"max_pool{nd}d")
        try:
            out = fn(x, return_indices=return_indices, **kw)
        except RuntimeError as e:
            return str(e)
        return (out[0] if return_indices else out).tolist()

    assert run(ember) == run(torch)

"""Convolutions (conv1d/2d, conv_transpose1d/2d, unfold/fold and their modules): PyTorch parity of
outputs and every gradient across stride/padding/dilation/groups, float64 gradcheck and
gradgradcheck, default initialisation, state_dict names, reprs and error messages."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradgradcheck
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


def copy_weights(e, t):
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})


def run_module(e, t, x, rtol=1e-5, atol=1e-6, input_grad=True, **fwd):
    """Forward + backward through both modules; compare output, input grad and parameter grads."""
    xe = ember.tensor(x, requires_grad=input_grad)
    xt = torch.tensor(x, requires_grad=input_grad)
    ye, yt = e(xe, **fwd), t(xt, **fwd)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=rtol, atol=atol)
    up = _rng(5).standard_normal(tuple(yt.shape)).astype(x.dtype)
    ye.backward(ember.tensor(up))
    yt.backward(torch.tensor(up))
    if input_grad:
        np.testing.assert_allclose(xe.grad.numpy(), xt.grad.numpy(), rtol=rtol, atol=atol)
    for (name, pe), (_, pt) in zip(e.named_parameters(), t.named_parameters()):
        np.testing.assert_allclose(pe.grad.numpy(), pt.grad.numpy(), rtol=rtol, atol=atol, err_msg=name)


# -- functional parity ---------------------------------------------------------------------------------------

def _covering(*axes, skip=lambda case: False, extra=2):
    """Every value of the first two axes against each other, the remaining axes cycled through
    (``extra`` passes with shifted phases): all pairs of stride x padding, most of the rest."""
    cases = []
    for phase in range(extra):
        for i, (a, b) in enumerate(itertools.product(axes[0], axes[1])):
            rest = tuple(ax[(i + phase * (j + 1)) % len(ax)] for j, ax in enumerate(axes[2:]))
            case = (a, b) + rest
            if not skip(case) and case not in cases:
                cases.append(case)
    return cases


CONV2D_CASES = _covering([1, 2, (2, 1)], [0, 1, (2, 0), "same", "valid"], [1, 2], [1, 2], [1, 3, (2, 3)],
                         skip=lambda c: c[1] == "same" and c[0] != 1)


@pytest.fixture(params=["planes", "per_image", "planes+blocks", "per_image+blocks"])
def im2col_layout(request, monkeypatch):
    """Run a test with both im2col layouts of Conv2d, and with the GEMMs split into column blocks
    (chosen by output row length and GEMM size in real use; the small test images would
    otherwise only ever take the planes layout, unsplit)."""
    import ember._ops.conv_kernels as conv_ops

    monkeypatch.setattr(conv_ops, "_PER_IMAGE_MIN_M", 0 if request.param.startswith("per_image") else 1 << 30)
    if request.param.endswith("+blocks"):
        monkeypatch.setattr(conv_ops, "_column_blocks", lambda o, k, m: max(d for d in range(1, 9) if m % d == 0))
    monkeypatch.setattr(conv_ops, "_planes_cache", {})
    return request.param


@pytest.mark.parametrize("stride,padding,dilation,groups,k", CONV2D_CASES)
def test_conv2d_matches_torch_for_stride_padding_dilation_groups(stride, padding, dilation, groups, k, im2col_layout):
    rng = _rng(len(str((stride, padding, dilation, groups, k))))
    kk = k if isinstance(k, tuple) else (k, k)
    x = rng.standard_normal((2, 4, 9, 8))
    w = rng.standard_normal((6, 4 // groups) + kk)
    b = rng.standard_normal(6)
    check_against_torch(
        lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
        lambda x, w, b: TF.conv2d(x, w, b, stride, padding, dilation, groups),
        [x, w, b], rtol=1e-7, atol=1e-9,
    )


def test_conv2d_float32_without_bias_and_unbatched_input():
    rng = _rng(1)
    x = rng.standard_normal((3, 10, 10)).astype(np.float32)
    w = rng.standard_normal((5, 3, 3, 3)).astype(np.float32)
    out, _ = check_against_torch(lambda x, w: F.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1), [x, w], rtol=1e-4, atol=1e-5)
    assert out.dtype == ember.float32 and out.shape == (5, 10, 10)


def test_conv2d_depthwise_and_1x1():
    rng = _rng(2)
    x = rng.standard_normal((2, 6, 7, 7))
    check_against_torch(lambda x, w: F.conv2d(x, w, groups=6, padding=1), lambda x, w: TF.conv2d(x, w, groups=6, padding=1),
                        [x, rng.standard_normal((12, 1, 3, 3))])
    check_against_torch(lambda x, w: F.conv2d(x, w), lambda x, w: TF.conv2d(x, w), [x, rng.standard_normal((4, 6, 1, 1))])


@pytest.mark.parametrize("stride,padding,dilation,groups,k", [(1, 0, 1, 1, 3), (2, 1, 1, 2, 3), (1, "same", 2, 1, 2), (3, 2, 2, 1, 1), (1, "valid", 1, 2, 4)])
def test_conv1d_matches_torch(stride, padding, dilation, groups, k):
    rng = _rng(3)
    x = rng.standard_normal((2, 4, 11))
    w = rng.standard_normal((6, 4 // groups, k))
    b = rng.standard_normal(6)
    check_against_torch(
        lambda x, w, b: F.conv1d(x, w, b, stride, padding, dilation, groups),
        lambda x, w, b: TF.conv1d(x, w, b, stride, padding, dilation, groups),
        [x, w, b],
    )


CONVT_CASES = _covering([1, 2, 3], [0, 1, 2], [0, 1], [1, 2], [1, 2], [1, 3, (2, 3)],
                        skip=lambda c: c[2] >= c[0] and c[2] >= c[3])


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups,k", CONVT_CASES)
def test_conv_transpose2d_matches_torch(stride, padding, output_padding, dilation, groups, k):
    rng = _rng(4)
    kk = k if isinstance(k, tuple) else (k, k)
    x = rng.standard_normal((2, 4, 5, 6))
    w = rng.standard_normal((4, 6 // groups) + kk)
    b = rng.standard_normal(6)
    args = (stride, padding, output_padding, groups, dilation)
    try:
        TF.conv_transpose2d(torch.tensor(x), torch.tensor(w), None, *args)
    except RuntimeError:  # torch rejects this geometry (output too small); so does ember
        with pytest.raises(RuntimeError):
            F.conv_transpose2d(ember.tensor(x), ember.tensor(w), None, *args)
        return
    check_against_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, *args), lambda x, w, b: TF.conv_transpose2d(x, w, b, *args),
                        [x, w, b], rtol=1e-7, atol=1e-9)


def test_conv_transpose1d_matches_torch():
    rng = _rng(5)
    for stride, padding, opad, groups, dil in [(1, 0, 0, 1, 1), (2, 1, 1, 2, 1), (3, 0, 2, 1, 1), (1, 1, 1, 1, 2)]:
        x = rng.standard_normal((2, 4, 6))
        w = rng.standard_normal((4, 3, 3))
        check_against_torch(lambda x, w, b: F.conv_transpose1d(x, w, b, stride, padding, opad, groups, dil),
                            lambda x, w, b: TF.conv_transpose1d(x, w, b, stride, padding, opad, groups, dil),
                            [x, w, rng.standard_normal(3 * groups)])


def test_unfold_and_fold_match_torch():
    rng = _rng(6)
    check_against_torch(lambda x: F.unfold(x, (2, 3), 2, 1, (1, 2)), lambda x: TF.unfold(x, (2, 3), 2, 1, (1, 2)),
                        [rng.standard_normal((2, 3, 6, 5))])
    check_against_torch(lambda x: F.fold(x, (6, 5), (2, 3), 1, 1, (2, 1)), lambda x: TF.fold(x, (6, 5), (2, 3), 1, 1, (2, 1)),
                        [rng.standard_normal((2, 18, 20))])
    check_against_torch(lambda x: F.unfold(x, 1, padding=1), lambda x: TF.unfold(x, 1, padding=1), [rng.standard_normal((1, 2, 3, 3))])


# -- finite differences ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stride,padding,dilation,groups", [(1, 1, 1, 1), (2, 0, 1, 2), ((1, 2), (1, 0), 2, 1)])
def test_conv2d_gradcheck_and_gradgradcheck(stride, padding, dilation, groups):
    rng = _rng(7)
    x = rng.standard_normal((2, 4, 5, 6))
    w = rng.standard_normal((2, 4 // groups, 2, 3))
    b = rng.standard_normal(2)
    fn = lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups)  # noqa: E731
    check_gradcheck(fn, [x, w, b])
    inputs = tuple(ember.tensor(a, requires_grad=True) for a in (x, w, b))
    assert gradgradcheck(fn, inputs)


def test_conv_transpose2d_gradcheck_and_gradgradcheck():
    rng = _rng(8)
    x = rng.standard_normal((2, 4, 3, 3))
    w = rng.standard_normal((4, 1, 3, 2))
    b = rng.standard_normal(2)
    fn = lambda x, w, b: F.conv_transpose2d(x, w, b, 2, 1, 1, 2)  # noqa: E731
    check_gradcheck(fn, [x, w, b])
    assert gradgradcheck(fn, tuple(ember.tensor(a, requires_grad=True) for a in (x, w, b)))


def test_conv1d_gradcheck():
    rng = _rng(9)
    check_gradcheck(lambda x, w: F.conv1d(x, w, stride=2, padding=1), [rng.standard_normal((2, 3, 7)), rng.standard_normal((2, 3, 3))])


# -- modules ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3),
    dict(kernel_size=(3, 2), stride=2, padding=1, bias=False),
    dict(kernel_size=3, padding="same", dilation=2, groups=2),
    dict(kernel_size=3, padding=1, padding_mode="reflect"),
    dict(kernel_size=3, padding=(1, 2), padding_mode="circular"),
    dict(kernel_size=2, padding="same", padding_mode="replicate"),
])
def test_conv2d_module_matches_torch(kwargs):
    torch.manual_seed(0)
    t = torch.nn.Conv2d(4, 6, **kwargs).double()
    e = nn.Conv2d(4, 6, **kwargs).double()
    assert list(e.state_dict()) == list(t.state_dict())
    copy_weights(e, t)
    run_module(e, t, _rng(10).standard_normal((2, 4, 7, 8)))
    assert repr(e) == repr(t)


def test_conv1d_and_transposed_modules_match_torch():
    torch.manual_seed(0)
    rng = _rng(11)
    for t, e, shape in [
        (torch.nn.Conv1d(3, 5, 3, stride=2, padding=1), nn.Conv1d(3, 5, 3, stride=2, padding=1), (2, 3, 9)),
        (torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
         nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2), (2, 4, 5, 5)),
        (torch.nn.ConvTranspose1d(3, 5, 4, stride=2, bias=False), nn.ConvTranspose1d(3, 5, 4, stride=2, bias=False), (2, 3, 6)),
    ]:
        t, e = t.double(), e.double()
        copy_weights(e, t)
        run_module(e, t, rng.standard_normal(shape))
        assert repr(e) == repr(t)


def test_conv_transpose2d_output_size_argument():
    torch.manual_seed(0)
    t = torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    e = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1).double()
    copy_weights(e, t)
    x = _rng(12).standard_normal((1, 3, 4, 4))
    run_module(e, t, x, output_size=(8, 8))
    assert e(ember.tensor(x), output_size=[1, 2, 7, 8]).shape == (1, 2, 7, 8)
    with pytest.raises(ValueError, match="requested an output size"):
        e(ember.tensor(x), output_size=(12, 12))


def test_conv2d_default_init_matches_torch_distribution():
    ember.manual_seed(0)
    m = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert w.shape == (32, 16, 3, 3) and w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(b).max() <= bound and w.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    t = nn.ConvTranspose2d(6, 4, 3, groups=2)
    assert t.weight.shape == (6, 2, 3, 3)


def test_conv_state_dict_keys_and_repr():
    for e, t in [(nn.Conv2d(3, 4, 3, bias=False), torch.nn.Conv2d(3, 4, 3, bias=False)),
                 (nn.Conv2d(4, 4, (3, 5), padding="same", dilation=2, groups=2), torch.nn.Conv2d(4, 4, (3, 5), padding="same", dilation=2, groups=2)),
                 (nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1), torch.nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1)),
                 (nn.Conv1d(3, 4, 3), torch.nn.Conv1d(3, 4, 3))]:
        assert list(e.state_dict()) == list(t.state_dict())
        assert repr(e) == repr(t)
    e = nn.Unfold(2, padding=1)
    assert repr(e) == repr(torch.nn.Unfold(2, padding=1))


# -- errors --------------------------------------------------------------------------------------------------------


def test_conv2d_wrong_channel_count_message_matches_torch():
    x, w = ember.randn(64, 3, 28, 28), ember.randn(6, 1, 5, 5)
    with pytest.raises(RuntimeError) as err:
        F.conv2d(x, w)
    assert str(err.value) == (
        "Given groups=1, weight of size [6, 1, 5, 5], expected input[64, 3, 28, 28] to have 1 channels, but got 3 channels instead"
    )
    with pytest.raises(RuntimeError, match="expected input\\[2, 3, 8, 8\\] to have 1 channels"):
        nn.Conv2d(1, 6, 5)(ember.randn(2, 3, 8, 8))


@pytest.mark.parametrize("call,match", [
    (lambda: F.conv2d(ember.randn(2, 3), ember.randn(6, 1, 5, 5)), r"Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got input of size: \[2, 3\]"),
    (lambda: F.conv1d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3)), r"Expected 2D \(unbatched\) or 3D \(batched\) input to conv1d"),
    (lambda: F.conv2d(ember.randn(1, 1, 4, 4), ember.randn(6, 1, 5, 5)), r"Kernel size can't be greater than actual input size"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(3, 2, 3, 3), groups=2), "expected weight to be divisible by 2"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), stride=2, padding="same"), "padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), padding="full"), "Invalid padding string: 'full'"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), ember.randn(3)), "expected bias to be 1-dimensional with 4 elements"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8, dtype=ember.float64), ember.randn(4, 4, 3, 3)), "expected scalar type Double but found Float"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), ember.randn(4, dtype=ember.float64)), r"Input type \(float\) and bias type \(double\) should be the same"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), stride=0), "non-positive stride is not supported"),
    (lambda: F.conv2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), padding=-1), "negative padding is not supported"),
    (lambda: F.conv_transpose2d(ember.randn(1, 4, 8, 8), ember.randn(3, 4, 3, 3)), "Given transposed=1, weight of size \\[3, 4, 3, 3\\], expected input\\[1, 4, 8, 8\\] to have 3 channels"),
    (lambda: F.conv_transpose2d(ember.randn(1, 4, 8, 8), ember.randn(4, 4, 3, 3), stride=2, output_padding=2), "output padding must be smaller than either stride or dilation"),
])
def test_conv_errors_match_torch(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_conv_module_constructor_errors():
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="out_channels must be divisible by groups"):
        nn.Conv2d(4, 3, 3, groups=2)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided convolutions"):
        nn.Conv2d(4, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string 'full'"):
        nn.Conv2d(4, 4, 3, padding="full")
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(4, 4, 3, padding_mode="mirror")


def test_conv2d_empty_batch():
    out = F.conv2d(ember.randn(0, 4, 8, 8), ember.randn(4, 4, 3, 3))
    assert out.shape == (0, 4, 6, 6)


def test_conv2d_float32_stays_float32_through_backward():
    x = ember.randn(2, 3, 6, 6, requires_grad=True)
    m = nn.Conv2d(3, 4, 3, padding=1)
    m(x).sum().backward()
    assert x.grad.dtype == ember.float32 and m.weight.grad.dtype == ember.float32 and m.bias.grad.dtype == ember.float32


@pytest.mark.parametrize("padding,stride", [(1, 1), (0, 2), (2, (1, 2))])
def test_conv2d_batch_chunking_matches_torch(monkeypatch, padding, stride, im2col_layout):
    """Large batches run in cache-sized chunks (here forced tiny, with a remainder chunk)."""
    import ember._ops.conv_kernels as conv_ops

    rng = _rng(13)
    x, w, b = rng.standard_normal((7, 3, 6, 7)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    geom = conv_ops.Geom(x.shape, (3, 3), _pair(stride), (padding,) * 4, (1, 1), 1, 4)
    per_image = conv_ops.Planes(geom, 8).k * conv_ops.Planes(geom, 8).s * 8  # im2col bytes per image
    monkeypatch.setattr(conv_ops, "_KEEP_COLS", 0)  # never one chunk for the whole batch
    monkeypatch.setattr(conv_ops, "_CHUNK_COLS", 2 * per_image)  # chunks of 2, 2, 2 and 1 images
    monkeypatch.setattr(conv_ops, "_planes_cache", {})
    assert conv_ops.planes_of(geom, 8).chunk == 2
    check_against_torch(lambda x, w, b: F.conv2d(x, w, b, stride, padding), lambda x, w, b: TF.conv2d(x, w, b, stride, padding), [x, w, b])


def _pair(v):
    return v if isinstance(v, tuple) else (v, v)


def test_unfold_fold_gradcheck_and_gradgradcheck():
    rng = _rng(14)
    x = rng.standard_normal((1, 2, 4, 5))
    cols = rng.standard_normal((1, 2 * 6, 15))
    for fn, a in [(lambda x: F.unfold(x, (2, 3), 1, 1, (2, 1)), x), (lambda c: F.fold(c, (4, 5), (2, 3), 1, 1, (2, 1)), cols)]:
        check_gradcheck(fn, [a])
        assert gradgradcheck(fn, (ember.tensor(a, requires_grad=True),))


def test_conv2d_second_backward_with_retain_graph_matches_the_first(im2col_layout):
    """Forward keeps its im2col matrix for one backward; a second backward rebuilds it."""
    rng = _rng(21)
    x = ember.tensor(rng.standard_normal((3, 2, 7, 6)).astype(np.float32), requires_grad=True)
    w = ember.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, None, stride=(2, 1), padding=1)
    up = ember.tensor(rng.standard_normal(tuple(y.shape)).astype(np.float32))
    y.backward(up, retain_graph=True)
    first = (x.grad.numpy().copy(), w.grad.numpy().copy())
    x.grad, w.grad = None, None
    y.backward(up)
    np.testing.assert_array_equal(x.grad.numpy(), first[0])
    np.testing.assert_array_equal(w.grad.numpy(), first[1])


def test_conv2d_gradients_stay_exact_when_layers_of_similar_shapes_alternate(im2col_layout):
    """The convolution reuses zero-initialised buffers per shape; layers whose buffers have the
    same shape but other padding/stride/kernel must not see each other's values in them."""
    rng = _rng(22)
    x = rng.standard_normal((2, 3, 9, 9))
    cases = [((4, 3, 3, 3), 1, 0), ((4, 3, 3, 3), 1, 1), ((4, 3, 2, 2), 1, 0), ((4, 3, 3, 3), 2, 1), ((4, 3, 1, 3), 1, (0, 1))]
    for _ in range(2):
        for wshape, stride, padding in cases:
            w = rng.standard_normal(wshape)
            check_against_torch(
                lambda x, w: F.conv2d(x, w, None, stride, padding), lambda x, w: TF.conv2d(x, w, None, stride, padding), [x, w]
            )

"""Loss parity cases found by a fuzz against torch 2.13: dtype promotion (BCE-with-logits, cross-entropy with
probabilities, huber), refusals PyTorch makes (class weights of another dtype, integer nll input, bad
multilabel/multi-margin targets, integer or bool operands), multilabel_margin_loss with a repeated label,
cosine_embedding_loss's target rules, gaussian_nll_loss's var shapes, nll_loss's unbatched 'none' shape and
l1_loss's gradient at NaN."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def _run(lib, fn, arrays, grad=(0,)):
    ts = [lib.tensor(a) for a in arrays]
    for i in grad:
        ts[i].requires_grad_(True)
    out = fn(lib.nn.functional, *ts)
    return ts, out


def _same(fn, arrays, grad=(0,), rtol=1e-5, backward=True):
    """Values, dtype, shape and input gradients of ``fn`` agree between torch and ember."""
    tt, to = _run(torch, fn, arrays, grad)
    et, eo = _run(ember, fn, arrays, grad)
    assert str(eo.dtype).split(".")[-1] == str(to.dtype).split(".")[-1]
    assert tuple(eo.shape) == tuple(to.shape)
    np.testing.assert_allclose(np.asarray(eo.detach().numpy()), to.detach().numpy(), rtol=rtol, atol=1e-6, equal_nan=True)
    if not backward:  # torch's own backward fails on these calls
        return
    to.sum().backward()
    eo.sum().backward()
    for i in grad:
        np.testing.assert_allclose(np.asarray(et[i].grad.numpy()), tt[i].grad.numpy(), rtol=rtol, atol=1e-6, equal_nan=True)
        assert str(et[i].grad.dtype).split(".")[-1] == str(tt[i].grad.dtype).split(".")[-1]


def _same_error(fn, arrays):
    errs = []
    for lib in (torch, ember):
        with pytest.raises(Exception) as info:
            fn(lib.nn.functional, *[lib.tensor(a) for a in arrays])
        errs.append(info.value)
    assert isinstance(errs[1], type(errs[0])), (errs[0], errs[1])
    assert str(errs[1]) == str(errs[0])


rng = np.random.default_rng(0)
X = rng.standard_normal((3, 5)).astype(np.float32)
REDUCTIONS = ["none", "mean", "sum"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("xdt, tdt", [("float32", "float64"), ("float64", "float32")])
def test_bce_with_logits_takes_the_target_dtype(reduction, xdt, tdt):
    x, t = X.astype(xdt), rng.random((3, 5)).astype(tdt)
    _same(lambda F, x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction), [x, t])


@pytest.mark.parametrize("extra", ["weight", "pos_weight"])
def test_bce_with_logits_weight_does_not_promote(extra):
    x, t, w = X, rng.random((3, 5)).astype(np.float32), rng.random(5)  # w float64
    _same(lambda F, x, t, w: F.binary_cross_entropy_with_logits(x, t, **{extra: w}), [x, t, w])


def test_bce_with_logits_bool_target_refused():
    _same_error(lambda F, x, t: F.binary_cross_entropy_with_logits(x, t), [X, X > 0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("xdt, tdt", [("float32", "float64"), ("float64", "float32")])
def test_cross_entropy_probabilities_of_another_dtype(reduction, smoothing, xdt, tdt):
    q = rng.random((3, 5)).astype(tdt)
    fn = lambda F, x, q: F.cross_entropy(x, q, reduction=reduction, label_smoothing=smoothing)  # noqa: E731
    _same(fn, [X.astype(xdt), q])


def test_cross_entropy_probabilities_no_classes_mean_is_nan():
    _same(lambda F, x, q: F.cross_entropy(x, q), [np.zeros((2, 0), np.float32), np.zeros((2, 0), np.float32)])


@pytest.mark.parametrize("fn", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("xdt, wdt", [("float32", "float64"), ("float64", "float32")])
def test_class_weight_of_another_dtype_refused(fn, xdt, wdt):
    w = rng.random(5).astype(wdt)
    _same_error(lambda F, x, t, w: getattr(F, fn)(x, t, w), [X.astype(xdt), np.array([0, 1, 4]), w])


def test_multi_margin_weight_of_another_dtype_refused():
    _same_error(lambda F, x, t, w: F.multi_margin_loss(x, t, weight=w), [X, np.array([0, 1, 4]), rng.random(5)])


@pytest.mark.parametrize("x", [np.array([[1, 2], [3, 4]]), np.array([[True, False]]), np.arange(4).reshape(1, 2, 2, 1)])
def test_nll_loss_integer_input_refused(x):
    t = np.zeros((x.shape[0],) + x.shape[2:], np.int64)
    _same_error(lambda F, x, t: F.nll_loss(x, t), [x, t])


@pytest.mark.parametrize("t", [np.array([1]), np.array(1)])
def test_nll_loss_unbatched_none_is_0d(t):
    _same(lambda F, x, t: F.nll_loss(x, t, reduction="none"), [X[0], t], backward=t.ndim == 0)


def test_cross_entropy_0d_input_message():
    _same_error(lambda F, x, t: F.cross_entropy(x, t), [np.array(1.0, np.float32), np.array(0)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_repeated_label_counts_twice(reduction):
    t = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [4, 4, 2, -1, 0]])
    _same(lambda F, x, t: F.multilabel_margin_loss(x, t, reduction=reduction), [X, t])


@pytest.mark.parametrize(
    "x, t",
    [
        (X[:2, :3], np.array([[0, 3, -1], [1, -1, 0]])),  # out of range
        (X[:2, :3], np.array([[0, -2, -1], [1, -1, 0]])),  # below -1
        (X[:2, :3], np.array([[0, 1], [1, -1]])),  # shape
        (X[:2, :3], np.array([[0, 1, -1], [1, -1, 0]], np.int32)),  # dtype
        (X[:2, :3], np.array([[0, 1, -1], [1, -1, 0]], np.float32)),
        (X[:2, :3].reshape(2, 3, 1), np.zeros((2, 3, 1), np.int64)),  # 3-d input
        (np.zeros((2, 0), np.float32), np.zeros((2, 0), np.int64)),
    ],
)
def test_multilabel_margin_bad_targets_refused(x, t):
    _same_error(lambda F, x, t: F.multilabel_margin_loss(x, t), [x, t])


@pytest.mark.parametrize("t", [np.array([0, 1, 2], np.int32), np.array([0.0, 1.0, 2.0], np.float32)])
def test_multi_margin_target_dtype_refused(t):
    _same_error(lambda F, x, t: F.multi_margin_loss(x, t), [X, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_target_of_size_one_broadcasts(reduction):
    fn = lambda F, a, b, t: F.cosine_embedding_loss(a, b, t, margin=0.1, reduction=reduction)  # noqa: E731
    _same(fn, [X, X[::-1].copy(), np.array([-1.0], np.float32)], grad=(0, 1))


@pytest.mark.parametrize(
    "shape, tshape", [((2, 3, 5), (2,)), ((3, 5), ()), ((5,), (1,)), ((2, 3, 5), (2, 3)), ((3, 5), (3, 1)), ((3, 5), (2,))]
)
def test_cosine_embedding_target_rank_errors(shape, tshape):
    a = rng.standard_normal(shape).astype(np.float32)
    _same_error(lambda F, a, b, t: F.cosine_embedding_loss(a, b, t), [a, a, np.ones(tshape, np.float32)])


@pytest.mark.parametrize("vshape", [(1, 5), (3, 1), (3,), (3, 5)])
def test_gaussian_nll_var_shapes_accepted(vshape):
    v = rng.random(vshape).astype(np.float32) + 0.1
    _same(lambda F, x, t, v: F.gaussian_nll_loss(x, t, v, reduction="none"), [X, X * 2, v], grad=(0, 2))


@pytest.mark.parametrize("vshape", [(5,), (1, 1), (2, 5), (3, 5, 1), (1,)])
def test_gaussian_nll_var_shapes_refused(vshape):
    _same_error(lambda F, x, t, v: F.gaussian_nll_loss(x, t, v), [X, X, np.ones(vshape, np.float32)])


def test_gaussian_nll_negative_var_checked_before_shape():
    _same_error(lambda F, x, t, v: F.gaussian_nll_loss(x, t, v), [X, X, -np.ones((2, 5), np.float32)])


def test_gaussian_nll_bad_reduction_message():
    _same_error(lambda F, x, t, v: F.gaussian_nll_loss(x, t, v, reduction="avg"), [X, X, np.ones((3, 5), np.float32)])


def test_huber_computes_in_input_dtype():
    _same(lambda F, x, t: F.huber_loss(x, t), [X, X[::-1].astype(np.float64)], backward=False)
    _same_error(lambda F, x, t: F.huber_loss(x, t), [np.array([1, 2, 3]), X[0, :3]])


def test_soft_margin_integer_input_and_bool_target_refused():
    _same_error(lambda F, x, t: F.soft_margin_loss(x, t), [np.array([1, 2, 3]), X[0, :3]])
    _same_error(lambda F, x, t: F.soft_margin_loss(x, t), [np.array([True, False]), np.array([False, True])])


def test_l1_loss_bool_refused_and_nan_gradient_is_zero():
    _same_error(lambda F, x, t: F.l1_loss(x, t), [np.array([True, False]), np.array([False, True])])
    x = np.array([np.nan, 1.0, 2.0, -1.0], np.float32)
    t = np.array([1.0, np.nan, 2.0, 1.0], np.float32)
    _same(lambda F, x, t: F.l1_loss(x, t, reduction="sum"), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_weight_gradient(reduction):
    fn = lambda F, x, q, w: F.cross_entropy(x, q, w, reduction=reduction, label_smoothing=0.1)  # noqa: E731
    _same(fn, [X, rng.random((3, 5)).astype(np.float32), rng.random(5).astype(np.float32)], grad=(0, 1, 2))
    x3, q3 = rng.standard_normal((2, 3, 4)), rng.random((2, 3, 4))
    _same(lambda F, x, q, w: F.cross_entropy(x, q, w, reduction=reduction), [x3, q3, rng.random(3)], grad=(0, 2))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities_weight_of_another_dtype_keeps_its_gradient(reduction):
    """Input and probabilities in float64, the class weight in float32: all three promote, and the weight's
    gradient still reaches it (in its own dtype), as in PyTorch."""
    fn = lambda F, x, q, w: F.cross_entropy(x, q, w, reduction=reduction)  # noqa: E731
    _same(fn, [X.astype(np.float64), rng.random((3, 5)), rng.random(5).astype(np.float32)], grad=(0, 2))


@pytest.mark.parametrize("t", [np.array([2]), np.array(2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_unbatched_loss_shaped_like_target(t, reduction):
    _same(lambda F, x, t: F.multi_margin_loss(x, t, reduction=reduction), [X[0], t])


@pytest.mark.parametrize(
    "x, t, w",
    [
        (X[0], np.array([[2]]), None),
        (X[0], np.array([1, 2]), None),
        (X, np.array([[2], [1], [0]]), None),
        (X, np.array([1, 2]), None),
        (X, np.array([1, 2, 0]), np.ones(4, np.float32)),
        (X, np.array([1, 2, 0]), np.ones((1, 5), np.float32)),
    ],
)
def test_multi_margin_target_and_weight_shapes_refused(x, t, w):
    if w is None:
        _same_error(lambda F, x, t: F.multi_margin_loss(x, t), [x, t])
    else:
        _same_error(lambda F, x, t, w: F.multi_margin_loss(x, t, weight=w), [x, t, w])


def test_kl_div_integer_input_refused():
    _same_error(lambda F, x, t: F.kl_div(x, t, reduction="sum"), [np.array([1, 2]), np.array([0.5, 0.5], np.float32)])


def test_pdist_negative_p_refused():
    _same_error(lambda F, x: F.pdist(x, p=-1), [X])


def test_cosine_similarity_integer_inputs_refused():
    _same_error(lambda F, a, b: F.cosine_similarity(a, b), [np.array([[1, 2]]), np.array([[3, 4]])])


def test_multilabel_soft_margin_0d_refused():
    _same_error(lambda F, x, t: F.multilabel_soft_margin_loss(x, t), [np.array(0.5, np.float32), np.array(1.0, np.float32)])


@pytest.mark.parametrize("p", [1.0, 2.0, np.inf])
@pytest.mark.parametrize("keepdim", [False, True])
def test_pairwise_distance_and_triplet_of_scalars(p, keepdim):
    a, b = np.array(1.5, np.float32), np.array(0.2, np.float32)
    _same(lambda F, a, b: F.pairwise_distance(a, b, p=p, keepdim=keepdim), [a, b], grad=(0, 1))
    _same(lambda F, a, b, c: F.triplet_margin_loss(a, b, c, p=p, reduction="none"), [a, b, b + 1], grad=(0, 1, 2))

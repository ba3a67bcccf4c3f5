"""Losses and distances: PyTorch parity of values and every gradient (input and target where
PyTorch has one) for each reduction and weight option, numerical stability at extreme logits
and probabilities, gradcheck/gradgradcheck, the loss modules and torch's error messages."""

# ruff: noqa: B023  (the lambdas passed to check_against_torch run at once, inside the loop iteration)

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.autograd.gradcheck import gradgradcheck
from helpers import check_against_torch, check_gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]
E, T = ember.tensor, torch.tensor


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- cross-entropy and nll -------------------------------------------------------------------------------------

CE_CASES = list(itertools.product(REDUCTIONS, [False, True], [-100, 1], [0.0, 0.2], [(5, 4), (3, 4, 2, 3), (4,)]))


@pytest.mark.parametrize("reduction,weighted,ignore_index,smoothing,shape", CE_CASES)
def test_cross_entropy_with_class_indices_matches_torch(reduction, weighted, ignore_index, smoothing, shape):
    rng = _rng(len(shape) + ignore_index % 7)
    x = rng.standard_normal(shape)
    t = rng.integers(0, 4, (shape[0],) + shape[2:] if len(shape) > 1 else ())
    if ignore_index == 1 and t.ndim:
        t.reshape(-1)[0] = 1
    w = rng.random(4) + 0.1 if weighted else None
    kw = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    check_against_torch(lambda x, w: F.cross_entropy(x, E(t), w, **kw), lambda x, w: TF.cross_entropy(x, T(t), w, **kw), [x, w],
                        requires_grad=[True, False], rtol=1e-7, atol=1e-10)
    check_against_torch(lambda x, w: F.nll_loss(x, E(t), w, ignore_index=ignore_index, reduction=reduction),
                        lambda x, w: TF.nll_loss(x, T(t), w, ignore_index=ignore_index, reduction=reduction), [x, w], requires_grad=[True, False])


@pytest.mark.parametrize("reduction,weighted,smoothing,shape", list(itertools.product(REDUCTIONS, [False, True], [0.0, 0.3], [(5, 4), (3, 4, 2, 3), (4,)])))
def test_cross_entropy_with_class_probabilities_matches_torch_including_target_grad(reduction, weighted, smoothing, shape):
    rng = _rng(1)
    x = rng.standard_normal(shape)
    q = rng.random(shape)
    q /= q.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)
    w = rng.random(4) + 0.1 if weighted else None
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    check_against_torch(lambda x, q, w: F.cross_entropy(x, q, w, **kw), lambda x, q, w: TF.cross_entropy(x, q, w, **kw), [x, q, w],
                        requires_grad=[True, True, False], rtol=1e-7, atol=1e-10)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_batch():
    x = ember.tensor(np.array([[1.0, 2.0, 3.0], [0.5, 0.5, -1.0]]), requires_grad=True)
    t = ember.tensor([2, 0])
    F.cross_entropy(x, t).backward()
    p = np.exp(x.detach().numpy()) / np.exp(x.detach().numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(x.grad.numpy(), (p - np.eye(3)[[2, 0]]) / 2, rtol=1e-12)
    assert type(x.grad_fn).__name__ == "NoneType" and F.cross_entropy(x, t).grad_fn.name() == "NllLossBackward0"


def test_cross_entropy_is_stable_for_logits_of_1e4_in_float32():
    rng = _rng(2)
    x = (rng.standard_normal((6, 5)) * 1e4).astype(np.float32)
    t = rng.integers(0, 5, 6)
    for reduction in REDUCTIONS:
        out, _ = check_against_torch(lambda x: F.cross_entropy(x, E(t), reduction=reduction), lambda x: TF.cross_entropy(x, T(t), reduction=reduction),
                                     [x], rtol=1e-5, atol=1e-2)
        assert np.all(np.isfinite(out.detach().numpy()))
    x = ember.tensor(np.array([[1e4, -1e4, 0.0]], dtype=np.float32), requires_grad=True)
    F.cross_entropy(x, ember.tensor([0]), label_smoothing=0.1).backward()
    assert np.all(np.isfinite(x.grad.numpy()))


def test_cross_entropy_all_targets_ignored_gives_nan_loss_and_zero_grad_like_torch():
    x = _rng(3).standard_normal((3, 4))
    check_against_torch(lambda x: F.cross_entropy(x, E(np.full(3, -100))), lambda x: TF.cross_entropy(x, T(np.full(3, -100))), [x])


def test_cross_entropy_float32_in_float32_out():
    x = ember.randn(8, 10, requires_grad=True)
    loss = F.cross_entropy(x, ember.randint(0, 10, (8,)), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == ember.float32 and x.grad.dtype == ember.float32


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, 2, 3])), ValueError, r"Expected input batch_size \(3\) to match target batch_size \(4\)\."),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, 5])), IndexError, "Target 5 is out of bounds."),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, -5])), IndexError, "Target -5 is out of bounds."),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0.0, 1.0, 2.0])), RuntimeError, "expected target dtype to be Long or Byte, but got Float"),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.zeros(3, 4, dtype=ember.int64)), RuntimeError, "Expected floating point type for target with class probabilities, got Long"),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.zeros(3, 2, dtype=ember.int64)), RuntimeError, "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.rand(3, 4), ignore_index=1), RuntimeError, "ignore_index is not supported for floating point target"),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, 2]), label_smoothing=1.5), RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(ember.randn(2, 4, 3), ember.zeros(2, 4, dtype=ember.int64)), RuntimeError, r"Expected target size \[2, 3\], got \[2, 4\]"),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, 2]), weight=ember.ones(2)), RuntimeError, "weight tensor should be defined either for all 4 classes or no classes"),
    (lambda: F.cross_entropy(ember.randn(3, 4), ember.tensor([0, 1, 2]), reduction="avg"), ValueError, "avg is not a valid value for reduction"),
    (lambda: F.nll_loss(ember.randn(3, 4), ember.tensor([0, 1, 2, 3])), ValueError, r"Expected input batch_size \(3\) to match target batch_size \(4\)\."),
    (lambda: F.nll_loss(ember.randn(3, 4), ember.tensor([0, 1, 9])), IndexError, "Target 9 is out of bounds."),
    (lambda: F.nll_loss(ember.randn(2, 3, 4, 5), ember.zeros(2, 4, 4, dtype=ember.int64)), RuntimeError, r"size mismatch \(got input: \[2, 3, 4, 5\] , target: \[2, 4, 4\]"),
    (lambda: F.binary_cross_entropy(ember.rand(3), ember.rand(4)), ValueError, r"Using a target size \(torch.Size\(\[4\]\)\) that is different to the input size \(torch.Size\(\[3\]\)\)"),
    (lambda: F.binary_cross_entropy(ember.rand(3) + 1, ember.rand(3)), RuntimeError, "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy_with_logits(ember.rand(3), ember.rand(4)), ValueError, r"Target size \(torch.Size\(\[4\]\)\) must be the same as input size \(torch.Size\(\[3\]\)\)"),
    (lambda: F.gaussian_nll_loss(ember.rand(3, 2), ember.rand(3, 2), ember.rand(3, 3)), ValueError, "var is of incorrect size"),
    (lambda: F.gaussian_nll_loss(ember.rand(3, 2), ember.rand(3, 2), -ember.rand(3, 2)), ValueError, "var has negative entry/entries"),
    (lambda: F.multi_margin_loss(ember.rand(3, 2), ember.tensor([0, 1, 0]), p=3), ValueError, "only p == 1 and p == 2 supported"),
])
def test_loss_errors_match_torch(call, exc, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(exc, match=match):
            call()


# -- binary cross-entropy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch_with_weight_and_target_grad(reduction):
    rng = _rng(4)
    x, t, w = rng.random((3, 4)), rng.random((3, 4)), rng.random((3, 4))
    check_against_torch(lambda x, t, w: F.binary_cross_entropy(x, t, w, reduction=reduction), lambda x, t, w: TF.binary_cross_entropy(x, t, w, reduction=reduction),
                        [x, t, w], requires_grad=[True, True, False])
    check_against_torch(lambda x, t: F.binary_cross_entropy(x, t, E(w[0]), reduction=reduction), lambda x, t: TF.binary_cross_entropy(x, t, T(w[0]), reduction=reduction),
                        [x, t])


def test_binary_cross_entropy_clamps_log_at_minus_100_for_probabilities_0_and_1():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 0.5], dtype=np.float32)
    for reduction in REDUCTIONS:
        out, _ = check_against_torch(lambda x: F.binary_cross_entropy(x, E(t), reduction=reduction), lambda x: TF.binary_cross_entropy(x, T(t), reduction=reduction), [x])
        assert np.all(np.isfinite(out.detach().numpy()))
    assert F.binary_cross_entropy(E(x[:1]), E(t[:1])).item() == 100.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch_with_weight_and_pos_weight(reduction):
    rng = _rng(5)
    x, t, w, pw = rng.standard_normal((3, 4)) * 3, rng.random((3, 4)), rng.random((3, 4)), rng.random(4) + 0.5
    check_against_torch(lambda x, t, w, pw: F.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw),
                        lambda x, t, w, pw: TF.binary_cross_entropy_with_logits(x, t, w, reduction=reduction, pos_weight=pw),
                        [x, t, w, pw], requires_grad=[True, True, False, False])
    check_against_torch(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
                        lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction), [x, t])


def test_bce_with_logits_is_stable_for_logits_of_1e4():
    x = np.array([[1e4, -1e4, 3.0, -2.0, 1e4, -1e4]], dtype=np.float32)
    t = np.array([[0, 1, 0.5, 1, 1, 0]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for reduction in REDUCTIONS:
            out, _ = check_against_torch(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction),
                                         lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction), [x, t])
            assert np.all(np.isfinite(out.detach().numpy()))
            check_against_torch(lambda x, t: F.binary_cross_entropy_with_logits(x, t, reduction=reduction, pos_weight=E(np.float32([2.0]))),
                                lambda x, t: TF.binary_cross_entropy_with_logits(x, t, reduction=reduction, pos_weight=T(np.float32([2.0]))), [x, t])


# -- regression and the other losses ------------------------------------------------------------------------------

PAIR_LOSSES = [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {"beta": 0.5}), ("smooth_l1_loss", {"beta": 0.0}), ("huber_loss", {"delta": 0.7}),
    ("soft_margin_loss", {}), ("poisson_nll_loss", {}), ("poisson_nll_loss", {"log_input": False, "full": True}),
    ("multilabel_soft_margin_loss", {}), ("kl_div", {}), ("kl_div", {"log_target": True}),
]


@pytest.mark.parametrize("name,kwargs", PAIR_LOSSES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_pairwise_losses_match_torch(name, kwargs, reduction):
    rng = _rng(6)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    target_grad = name not in ("soft_margin_loss", "multilabel_soft_margin_loss")
    if name == "poisson_nll_loss":
        b = rng.random((3, 4)) * 4
        a = np.abs(a) + 0.1 if kwargs.get("log_input") is False else a
    elif name == "soft_margin_loss":
        b = np.sign(b)
    elif name == "multilabel_soft_margin_loss":
        b = (b > 0).astype(float)
    elif name == "kl_div" and not kwargs:
        a, b = np.log(rng.random((3, 4))), rng.random((3, 4)) + 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # kl_div's 'mean' warning, in both frameworks
        check_against_torch(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs), lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs),
                            [a, b], requires_grad=[True, target_grad])


def test_kl_div_batchmean_zero_targets_and_mean_warning():
    rng = _rng(7)
    a, b = np.log(rng.random((3, 4))), rng.random((3, 4)) * np.array([0, 1, 1, 1])
    check_against_torch(lambda a: F.kl_div(a, E(b), reduction="batchmean"), lambda a: TF.kl_div(a, T(b), reduction="batchmean"), [a])
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(E(a), E(b))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_weight_and_broadcast_warning(reduction):
    rng = _rng(8)
    a, b, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        check_against_torch(lambda a, b: getattr(F, name)(a, b, reduction=reduction, weight=E(w)), lambda a, b: getattr(TF, name)(a, b, reduction=reduction, weight=T(w)), [a, b])
    with pytest.warns(UserWarning, match="Using a target size"):
        check_against_torch(lambda a, b: F.mse_loss(a, b, reduction=reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction), [a, b[:1]])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_embedding_triplet_and_gaussian_losses_match_torch(reduction):
    rng = _rng(9)
    a, b, c = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    y = np.sign(rng.standard_normal(3))
    ym = y[:, None] * np.ones(4)
    check_against_torch(lambda a: F.hinge_embedding_loss(a, E(ym), 0.5, reduction=reduction), lambda a: TF.hinge_embedding_loss(a, T(ym), 0.5, reduction=reduction), [a])
    tt, wm = rng.integers(0, 4, 3), rng.random(4)
    for p in (1, 2):
        check_against_torch(lambda a: F.multi_margin_loss(a, E(tt), p, 0.7, E(wm), reduction=reduction), lambda a: TF.multi_margin_loss(a, T(tt), p, 0.7, T(wm), reduction=reduction), [a])
    check_against_torch(lambda a, b: F.cosine_embedding_loss(a, b, E(y), 0.2, reduction=reduction), lambda a, b: TF.cosine_embedding_loss(a, b, T(y), 0.2, reduction=reduction), [a, b])
    check_against_torch(lambda a, b: F.margin_ranking_loss(a, b, E(y), 0.2, reduction=reduction), lambda a, b: TF.margin_ranking_loss(a, b, T(y), 0.2, reduction=reduction), [a[:, 0], b[:, 0]])
    for swap in (False, True):
        check_against_torch(lambda a, b, c: F.triplet_margin_loss(a, b, c, swap=swap, reduction=reduction), lambda a, b, c: TF.triplet_margin_loss(a, b, c, swap=swap, reduction=reduction), [a, b, c])
    for var in (rng.random((3, 4)) + 0.1, rng.random(3) + 0.1, rng.random((3, 1)) + 0.1):
        check_against_torch(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full=True, reduction=reduction), lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full=True, reduction=reduction), [a, b, var])
    mt = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [0, -1, 2, 2]])
    check_against_torch(lambda a: F.multilabel_margin_loss(a, E(mt), reduction=reduction), lambda a: TF.multilabel_margin_loss(a, T(mt), reduction=reduction), [a])


def test_distances_and_one_hot_match_torch():
    rng = _rng(10)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    check_against_torch(F.cosine_similarity, TF.cosine_similarity, [a, b])
    check_against_torch(lambda a, b: F.cosine_similarity(a, b, dim=0), lambda a, b: TF.cosine_similarity(a, b, dim=0), [a, b[:1]])
    check_against_torch(lambda a, b: F.pairwise_distance(a, b, 3, keepdim=True), lambda a, b: TF.pairwise_distance(a, b, 3, keepdim=True), [a, b])
    check_against_torch(F.pdist, TF.pdist, [a])
    t = rng.integers(0, 5, (2, 3))
    assert F.one_hot(E(t)).tolist() == TF.one_hot(T(t)).tolist()
    assert F.one_hot(E(t), 7).tolist() == TF.one_hot(T(t), 7).tolist() and F.one_hot(E(t)).dtype == ember.int64
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(E(t), 2)


# -- finite differences ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_fused_losses_gradcheck_and_gradgradcheck(reduction):
    rng = _rng(11)
    x = rng.standard_normal((3, 4))
    q, idx = rng.random((3, 4)), E(np.array([0, 2, 1]))
    fns = [
        lambda x: F.cross_entropy(x, idx, reduction=reduction, label_smoothing=0.1),
        lambda x: F.cross_entropy(x, E(q), reduction=reduction),
        lambda x: F.nll_loss(x, idx, reduction=reduction),
        lambda x: F.binary_cross_entropy_with_logits(x, E(q), reduction=reduction, pos_weight=E(np.full(4, 2.0))),
        lambda x: F.smooth_l1_loss(x, E(q), reduction=reduction),
        lambda x: F.huber_loss(x, E(q), reduction=reduction),
        lambda x: F.binary_cross_entropy(x.sigmoid(), E(q), reduction=reduction),
        lambda x: F.mse_loss(x, E(q), reduction=reduction),
    ]
    xe = ember.tensor(x, requires_grad=True)
    for fn in fns:
        check_gradcheck(fn, [x])
        assert gradgradcheck(fn, (xe,))


# -- modules ----------------------------------------------------------------------------------------------------


def test_loss_modules_match_torch_and_register_weight_buffers():
    rng = _rng(12)
    x, t = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    w = rng.random(3) + 0.5
    e = nn.CrossEntropyLoss(weight=E(w), ignore_index=1, label_smoothing=0.1, reduction="sum")
    tm = torch.nn.CrossEntropyLoss(weight=T(w), ignore_index=1, label_smoothing=0.1, reduction="sum")
    assert list(e.state_dict()) == list(tm.state_dict()) == ["weight"] and repr(e) == repr(tm) == "CrossEntropyLoss()"
    check_against_torch(lambda x: e(x, E(t)), lambda x: tm(x, T(t)), [x])
    e, tm = nn.BCEWithLogitsLoss(pos_weight=E(w)), torch.nn.BCEWithLogitsLoss(pos_weight=T(w))
    assert list(e.state_dict()) == list(tm.state_dict())
    y = rng.random((4, 3))
    check_against_torch(lambda x: e(x, E(y)), lambda x: tm(x, T(y)), [x])
    pairs = [
        ("MSELoss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}), ("BCELoss", {}),
        ("NLLLoss", {"ignore_index": 2}), ("KLDivLoss", {"reduction": "batchmean", "log_target": True}), ("HingeEmbeddingLoss", {"margin": 2.0}),
        ("MultiMarginLoss", {"p": 2}), ("SoftMarginLoss", {}), ("PoissonNLLLoss", {}), ("GaussianNLLLoss", {"full": True}),
        ("MultiLabelSoftMarginLoss", {}), ("CosineEmbeddingLoss", {"margin": 0.5}), ("MarginRankingLoss", {"margin": 0.5}),
        ("TripletMarginLoss", {"swap": True}), ("MultiLabelMarginLoss", {}), ("CosineSimilarity", {}), ("PairwiseDistance", {"p": 3}),
    ]
    probs = 1 / (1 + np.exp(-x))
    sign = np.sign(rng.standard_normal(4))
    for name, kwargs in pairs:
        em, tmod = getattr(nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
        assert repr(em) == repr(tmod), name
        if name in ("MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "PoissonNLLLoss", "CosineSimilarity", "PairwiseDistance"):
            check_against_torch(em, tmod, [x, y])
        elif name == "BCELoss":
            check_against_torch(em, tmod, [probs, y])
        elif name in ("NLLLoss", "MultiMarginLoss"):
            check_against_torch(lambda a: em(a, E(t)), lambda a: tmod(a, T(t)), [x])
        elif name in ("HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss"):
            target = np.sign(y - 0.5) if name != "MultiLabelSoftMarginLoss" else (y > 0.5).astype(float)
            check_against_torch(lambda a: em(a, E(target)), lambda a: tmod(a, T(target)), [x])
        elif name == "GaussianNLLLoss":
            check_against_torch(em, tmod, [x, y, probs])
        elif name in ("CosineEmbeddingLoss", "MarginRankingLoss"):
            a2 = x if name == "CosineEmbeddingLoss" else x[:, 0]
            check_against_torch(lambda a, b: em(a, b, E(sign)), lambda a, b: tmod(a, b, T(sign)), [a2, y if name == "CosineEmbeddingLoss" else y[:, 0]])
        elif name == "TripletMarginLoss":
            check_against_torch(em, tmod, [x, y, probs])
        elif name == "MultiLabelMarginLoss":
            mt = np.array([[2, 0, -1], [1, -1, 0], [0, 1, 2], [-1, 0, 0]])
            check_against_torch(lambda a: em(a, E(mt)), lambda a: tmod(a, T(mt)), [x])


def test_loss_module_legacy_size_average_and_reduce_flags():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert nn.MSELoss(size_average=False).reduction == torch.nn.MSELoss(size_average=False).reduction == "sum"
        assert nn.L1Loss(reduce=False).reduction == torch.nn.L1Loss(reduce=False).reduction == "none"


def test_composed_losses_and_distances_gradcheck():
    rng = _rng(13)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    y = E(np.array([1.0, -1.0, 1.0]))
    for fn, arrays in [
        (lambda a, b: F.cosine_similarity(a, b), [a, b]),
        (lambda a, b: F.pairwise_distance(a, b, 3), [a, b]),
        (lambda a, b: F.kl_div(a, b, reduction="batchmean"), [a, np.abs(b) + 0.1]),
        (lambda a, b: F.cosine_embedding_loss(a, b, y, 0.1), [a, b]),
        (lambda a, b: F.triplet_margin_loss(a, b, b * 0.5 + 1), [a, b]),
        (lambda a, b: F.gaussian_nll_loss(a, b, (b * b + 0.5)), [a, b]),
        (lambda a, b: F.poisson_nll_loss(a, b * b), [a, b]),
        (lambda a, b: F.multilabel_soft_margin_loss(a, (b > 0).float()), [a, b]),
    ]:
        check_gradcheck(fn, arrays)

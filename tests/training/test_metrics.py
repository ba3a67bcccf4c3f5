"""ember.training.metrics: hand-computed cases, sklearn parity, streaming == one-shot."""

import numpy as np
import pytest

from ember.training.metrics import (
    Accuracy,
    ConfusionMatrix,
    MeanAbsoluteError,
    MeanSquaredError,
    Metric,
    R2Score,
    RunningMean,
    TopKAccuracy,
    accuracy,
    confusion_matrix,
    mae,
    mse,
    precision_recall_f1,
    r2_score,
    top_k_accuracy,
)


class _ArrayLike:
    """Stands in for a tensor: only ``__array__``."""

    def __init__(self, a):
        self._a = np.asarray(a)

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


class _GradTensor(_ArrayLike):
    """Like a torch tensor that requires grad: ``__array__`` refuses until detached."""

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad")

    def detach(self):
        return _ArrayLike(self._a)


# -- accuracy -----------------------------------------------------------------------------------
def test_accuracy_of_labels_hand_computed():
    assert accuracy([0, 1, 2, 1], [0, 2, 2, 1]) == pytest.approx(0.75)


def test_accuracy_takes_argmax_of_2d_logits():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.1, 3.0], [5.0, 6.0, -1.0]])
    assert accuracy([0, 2, 0], logits) == pytest.approx(2 / 3)


def test_accuracy_accepts_array_likes_and_tensors_that_require_grad():
    y = _ArrayLike([1, 0, 1])
    logits = _GradTensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]])
    assert accuracy(y, logits) == pytest.approx(2 / 3)


def test_accuracy_accepts_integral_float_labels():
    assert accuracy(np.array([1.0, 0.0]), np.array([1, 1])) == pytest.approx(0.5)


def test_accuracy_rejects_non_integer_float_labels():
    with pytest.raises(ValueError, match="non-integer"):
        accuracy([0.5, 1.0], [0, 1])


def test_accuracy_length_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        accuracy([0, 1, 2], np.zeros((2, 4)))


def test_accuracy_refuses_single_column_probabilities_as_ambiguous():
    with pytest.raises(ValueError, match=r"\(2, 1\).*single column.*threshold"):
        accuracy([0, 1], np.array([[0.2], [0.9]]))


def test_accuracy_reads_single_column_of_labels_as_labels():
    y = np.array([[1.0], [0.0], [1.0]])  # binary targets shaped (N, 1) for BCE
    assert accuracy(y, np.array([[1], [1], [1]])) == pytest.approx(2 / 3)


def test_accuracy_refuses_3d_output_and_empty_input():
    with pytest.raises(ValueError, match=r"\(2, 3, 4\)"):
        accuracy([0, 1], np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="0 samples"):
        accuracy([], [])


# -- top-k ----------------------------------------------------------------------------------------
def test_top_k_accuracy_hand_computed():
    scores = np.array(
        [
            [0.1, 0.5, 0.3, 0.1],  # true 2 is 2nd
            [0.7, 0.1, 0.1, 0.1],  # true 3: tied with 1 and 2, ranked after them (lower index first)
            [0.1, 0.2, 0.3, 0.4],  # true 0 is last
        ]
    )
    y = [2, 3, 0]
    assert top_k_accuracy(y, scores, k=1) == pytest.approx(0.0)
    assert top_k_accuracy(y, scores, k=2) == pytest.approx(1 / 3)
    assert top_k_accuracy(y, scores, k=3) == pytest.approx(1 / 3)
    assert top_k_accuracy(y, scores, k=4) == pytest.approx(1.0)
    assert top_k_accuracy(y, scores, k=10) == pytest.approx(1.0)


def test_top_1_accuracy_equals_accuracy_even_with_ties():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 3, size=(200, 5)).astype(np.float32)  # many ties
    y = rng.integers(0, 5, size=200)
    assert top_k_accuracy(y, scores, k=1) == accuracy(y, scores)


def test_top_k_accuracy_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(300, 10))
    y = rng.integers(0, 10, size=300)
    for k in (1, 3, 5):
        expected = metrics.top_k_accuracy_score(y, scores, k=k, labels=np.arange(10))
        assert top_k_accuracy(y, scores, k=k) == pytest.approx(expected)


def test_top_k_accuracy_validates_k_shapes_and_labels():
    with pytest.raises(ValueError, match="k must be a positive integer"):
        top_k_accuracy([0], np.zeros((1, 3)), k=0)
    with pytest.raises(ValueError, match=r"\(N, C\).*\(3,\)"):
        top_k_accuracy([0, 1, 2], np.zeros(3))
    with pytest.raises(ValueError, match=r"label 3 is out of range.*\(1, 3\)"):
        top_k_accuracy([3], np.zeros((1, 3)))


# -- confusion matrix and P/R/F1 ------------------------------------------------------------------
def test_confusion_matrix_hand_computed():
    cm = confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(cm, expected)
    assert cm.dtype == np.int64


def test_confusion_matrix_num_classes_pads_and_validates():
    cm = confusion_matrix([0, 1], [1, 1], num_classes=4)
    assert cm.shape == (4, 4)
    assert cm.sum() == 2 and cm[0, 1] == 1 and cm[1, 1] == 1
    with pytest.raises(ValueError, match="num_classes=2"):
        confusion_matrix([0, 2], [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="non-negative"):
        confusion_matrix([-1, 0], [0, 0])


def test_confusion_matrix_accepts_scores_for_predictions():
    cm = confusion_matrix([1, 0], np.array([[0.1, 0.9], [0.2, 0.8]]))
    np.testing.assert_array_equal(cm, [[0, 1], [0, 1]])


def test_confusion_matrix_matches_sklearn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    y, p = rng.integers(0, 7, size=500), rng.integers(0, 7, size=500)
    np.testing.assert_array_equal(confusion_matrix(y, p, 7), metrics.confusion_matrix(y, p, labels=np.arange(7)))


def test_precision_recall_f1_hand_computed_with_zero_division():
    # class 0: tp=1 fp=1 fn=1; class 1: tp=1 fp=0 fn=1; class 2: never predicted, tp=0 fn=... none;
    # class 3: predicted once, never true.
    y = [0, 0, 1, 1]
    p = [0, 1, 3, 1]
    prec, rec, f1 = precision_recall_f1(y, p, num_classes=4)
    np.testing.assert_allclose(prec, [1.0, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(rec, [0.5, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(f1, [2 / 3, 0.5, 0.0, 0.0])
    # macro over classes present in y or p (0, 1, 3): class 2 is ignored
    mp, mr, mf = precision_recall_f1(y, p, num_classes=4, average="macro")
    assert mp == pytest.approx(1.5 / 3) and mr == pytest.approx(1.0 / 3) and mf == pytest.approx((2 / 3 + 0.5) / 3)
    # micro equals accuracy for single-label data
    assert precision_recall_f1(y, p, average="micro") == pytest.approx((0.5, 0.5, 0.5))
    # weighted by support (2, 2, 0, 0)
    wp, wr, wf = precision_recall_f1(y, p, average="weighted")
    assert (wp, wr, wf) == pytest.approx((0.75, 0.5, (2 / 3 + 0.5) / 2))


def test_precision_recall_f1_rejects_unknown_average():
    with pytest.raises(ValueError, match="average must be"):
        precision_recall_f1([0, 1], [0, 1], average="samples")


@pytest.mark.parametrize("average", [None, "macro", "micro", "weighted"])
def test_precision_recall_f1_matches_sklearn(average):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    y = rng.integers(0, 6, size=400)
    p = np.where(rng.random(400) < 0.6, y, rng.integers(0, 6, size=400))
    p[p == 5] = 4  # class 5 never predicted: exercises zero division
    ours = precision_recall_f1(y, p, average=average)
    ref = metrics.precision_recall_fscore_support(y, p, average=average, zero_division=0)[:3]
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# -- regression ---------------------------------------------------------------------------------
def test_regression_metrics_hand_computed():
    y = [1.0, 2.0, 3.0, 4.0]
    p = [1.0, 3.0, 2.0, 4.0]
    assert mse(y, p) == pytest.approx(0.5)
    assert mae(y, p) == pytest.approx(0.5)
    assert r2_score(y, p) == pytest.approx(1 - 2.0 / 5.0)


def test_r2_of_constant_target_is_finite_like_sklearn():
    assert r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == 1.0
    assert r2_score([2.0, 2.0, 2.0], [2.0, 1.0, 2.0]) == 0.0


def test_regression_accepts_n_vs_n1_but_refuses_other_mismatches():
    assert mse(np.array([1.0, 2.0]), np.array([[1.0], [4.0]])) == pytest.approx(2.0)
    with pytest.raises(ValueError, match=r"\(4,\) and \(2, 2\)"):
        mse(np.zeros(4), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        mae(np.zeros(3), np.zeros(2))


@pytest.mark.parametrize("shape", [(50,), (50, 3)])
def test_regression_metrics_match_sklearn(shape):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(4)
    y = rng.normal(loc=3.0, size=shape)
    p = y + rng.normal(scale=0.5, size=shape)
    assert mse(y, p) == pytest.approx(metrics.mean_squared_error(y, p))
    assert mae(y, p) == pytest.approx(metrics.mean_absolute_error(y, p))
    assert r2_score(y, p) == pytest.approx(metrics.r2_score(y, p))


# -- streaming ---------------------------------------------------------------------------------
def _batches(n, size):
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def test_streaming_classification_metrics_equal_one_shot_over_uneven_batches():
    rng = np.random.default_rng(5)
    n, c = 203, 6
    y = rng.integers(0, c, size=n)
    logits = rng.normal(size=(n, c))
    acc, top3, cm = Accuracy(), TopKAccuracy(3), ConfusionMatrix(c)
    for s in _batches(n, 32):  # last batch has 11 samples
        for m in (acc, top3, cm):
            m.update(y[s], logits[s])
    assert acc.compute() == pytest.approx(accuracy(y, logits))
    assert top3.compute() == pytest.approx(top_k_accuracy(y, logits, 3))
    np.testing.assert_array_equal(cm.compute(), confusion_matrix(y, logits, c))
    np.testing.assert_allclose(cm.precision_recall_f1("macro"), precision_recall_f1(y, logits, c, "macro"))


def test_streaming_regression_metrics_equal_one_shot():
    rng = np.random.default_rng(6)
    # A large mean makes a naive sum-of-squares SS_tot cancel; the Chan merge must not.
    y = rng.normal(loc=1e6, scale=1.0, size=(157, 2))
    p = y + rng.normal(scale=0.3, size=y.shape)
    ms, ma, r2 = MeanSquaredError(), MeanAbsoluteError(), R2Score()
    for s in _batches(157, 20):
        for m in (ms, ma, r2):
            m.update(y[s], p[s])
    assert ms.compute() == pytest.approx(mse(y, p), rel=1e-12)
    assert ma.compute() == pytest.approx(mae(y, p), rel=1e-12)
    assert r2.compute() == pytest.approx(r2_score(y, p), rel=1e-9)


def test_reset_forgets_and_compute_before_update_raises():
    acc = Accuracy()
    with pytest.raises(RuntimeError, match="before any update"):
        acc.compute()
    acc.update([0, 1], [1, 1])
    acc.reset()
    acc.update([0, 1], [0, 1])
    assert acc.compute() == 1.0
    cm = ConfusionMatrix(2)
    cm.update([0], [1])
    cm.reset()
    assert cm.compute().sum() == 0


def test_streaming_metrics_validate_shapes_and_labels():
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        Accuracy().update([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="num_classes=3"):
        ConfusionMatrix(3).update([0, 3], [0, 1])
    r2 = R2Score()
    r2.update(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="changed shape"):
        r2.update(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="positive integer"):
        TopKAccuracy(0)


def test_metric_names_for_history_keys():
    assert isinstance(Accuracy(), Metric)
    assert Accuracy().name == "accuracy"
    assert TopKAccuracy(5).name == "top5_accuracy"
    assert MeanSquaredError().name == "mse"


def test_running_mean_weights_by_batch_size():
    m = RunningMean()
    m.update(1.0, n=32)
    m.update(np.float32(4.0), n=8)  # the small last batch counts for less
    m.update(_GradTensor(np.array(0.0)), n=0)  # empty batch contributes nothing
    assert m.compute() == pytest.approx((32 * 1.0 + 8 * 4.0) / 40)
    m.reset()
    with pytest.raises(RuntimeError, match="before any update"):
        m.compute()
    with pytest.raises(ValueError, match=r"scalar.*\(2,\)"):
        m.update(np.zeros(2), n=2)

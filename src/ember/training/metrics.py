"""Evaluation metrics on NumPy arrays, as one-shot functions and as streaming accumulators.

Every function accepts NumPy arrays or anything with ``__array__`` (ember or PyTorch tensors,
lists). Classification outputs may be given as labels of shape ``(N,)`` or as scores/logits of
shape ``(N, C)``, which are reduced with ``argmax`` over the class axis. A single column
``(N, 1)`` is read as labels when its values are integers and refused when they are fractional
(a sigmoid output needs a threshold the caller chooses).

The streaming classes (`Accuracy`, `ConfusionMatrix`, ...) keep sufficient
statistics across batches so that ``compute()`` after a whole epoch equals the one-shot
function applied to the concatenated epoch, not an average of per-batch values.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

__all__ = [
    "Accuracy",
    "ConfusionMatrix",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "Metric",
    "R2Score",
    "RunningMean",
    "TopKAccuracy",
    "accuracy",
    "confusion_matrix",
    "mae",
    "mse",
    "precision_recall_f1",
    "r2_score",
    "top_k_accuracy",
]

Average = Literal["macro", "micro", "weighted"] | None


# -- input helpers ------------------------------------------------------------------------------
def _to_numpy(x: Any) -> np.ndarray:
    """``x`` as an ndarray; tensors are detached first (PyTorch's ``__array__`` refuses otherwise)."""
    detach = getattr(x, "detach", None)
    if callable(detach):
        x = detach()
    return np.asarray(x)


def _labels(x: Any, fn: str, what: str) -> np.ndarray:
    """Integer class labels of shape (N,), from labels or from (N, C) scores via argmax."""
    a = _to_numpy(x)
    if a.ndim == 2 and a.shape[1] == 1:
        # A column of labels (e.g. binary targets stored as (N, 1) for BCE) is just labels. A
        # column of fractional values is a probability or a logit: the threshold (0.5 or 0) is the
        # caller's to choose, and argmax over one column would silently give all zeros.
        a = a[:, 0]
        if a.dtype.kind == "f" and not np.all(a == np.round(a)):
            raise ValueError(
                f"{fn}: {what} has shape {a.shape[0], 1} with fractional values; a single column is "
                "ambiguous (probability or logit?), threshold it first, e.g. (p > 0.5).astype(int)"
            )
    elif a.ndim == 2:
        a = a.argmax(axis=1)
    elif a.ndim != 1:
        raise ValueError(f"{fn}: expected {what} of shape (N,) or (N, C), got shape {a.shape}")
    if a.dtype.kind == "b":
        return a.astype(np.int64)
    if a.dtype.kind in "iu":
        return a.astype(np.int64, copy=False)
    if a.dtype.kind == "f":
        # Float labels (e.g. targets stored as float32 tensors) are fine when integral.
        if a.size and not np.all(np.isfinite(a) & (a == np.round(a))):
            bad = a[~(np.isfinite(a) & (a == np.round(a)))][0]
            raise ValueError(f"{fn}: expected integer class labels in {what}, got a non-integer value {bad!r}")
        return a.astype(np.int64)
    raise TypeError(f"{fn}: expected numeric class labels in {what}, got dtype {a.dtype}")


def _check_same_length(fn: str, y_true: np.ndarray, y_pred: np.ndarray, pred_name: str = "y_pred") -> None:
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(
            f"{fn}: y_true and {pred_name} disagree on the number of samples: "
            f"y_true has shape {y_true.shape}, {pred_name} has shape {y_pred.shape}"
        )


def _label_pair(fn: str, y_true: Any, y_pred: Any, pred_name: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions as label vectors of equal length (errors show the shapes as given)."""
    t_raw, p_raw = _to_numpy(y_true), _to_numpy(y_pred)
    if t_raw.ndim >= 1 and p_raw.ndim >= 1:
        _check_same_length(fn, t_raw, p_raw, pred_name)
    return _labels(t_raw, fn, "y_true"), _labels(p_raw, fn, pred_name)


def _check_nonempty(fn: str, y_true: np.ndarray) -> None:
    if y_true.shape[0] == 0:
        raise ValueError(f"{fn}: got 0 samples; the metric is undefined on an empty batch")


def _regression_pair(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float64 arrays of equal shape (N,) or (N, K); refuses shapes that would broadcast.

    ``(N,)`` against ``(N, 1)`` is accepted (a one-output model against a target vector) because
    it is unambiguous; every other mismatch is an error, since broadcasting ``(N,)`` with
    ``(N, 1)``-like shapes would silently compare every sample with every other.
    """
    t = _to_numpy(y_true).astype(np.float64, copy=False)
    p = _to_numpy(y_pred).astype(np.float64, copy=False)
    if t.shape != p.shape:
        if t.ndim + p.ndim == 3 and t.reshape(-1).shape == p.reshape(-1).shape and t.shape[0] == p.shape[0]:
            t, p = t.reshape(-1), p.reshape(-1)
        else:
            raise ValueError(f"{fn}: y_true and y_pred must have the same shape, got {t.shape} and {p.shape}")
    if t.ndim not in (1, 2):
        raise ValueError(f"{fn}: expected targets of shape (N,) or (N, K), got shape {t.shape}")
    _check_nonempty(fn, t)
    return t, p


def _infer_num_classes(fn: str, num_classes: int | None, *label_arrays: np.ndarray) -> int:
    lo = min((int(a.min()) for a in label_arrays if a.size), default=0)
    hi = max((int(a.max()) for a in label_arrays if a.size), default=-1)
    if lo < 0:
        raise ValueError(f"{fn}: class labels must be non-negative integers, got {lo}")
    if num_classes is None:
        return hi + 1
    if num_classes < 1:
        raise ValueError(f"{fn}: num_classes must be >= 1, got {num_classes}")
    if hi >= num_classes:
        raise ValueError(f"{fn}: got class label {hi}, but num_classes={num_classes} allows only 0..{num_classes - 1}")
    return num_classes


def _bincount_confusion(y_true: np.ndarray, y_pred: np.ndarray, n: int) -> np.ndarray:
    # One bincount over flat (true, pred) indices: O(N), no Python loop over classes.
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n).astype(np.int64, copy=False)


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, with 0 where den == 0 (sklearn's ``zero_division=0``)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    np.divide(num, den, out=out, where=den != 0)
    return out


# -- classification ------------------------------------------------------------------------------
def accuracy(y_true: Any, y_pred_or_logits: Any) -> float:
    """Fraction of samples whose predicted class equals the true class.

    Args:
        y_true: integer labels, shape (N,).
        y_pred_or_logits: predicted labels (N,) or class scores/logits/probabilities (N, C),
            in which case the prediction is ``argmax`` over axis 1.
    """
    t, p = _label_pair("accuracy", y_true, y_pred_or_logits, "y_pred_or_logits")
    _check_nonempty("accuracy", t)
    return float(np.count_nonzero(t == p) / t.shape[0])


def _top_k_hits(fn: str, y_true: Any, scores: Any, k: int) -> np.ndarray:
    """Boolean (N,) mask: is the true class among the k highest scores?"""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise ValueError(f"{fn}: k must be a positive integer, got {k!r}")
    t = _labels(y_true, fn, "y_true")
    s = _to_numpy(scores)
    if s.ndim != 2:
        raise ValueError(f"{fn}: expected scores of shape (N, C), got shape {s.shape}")
    _check_same_length(fn, t, s, "scores")
    n_classes = s.shape[1]
    if t.size and (t.min() < 0 or t.max() >= n_classes):
        bad = t[(t < 0) | (t >= n_classes)][0]
        raise ValueError(f"{fn}: label {bad} is out of range for scores with {n_classes} classes (shape {s.shape})")
    true_score = s[np.arange(t.shape[0]), t][:, None]
    # Rank of the true class without sorting: the classes that beat it are those scoring higher,
    # plus ties at a lower index (np.argmax's tie rule), so k=1 agrees exactly with accuracy().
    idx = np.arange(n_classes)[None, :]
    beaten_by = (s > true_score) | ((s == true_score) & (idx < t[:, None]))
    return np.count_nonzero(beaten_by, axis=1) < k


def top_k_accuracy(y_true: Any, scores: Any, k: int = 5) -> float:
    """Fraction of samples whose true class is among the ``k`` highest-scoring classes.

    Ties are ranked like ``np.argmax`` (lower class index first), so ``k=1`` equals
    `accuracy` on the same scores. (sklearn ranks tied scores the other way round;
    the two agree whenever scores have no ties.)

    Args:
        y_true: integer labels, shape (N,).
        scores: class scores, logits or probabilities, shape (N, C).
        k: how many top classes count as a hit; ``k >= C`` gives 1.0.
    """
    hits = _top_k_hits("top_k_accuracy", y_true, scores, k)
    _check_nonempty("top_k_accuracy", hits)
    return float(np.count_nonzero(hits) / hits.shape[0])


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts ``cm[i, j]`` of samples with true class ``i`` predicted as class ``j`` (int64).

    Args:
        y_true: integer labels, shape (N,).
        y_pred: predicted labels (N,) or scores (N, C) (argmax over axis 1).
        num_classes: matrix size; inferred as ``max label + 1`` when omitted.
    """
    t, p = _label_pair("confusion_matrix", y_true, y_pred)
    n = _infer_num_classes("confusion_matrix", num_classes, t, p)
    return _bincount_confusion(t, p, n)


def _prf_from_confusion(cm: np.ndarray, average: Average) -> tuple[Any, Any, Any]:
    if average not in (None, "macro", "micro", "weighted"):
        raise ValueError(f"precision_recall_f1: average must be None, 'macro', 'micro' or 'weighted', got {average!r}")
    tp = np.diag(cm).astype(np.float64)
    predicted = cm.sum(axis=0)  # tp + fp
    support = cm.sum(axis=1)  # tp + fn
    if average == "micro":
        # Single-label multiclass: every error is one fp and one fn, so P = R = F1 = accuracy.
        tp_sum, pred_sum, true_sum = tp.sum(), predicted.sum(), support.sum()
        p, r = _safe_div(tp_sum, pred_sum), _safe_div(tp_sum, true_sum)
        return float(p), float(r), float(_safe_div(2 * p * r, p + r))
    precision = _safe_div(tp, predicted)
    recall = _safe_div(tp, support)
    f1 = _safe_div(2 * precision * recall, precision + recall)
    if average is None:
        return precision, recall, f1
    if average == "macro":
        # Average over classes that occur in y_true or y_pred (sklearn with labels=None): a class
        # that is merely possible (num_classes) but never seen has no evidence either way.
        present = (support + predicted) > 0
        if not present.any():
            return 0.0, 0.0, 0.0
        return float(precision[present].mean()), float(recall[present].mean()), float(f1[present].mean())
    weights = support.astype(np.float64)
    total = weights.sum()
    if total == 0:
        return 0.0, 0.0, 0.0
    p, r, f = (float((m * weights).sum() / total) for m in (precision, recall, f1))
    return p, r, f


def precision_recall_f1(
    y_true: Any,
    y_pred: Any,
    num_classes: int | None = None,
    average: Average = None,
) -> tuple[Any, Any, Any]:
    """Precision, recall and F1 score per class, or averaged.

    precision_c = tp / (tp + fp), recall_c = tp / (tp + fn), f1_c = 2 p r / (p + r);
    any 0/0 is 0 (sklearn's ``zero_division=0``).

    Args:
        y_true: integer labels, shape (N,).
        y_pred: predicted labels (N,) or scores (N, C) (argmax over axis 1).
        num_classes: number of classes; inferred as ``max label + 1`` when omitted.
        average: ``None`` for per-class float64 arrays of length ``num_classes`` (indexed by
            class id); ``'macro'`` for the unweighted mean over classes present in ``y_true``
            or ``y_pred``; ``'weighted'`` for the mean weighted by each class's support;
            ``'micro'`` for global counts (equal to accuracy for single-label data).

    Returns:
        ``(precision, recall, f1)``: three arrays, or three floats when averaged.
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    return _prf_from_confusion(cm, average)


# -- regression --------------------------------------------------------------------------------
def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error, mean((y_true - y_pred)^2) over all elements."""
    t, p = _regression_pair("mse", y_true, y_pred)
    return float(np.mean(np.square(t - p)))


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error, mean(|y_true - y_pred|) over all elements."""
    t, p = _regression_pair("mae", y_true, y_pred)
    return float(np.mean(np.abs(t - p)))


def _r2_from_sums(ss_res: np.ndarray, ss_tot: np.ndarray) -> float:
    # Constant targets (ss_tot == 0): 1.0 for a perfect fit, else 0.0, like sklearn's
    # force_finite=True, instead of -inf/nan that would poison a history plot.
    r2 = np.where(ss_tot > 0, 1.0 - _safe_div(ss_res, ss_tot), np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(r2))  # multi-output: uniform average over outputs, as sklearn


def r2_score(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination R^2 = 1 - SS_res / SS_tot (averaged over outputs if 2-D)."""
    t, p = _regression_pair("r2_score", y_true, y_pred)
    ss_res = np.square(t - p).sum(axis=0)
    ss_tot = np.square(t - t.mean(axis=0)).sum(axis=0)
    return _r2_from_sums(ss_res, ss_tot)


# -- streaming accumulators ------------------------------------------------------------------------
class Metric:
    """Accumulates a metric over batches: ``reset()``, then ``update(y_true, output)`` per batch, then ``compute()``.

    Subclasses keep sufficient statistics (counts, sums), so the epoch value is exact rather than
    a mean of batch means. ``name`` is the key a training loop uses in its history
    (``'accuracy'`` and ``'val_accuracy'``).
    """

    name: str = "metric"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        raise NotImplementedError

    def update(self, y_true: Any, output: Any) -> None:
        """Add one batch: targets and the model's output (labels or scores)."""
        raise NotImplementedError

    def compute(self) -> Any:
        """The metric over every batch since the last ``reset()``."""
        raise NotImplementedError

    def _require_data(self, count: int) -> None:
        if count == 0:
            raise RuntimeError(f"{type(self).__name__}.compute() called before any update() with samples")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Accuracy(Metric):
    """Streaming `accuracy`; ``output`` may be labels (N,) or scores (N, C)."""

    name = "accuracy"

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, y_true: Any, output: Any) -> None:
        t, p = _label_pair("Accuracy.update", y_true, output, "output")
        self.correct += int(np.count_nonzero(t == p))
        self.total += t.shape[0]

    def compute(self) -> float:
        self._require_data(self.total)
        return self.correct / self.total


class TopKAccuracy(Metric):
    """Streaming `top_k_accuracy`; ``output`` is scores of shape (N, C)."""

    def __init__(self, k: int = 5) -> None:
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
            raise ValueError(f"TopKAccuracy: k must be a positive integer, got {k!r}")
        self.k = int(k)
        self.name = f"top{self.k}_accuracy"
        super().__init__()

    def reset(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, y_true: Any, output: Any) -> None:
        hits = _top_k_hits("TopKAccuracy.update", y_true, output, self.k)
        self.correct += int(np.count_nonzero(hits))
        self.total += hits.shape[0]

    def compute(self) -> float:
        self._require_data(self.total)
        return self.correct / self.total

    def __repr__(self) -> str:
        return f"TopKAccuracy(k={self.k})"


class ConfusionMatrix(Metric):
    """Streaming `confusion_matrix` with a fixed number of classes; ``compute()`` returns a copy."""

    name = "confusion_matrix"

    def __init__(self, num_classes: int) -> None:
        if not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
            raise ValueError(f"ConfusionMatrix: num_classes must be a positive integer, got {num_classes!r}")
        self.num_classes = int(num_classes)
        super().__init__()

    def reset(self) -> None:
        self.matrix = np.zeros((self.num_classes, self.num_classes), dtype=np.int64)

    def update(self, y_true: Any, output: Any) -> None:
        t, p = _label_pair("ConfusionMatrix.update", y_true, output, "output")
        _infer_num_classes("ConfusionMatrix.update", self.num_classes, t, p)
        self.matrix += _bincount_confusion(t, p, self.num_classes)

    def compute(self) -> np.ndarray:
        return self.matrix.copy()

    def precision_recall_f1(self, average: Average = None) -> tuple[Any, Any, Any]:
        """`precision_recall_f1` from the accumulated counts."""
        return _prf_from_confusion(self.matrix, average)

    def __repr__(self) -> str:
        return f"ConfusionMatrix(num_classes={self.num_classes})"


class _ElementwiseMean(Metric):
    """Mean of a per-element error over every element seen."""

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0

    def _error(self, diff: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def update(self, y_true: Any, output: Any) -> None:
        t, p = _regression_pair(f"{type(self).__name__}.update", y_true, output)
        self.total += float(self._error(t - p).sum())
        self.count += t.size

    def compute(self) -> float:
        self._require_data(self.count)
        return self.total / self.count


class MeanSquaredError(_ElementwiseMean):
    """Streaming `mse`."""

    name = "mse"

    def _error(self, diff: np.ndarray) -> np.ndarray:
        return np.square(diff)


class MeanAbsoluteError(_ElementwiseMean):
    """Streaming `mae`."""

    name = "mae"

    def _error(self, diff: np.ndarray) -> np.ndarray:
        return np.abs(diff)


class R2Score(Metric):
    """Streaming `r2_score`.

    SS_tot is accumulated with Chan et al.'s pairwise merge of (count, mean, M2) per output,
    which stays accurate when targets have a large mean (sum(y^2) - n*mean^2 would cancel).
    """

    name = "r2"

    def reset(self) -> None:
        self.count = 0
        self._mean: np.ndarray | None = None
        self._m2: np.ndarray | None = None
        self._ss_res: np.ndarray | None = None
        self._shape: tuple[int, ...] | None = None

    def update(self, y_true: Any, output: Any) -> None:
        t, p = _regression_pair("R2Score.update", y_true, output)
        if self._shape is not None and t.shape[1:] != self._shape:
            raise ValueError(
                f"R2Score.update: targets changed shape between batches: earlier (N, *{self._shape}), now {t.shape}"
            )
        n_b = t.shape[0]
        mean_b = t.mean(axis=0)
        m2_b = np.square(t - mean_b).sum(axis=0)
        res_b = np.square(t - p).sum(axis=0)
        if self._mean is None:
            self._shape = t.shape[1:]
            self.count, self._mean, self._m2, self._ss_res = n_b, mean_b, m2_b, res_b
            return
        n_a = self.count
        n = n_a + n_b
        delta = mean_b - self._mean
        self._mean = self._mean + delta * (n_b / n)
        self._m2 = self._m2 + m2_b + np.square(delta) * (n_a * n_b / n)
        self._ss_res = self._ss_res + res_b
        self.count = n

    def compute(self) -> float:
        self._require_data(self.count)
        return _r2_from_sums(self._ss_res, self._m2)


class RunningMean:
    """Sample-weighted running mean of a scalar, e.g. the training loss over an epoch.

    ``update(value, n)`` adds a batch mean ``value`` computed over ``n`` samples, so a smaller
    last batch counts for less, and ``compute()`` equals the loss over the whole epoch. It has
    the ``reset``/``compute`` protocol of `Metric` but is deliberately not a subclass: its
    ``update`` takes a value and a count, not ``(y_true, output)``, and a loop that calls every
    ``Metric`` with targets and outputs must not feed it those.
    """

    name = "loss"

    def __init__(self, name: str = "loss") -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far."""
        self.total = 0.0
        self.count = 0

    def update(self, value: Any, n: int = 1) -> None:
        """Add a batch mean ``value`` (a number, 0-d array or one-element tensor) over ``n`` samples."""
        a = _to_numpy(value)
        if a.size != 1:
            raise ValueError(f"RunningMean.update: expected a scalar value, got shape {a.shape}")
        if n < 0:
            raise ValueError(f"RunningMean.update: n must be >= 0, got {n}")
        self.total += float(a.reshape(())) * n
        self.count += int(n)

    def compute(self) -> float:
        """The weighted mean of every value since the last ``reset()``."""
        if self.count == 0:
            raise RuntimeError("RunningMean.compute() called before any update() with n > 0")
        return self.total / self.count

    def __repr__(self) -> str:
        return f"RunningMean(name={self.name!r})"

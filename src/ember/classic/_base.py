"""Shared plumbing for the classic learners: errors, input and hyper-parameter
validation, the scikit-learn-style base class and the score mixins.

Everything here is plain NumPy; nothing in ``ember.classic`` touches ember's
Tensor or autograd, so the course can read each learner as the math it is.
"""

from __future__ import annotations

import inspect
import numbers
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["ConvergenceWarning", "NotFittedError"]


class NotFittedError(RuntimeError):
    """Raised when a learner is used (predict, score, ...) before ``fit``."""


class ConvergenceWarning(UserWarning):
    """Training stopped without a usable solution (the loss became inf or NaN)."""


# ----------------------------------------------------------------------------- inputs


def check_X(X: ArrayLike, owner: str) -> np.ndarray:
    """Return ``X`` as a finite float64 array of shape (n_samples, n_features) or raise."""
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{owner}: X must be numeric; cannot convert it to float64 ({exc})") from None
    if arr.ndim != 2:
        raise ValueError(f"{owner}: expected a 2-D array X of shape (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{owner}: X has 0 samples, got shape {arr.shape}; need at least 1")
    if arr.shape[1] == 0:
        raise ValueError(f"{owner}: X has 0 features, got shape {arr.shape}; need at least 1")
    if not np.isfinite(arr).all():
        n_nan, n_inf = int(np.isnan(arr).sum()), int(np.isinf(arr).sum())
        raise ValueError(f"{owner}: X contains NaN or infinity ({n_nan} NaN, {n_inf} inf); remove or impute them first")
    return arr


def check_y(y: ArrayLike, n_samples: int, owner: str, *, allow_2d: bool = False) -> np.ndarray:
    """Return ``y`` as an array with ``n_samples`` rows; 1-D unless ``allow_2d``.

    A column vector of shape (n, 1) is accepted and flattened where 1-D is expected.
    """
    arr = np.asarray(y)
    if arr.ndim == 0:
        raise ValueError(f"{owner}: expected an array y of shape (n_samples,), got a scalar {arr!r}")
    if len(arr) != n_samples:
        raise ValueError(f"{owner}: X and y have different lengths: X has {n_samples} samples, y has {len(arr)}")
    if arr.ndim == 2 and arr.shape[1] == 1 and not allow_2d:
        arr = arr.ravel()
    if arr.ndim != 1 and not (allow_2d and arr.ndim == 2):
        shape = "(n_samples,) or (n_samples, n_outputs)" if allow_2d else "(n_samples,)"
        raise ValueError(f"{owner}: expected y of shape {shape}, got shape {arr.shape}")
    if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
        raise ValueError(f"{owner}: y contains NaN or infinity; remove or impute them first")
    return arr


def _label(c: Any) -> str:
    """A class label as the user wrote it: ``1`` rather than ``np.int64(1)``."""
    return repr(c.item() if isinstance(c, np.generic) else c)


def check_classes(y: np.ndarray, owner: str, *, binary: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(classes, y_index)``: the sorted distinct labels and each sample's class index."""
    classes, y_index = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{owner} needs samples of at least 2 classes, got only class {_label(classes[0])}")
    if binary and len(classes) > 2:
        shown = ", ".join(_label(c) for c in classes[:10]) + (", ..." if len(classes) > 10 else "")
        raise ValueError(
            f"{owner} is a binary classifier, but y has {len(classes)} classes ({shown}); "
            "use SoftmaxRegression or MLPClassifier for more than 2"
        )
    return classes, y_index.reshape(-1)


def one_hot(index: np.ndarray, n_classes: int) -> np.ndarray:
    """Rows of the identity: ``Y[i, k] = 1`` if sample i is of class k, else 0."""
    Y = np.zeros((len(index), n_classes))
    Y[np.arange(len(index)), index] = 1.0
    return Y


# ---------------------------------------------------------------------- hyper-parameters


def check_number(
    owner: str,
    name: str,
    value: Any,
    *,
    integer: bool = False,
    low: float | None = None,
    low_open: bool = False,
    high: float | None = None,
    high_open: bool = False,
    allow_none: bool = False,
) -> None:
    """Raise ValueError unless ``value`` is a number in the stated range."""
    if value is None and allow_none:
        return
    kind = numbers.Integral if integer else numbers.Real
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if ok and not integer:
        ok = bool(np.isfinite(value))
    if not ok:
        what = "an int" if integer else "a number"
        if low is not None and high is not None:
            what += f" in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            what += f" {'>' if low_open else '>='} {low}"
        if allow_none:
            what += " or None"
        raise ValueError(f"{owner}: {name} must be {what}, got {value!r}")


def check_choice(owner: str, name: str, value: Any, choices: Sequence[Any]) -> None:
    """Raise ValueError unless ``value`` is one of ``choices`` (and list them)."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{owner}: unknown {name} {value!r}; valid values are {valid}")


def check_random_state(owner: str, random_state: Any) -> None:
    """Accept what ``np.random.default_rng`` accepts for reproducible runs: None, an int, a Generator."""
    if random_state is None or isinstance(random_state, np.random.Generator):
        return
    is_int = isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)
    if is_int and random_state >= 0:
        return
    raise ValueError(
        f"{owner}: random_state must be None, a non-negative int or a numpy.random.Generator, got {random_state!r}"
    )


def make_rng(random_state: None | int | np.random.Generator) -> np.random.Generator:
    """The learner's private generator; NumPy's global state is never used."""
    return np.random.default_rng(random_state)


# ---------------------------------------------------------------------- training helpers


def minibatches(n_samples: int, batch_size: int | None, rng: np.random.Generator) -> Iterator[slice | np.ndarray]:
    """Yield index sets covering a shuffled epoch; one ``slice(None)`` for full-batch training.

    The full batch is a slice, not a permutation, so ``X[idx]`` is a view and no copy is made.
    """
    if batch_size is None or batch_size >= n_samples:
        yield slice(None)
        return
    order = rng.permutation(n_samples)
    for start in range(0, n_samples, batch_size):
        yield order[start : start + batch_size]


def diverged(owner: str, loss: float, epoch: int, lr: float, stacklevel: int = 3) -> bool:
    """True (with a ConvergenceWarning) if the loss is no longer finite, so training must stop.

    ``stacklevel`` points the warning at the user's ``fit`` call (3 when called from ``fit``).
    """
    if np.isfinite(loss):
        return False
    warnings.warn(
        f"{owner}: training diverged at epoch {epoch} (loss became {loss}); "
        f"lr={lr!r} is too large for this data. Try a smaller lr or standardise X.",
        ConvergenceWarning,
        stacklevel=stacklevel,
    )
    return True


# ---------------------------------------------------------------------- base classes


class BaseLearner:
    """scikit-learn-style plumbing: ``get_params``/``set_params``, a readable repr, fitted checks.

    Subclasses store every ``__init__`` argument unchanged under the same name
    (``self._store_params(locals())``) and check them in ``_validate_params`` (called at
    construction and again by ``fit``).
    """

    def _store_params(self, values: dict[str, Any]) -> None:
        """Keep each constructor argument as the attribute of its name (scikit-learn's convention), then validate."""
        for name in self._param_names():
            setattr(self, name, values[name])
        self._validate_params()

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments as a dict (``deep`` is accepted for scikit-learn)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> BaseLearner:
        """Set constructor arguments by name, validate them, return self."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(
                    f"{type(self).__name__}: unknown parameter {name!r}; valid parameters are " + ", ".join(valid)
                )
            setattr(self, name, value)
        self._validate_params()
        return self

    def __repr__(self) -> str:
        # Like scikit-learn: only the arguments that differ from their defaults.
        sig = inspect.signature(type(self).__init__)
        shown = []
        for name, p in sig.parameters.items():
            if name == "self":
                continue
            value = getattr(self, name)
            if value is not p.default and not _equal(value, p.default):
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _validate_params(self) -> None:
        """Raise ValueError for a bad hyper-parameter; overridden by each learner."""

    @property
    def _name(self) -> str:
        return type(self).__name__

    def _check_is_fitted(self) -> None:
        if not hasattr(self, "n_features_in_"):
            raise NotFittedError(f"This {self._name} instance is not fitted yet; call fit(X, y) before using it")

    def _check_fit_classes(self, X: ArrayLike, y: ArrayLike, *, binary: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """What a classifier's ``fit`` checks first: the hyper-parameters, X, y and its classes.

        Sets ``classes_`` and returns ``(X, index)``, the float64 X and each sample's class index.
        """
        self._validate_params()
        X = check_X(X, self._name)
        y = check_y(y, len(X), self._name)
        self.classes_, index = check_classes(y, self._name, binary=binary)
        return X, index

    def _check_X_predict(self, X: ArrayLike) -> np.ndarray:
        """Validate X for prediction: fitted model, 2-D finite X, same number of features as fit."""
        self._check_is_fitted()
        X = check_X(X, self._name)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{self._name}: X has {X.shape[1]} features, but the model was fitted with "
                f"{self.n_features_in_} features"
            )
        return X


class GradientDescentLearner(BaseLearner):
    """The epoch loop of the linear learners fitted by gradient descent (Adaline, logistic and softmax regression).

    Each epoch visits the (mini)batches of ``minibatches`` and calls the learner's update rule,
    ``_update(X_batch, T_batch, rng)`` (by default one plain gradient step on the learner's own
    ``_loss_and_gradients``, written out in its file); then it records the training loss
    (``_loss_and_gradients(X, T, need_grads=False)``) and accuracy in ``history_``, and stops early
    with a ConvergenceWarning when the loss is no longer finite. Learners keep ``coef_`` and
    ``intercept_``; the decision ``X @ coef_ + intercept_`` is a score (binary) or logits (multiclass).
    """

    lr: float
    epochs: int

    # the hyper-parameters these learners share, checked alike wherever a learner takes them
    _SHARED_CHECKS = {
        "lr": dict(low=0, low_open=True),
        "epochs": dict(integer=True, low=1),
        "alpha": dict(low=0),
        "batch_size": dict(integer=True, low=1, allow_none=True),
    }

    def _validate_params(self) -> None:
        taken = self._param_names()
        for name, rule in self._SHARED_CHECKS.items():
            if name in taken:
                check_number(self._name, name, getattr(self, name), **rule)
        check_random_state(self._name, self.random_state)

    def _update(self, X: np.ndarray, T: np.ndarray, rng: np.random.Generator) -> None:
        """One gradient step on a (mini)batch:  W <- W - lr * dL/dW,  b <- b - lr * dL/db."""
        _, grads = self._loss_and_gradients(X, T)
        self.coef_ -= self.lr * grads["coef"]
        self.intercept_ -= self.lr * grads["intercept"]

    def _loss_and_gradients(self, X: np.ndarray, T: np.ndarray, need_grads: bool = True) -> tuple[float, dict]:
        raise NotImplementedError  # pragma: no cover

    def _train(self, X: np.ndarray, T: np.ndarray, rng: np.random.Generator, batch_size: int | None) -> None:
        self.history_: dict[str, list[float]] = {"loss": [], "accuracy": []}
        for epoch in range(1, self.epochs + 1):
            for idx in minibatches(len(X), batch_size, rng):
                self._update(X[idx], T[idx], rng)
            loss, _ = self._loss_and_gradients(X, T, need_grads=False)
            Z = X @ self.coef_ + self.intercept_
            # binary targets are positive for the positive class ({-1, 1} or {0, 1}); multiclass ones are one-hot
            correct = (Z > 0) == (T > 0) if Z.ndim == 1 else Z.argmax(axis=1) == T.argmax(axis=1)
            self.history_["loss"].append(loss)
            self.history_["accuracy"].append(float(np.mean(correct)))
            if diverged(self._name, loss, epoch, self.lr, stacklevel=4):  # the user's fit -> _train -> here
                break
        self.n_epochs_ = len(self.history_["loss"])


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # e.g. comparing arrays
        return False


class ClassifierMixin:
    """``score`` is accuracy; labels are encoded against ``classes_``."""

    classes_: np.ndarray

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """Accuracy: the fraction of samples whose predicted label equals y."""
        pred = self.predict(X)
        y = check_y(y, len(pred), type(self).__name__)
        return float(np.mean(pred == y))

    def _encode(self, y: ArrayLike, n_samples: int) -> np.ndarray:
        """Class index of each label in ``y``; raises for labels not seen during fit."""
        y = check_y(y, n_samples, type(self).__name__)
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        unseen = self.classes_[index] != y
        if unseen.any():
            labels = ", ".join(_label(c) for c in np.unique(y[unseen])[:10])
            raise ValueError(
                f"{type(self).__name__}: y contains labels not seen during fit: {labels}; "
                f"known classes are {', '.join(_label(c) for c in self.classes_[:10])}"
            )
        return index


class BinaryClassifierMixin(ClassifierMixin):
    """A two-class linear learner: its ``decision_function`` z = X w + b decides ``classes_[1]`` where z > 0."""

    def predict(self, X: ArrayLike) -> np.ndarray:
        """``classes_[1]`` where z > 0, else ``classes_[0]``."""
        positive = self.decision_function(X) > 0  # validates X and the fit before classes_
        return self.classes_[positive.astype(int)]


class RegressorMixin:
    """``score`` is the coefficient of determination R^2."""

    def score(self, X: ArrayLike, y: ArrayLike) -> float:
        """R^2 = 1 - sum (y - y_hat)^2 / sum (y - mean y)^2, averaged over outputs."""
        pred = self.predict(X)
        y = check_y(y, len(pred), type(self).__name__, allow_2d=True).astype(np.float64)
        return r2_score(y, pred)


def r2_score(y: np.ndarray, pred: np.ndarray) -> float:
    """Coefficient of determination, uniform average over outputs (scikit-learn's convention)."""
    y = y.reshape(len(y), -1)
    pred = pred.reshape(len(pred), -1)
    ss_res = ((y - pred) ** 2).sum(axis=0)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    # A constant target has no variance to explain: perfect fit scores 1, anything else 0.
    safe = ss_tot > 0
    scores = np.where(safe, 1.0 - ss_res / np.where(safe, ss_tot, 1.0), (ss_res == 0).astype(float))
    return float(scores.mean())

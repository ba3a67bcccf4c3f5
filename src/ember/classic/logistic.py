"""Binary logistic regression by gradient descent on the (penalised) log-loss."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._base import (
    BinaryClassifierMixin,
    GradientDescentLearner,
    check_choice,
    make_rng,
)
from ._math import log_loss, sigmoid

PENALTIES = (None, "l1", "l2")


class LogisticRegression(BinaryClassifierMixin, GradientDescentLearner):
    """Binary classifier  p(y=1 | x) = sigmoid(w . x + b),  fitted by gradient descent on the log-loss.

    With y in {0, 1} (``classes_[1]`` is the positive class) and p = sigmoid(X w + b):

        L(w, b) = -(1/n) sum_i [y_i log p_i + (1 - y_i) log(1 - p_i)] + R(w)
        R(w)    = 0  |  alpha * ||w||_1  (penalty='l1')  |  (alpha / 2) * ||w||^2  (penalty='l2')

        dL/dw = X^T (p - y) / n  (+ alpha * sign(w) for l1,  + alpha * w for l2)
        dL/db = (1/n) sum_i (p_i - y_i)          (the intercept is never penalised)

    The sigmoid is evaluated from exp(-|z|) only, so |z| of 1e4 neither overflows nor warns,
    and p is clipped to [1e-15, 1 - 1e-15] inside the logs so the loss stays finite.
    The weights start at zero (the loss is convex, so no symmetry needs breaking).

    Args:
        lr: learning rate.
        epochs: number of passes over the data.
        penalty: None, ``'l1'`` or ``'l2'``.
        alpha: penalty strength.
        batch_size: None for full-batch gradient descent, else the minibatch size.
        random_state: seed for the minibatch shuffle.

    Attributes:
        coef_ (n_features,), intercept_ (float), classes_, n_epochs_, history_ (``loss``,
        the objective above, and ``accuracy``, on the training set after each epoch).
    """

    def __init__(
        self,
        lr: float = 0.1,
        epochs: int = 100,
        penalty: str | None = None,
        alpha: float = 1e-4,
        batch_size: int | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self._store_params(locals())

    def _validate_params(self) -> None:
        super()._validate_params()
        check_choice(self._name, "penalty", self.penalty, PENALTIES)

    def fit(self, X: ArrayLike, y: ArrayLike) -> LogisticRegression:
        """Gradient descent on the penalised mean log-loss (see the class docstring)."""
        X, index = self._check_fit_classes(X, y, binary=True)
        self.coef_ = np.zeros(X.shape[1])
        self.intercept_ = 0.0
        self.n_features_in_ = X.shape[1]
        self._train(X, index.astype(np.float64), make_rng(self.random_state), self.batch_size)
        return self

    def _loss_and_gradients(self, X: np.ndarray, y01: np.ndarray, need_grads: bool = True) -> tuple[float, dict]:
        w = self.coef_
        p = sigmoid(X @ w + self.intercept_)
        loss = log_loss(y01, p)
        if self.penalty == "l2":
            loss += 0.5 * self.alpha * float(w @ w)
        elif self.penalty == "l1":
            loss += self.alpha * float(np.abs(w).sum())
        if not need_grads:
            return loss, {}
        # The unclipped p - y: the exact gradient; the clip above only guards the logs.
        residual = p - y01
        dw = X.T @ residual / len(X)
        if self.penalty == "l2":
            dw += self.alpha * w
        elif self.penalty == "l1":
            dw += self.alpha * np.sign(w)  # a subgradient; 0 at w = 0, like torch's abs
        return loss, {"coef": dw, "intercept": float(residual.mean())}

    def loss_and_gradients(self, X: ArrayLike, y: ArrayLike) -> tuple[float, dict[str, np.ndarray]]:
        """``(L, {'coef': dL/dw, 'intercept': dL/db})`` at the current parameters (see class doc)."""
        X = self._check_X_predict(X)
        y01 = self._encode(y, len(X)).astype(np.float64)
        return self._loss_and_gradients(X, y01)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The log-odds z = X w + b, shape (n_samples,)."""
        X = self._check_X_predict(X)
        return X @ self.coef_ + self.intercept_

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """[[1 - p, p]] per sample, shape (n_samples, 2), columns in ``classes_`` order."""
        z = self.decision_function(X)
        # sigmoid(-z) rather than 1 - sigmoid(z): keeps full precision for tiny 1 - p.
        return np.column_stack([sigmoid(-z), sigmoid(z)])

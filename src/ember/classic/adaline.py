"""ADALINE (Widrow and Hoff): gradient descent on the squared error of the linear output."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._base import BinaryClassifierMixin, GradientDescentLearner, check_choice, make_rng

SOLVERS = ("batch", "sgd")


class Adaline(BinaryClassifierMixin, GradientDescentLearner):
    """Binary linear classifier trained by gradient descent on the mean squared error.

    Unlike the perceptron, the error is measured on the *linear* output z = X w + b, before
    the threshold, against targets t in {-1, +1}:

        L(w, b) = (1/n) sum_i (z_i - t_i)^2
        dL/dw   = (2/n) X^T (z - t),        dL/db = (2/n) sum_i (z_i - t_i)

    ``solver='batch'`` takes one step per epoch with the full gradient; ``solver='sgd'``
    takes one step per sample (the Widrow-Hoff / LMS rule  w <- w - lr * 2 (z_i - t_i) x_i)
    in a shuffled order. Predictions threshold z at 0. A learning rate too large for the
    scale of X makes the loss explode: training then stops with a ConvergenceWarning.

    Args:
        lr: learning rate.
        epochs: number of passes over the data.
        solver: ``'batch'`` or ``'sgd'``.
        random_state: seed for the initial weights (normal, std 0.01) and the sgd shuffle.

    Attributes:
        coef_ (n_features,), intercept_ (float), classes_, n_epochs_, history_ (``loss`` and
        ``accuracy`` on the training set after each epoch).
    """

    def __init__(
        self,
        lr: float = 0.01,
        epochs: int = 50,
        solver: str = "batch",
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self._store_params(locals())

    def _validate_params(self) -> None:
        super()._validate_params()
        check_choice(self._name, "solver", self.solver, SOLVERS)

    def fit(self, X: ArrayLike, y: ArrayLike) -> Adaline:
        """Minimise the mean squared error of X w + b against t in {-1, +1}."""
        X, index = self._check_fit_classes(X, y, binary=True)
        t = np.where(index == 1, 1.0, -1.0)
        rng = make_rng(self.random_state)
        # Small random weights rather than zeros: the course's convention, and it makes
        # random_state visible for the batch solver too.
        self.coef_ = rng.normal(0.0, 0.01, size=X.shape[1])
        self.intercept_ = 0.0
        self.n_features_in_ = X.shape[1]
        self._train(X, t, rng, batch_size=None)
        return self

    def _update(self, X: np.ndarray, t: np.ndarray, rng: np.random.Generator) -> None:
        """One epoch's steps: one full-gradient step (batch), or the LMS rule sample by sample (sgd)."""
        if self.solver == "batch":
            super()._update(X, t, rng)
        else:
            for i in rng.permutation(len(X)):
                err = X[i] @ self.coef_ + self.intercept_ - t[i]
                self.coef_ -= self.lr * 2.0 * err * X[i]
                self.intercept_ -= self.lr * 2.0 * err

    def _loss_and_gradients(self, X: np.ndarray, t: np.ndarray, need_grads: bool = True) -> tuple[float, dict]:
        residual = X @ self.coef_ + self.intercept_ - t
        loss = float(np.mean(residual * residual))
        if not need_grads:
            return loss, {}
        n = len(X)
        grads = {
            "coef": (2.0 / n) * (X.T @ residual),
            "intercept": float(2.0 * residual.mean()),
        }
        return loss, grads

    def loss_and_gradients(self, X: ArrayLike, y: ArrayLike) -> tuple[float, dict[str, np.ndarray]]:
        """``(L, {'coef': dL/dw, 'intercept': dL/db})`` at the current parameters (see class doc)."""
        X = self._check_X_predict(X)
        t = np.where(self._encode(y, len(X)) == 1, 1.0, -1.0)
        return self._loss_and_gradients(X, t)

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """The linear output z = X w + b, shape (n_samples,)."""
        X = self._check_X_predict(X)
        return X @ self.coef_ + self.intercept_

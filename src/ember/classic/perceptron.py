"""Rosenblatt's perceptron, trained with the perceptron trick."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._base import BaseLearner, BinaryClassifierMixin, check_number, check_random_state, make_rng


class Perceptron(BinaryClassifierMixin, BaseLearner):
    """Binary linear classifier  y_hat = sign(w . x + b),  learned by the perceptron trick.

    With labels mapped to t in {-1, +1}, each misclassified sample (t (w . x + b) <= 0) moves
    the boundary towards itself:

        w <- w + lr * t * x,        b <- b + lr * t

    i.e. add ``lr * x`` for a missed positive and subtract it for a missed negative. An
    epoch is one pass over the (optionally shuffled) samples; training stops after the first
    epoch without a mistake (``converged_ = True``) or after ``max_epochs``. On linearly
    separable data it converges (Novikoff); on data like XOR it never does.

    Args:
        lr: step size of each update. Starting from zero weights, it only rescales w and b.
        max_epochs: maximal number of passes over the data.
        random_state: seed for the per-epoch shuffle.
        shuffle: visit samples in a new random order each epoch.

    Attributes:
        coef_ (n_features,), intercept_ (float), classes_ (the two labels, sorted;
        ``classes_[1]`` is the positive class), converged_, n_epochs_, errors_ (number of
        updates made in each epoch), history_ (``loss``: the perceptron criterion
        (1/n) sum_i max(0, -t_i z_i) and ``accuracy`` on the training set after each epoch).

    Example:
        >>> clf = Perceptron().fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1])
        >>> clf.predict([[1, 1], [0, 1]]).tolist()
        [1, 0]
    """

    def __init__(
        self,
        lr: float = 1.0,
        max_epochs: int = 100,
        random_state: int | np.random.Generator | None = None,
        shuffle: bool = True,
    ) -> None:
        self._store_params(locals())

    def _validate_params(self) -> None:
        check_number(self._name, "lr", self.lr, low=0, low_open=True)
        check_number(self._name, "max_epochs", self.max_epochs, integer=True, low=1)
        check_random_state(self._name, self.random_state)

    def fit(self, X: ArrayLike, y: ArrayLike) -> Perceptron:
        """Run the perceptron trick until an epoch makes no mistake or max_epochs is reached."""
        X, index = self._check_fit_classes(X, y, binary=True)
        t = np.where(index == 1, 1.0, -1.0)
        rng = make_rng(self.random_state)

        n, d = X.shape
        w, b = np.zeros(d), 0.0
        self.errors_: list[int] = []
        self.history_: dict[str, list[float]] = {"loss": [], "accuracy": []}
        self.converged_ = False
        for _ in range(self.max_epochs):
            order = rng.permutation(n) if self.shuffle else range(n)
            errors = 0
            for i in order:
                # <= 0, not < 0: a point on the boundary is not correctly classified, and
                # with w = 0 at the start every point is on it.
                if t[i] * (X[i] @ w + b) <= 0:
                    w += self.lr * t[i] * X[i]
                    b += self.lr * t[i]
                    errors += 1
            self.errors_.append(errors)
            margins = t * (X @ w + b)
            self.history_["loss"].append(float(np.maximum(0.0, -margins).mean()))
            self.history_["accuracy"].append(float((margins > 0).mean()))
            if errors == 0:
                self.converged_ = True
                break
        self.coef_, self.intercept_ = w, float(b)
        self.n_epochs_ = len(self.errors_)
        self.n_features_in_ = d
        return self

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """z = X w + b, shape (n_samples,); positive means ``classes_[1]``."""
        X = self._check_X_predict(X)
        return X @ self.coef_ + self.intercept_

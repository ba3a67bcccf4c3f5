"""Multi-layer perceptrons with backpropagation written out layer by layer.

The network is a list ``layers_ = [Dense, Activation, Dense, Activation, ..., Dense, Output]``.
Forward calls ``layer.forward`` in order; backward starts from dL/d(output) and calls
``layer.backward`` in reverse, each Dense layer keeping its dW and db on the way. The
optimiser is plain gradient descent:  W <- W - lr * dL/dW.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._base import (
    BaseLearner,
    ClassifierMixin,
    RegressorMixin,
    check_choice,
    check_classes,
    check_number,
    check_random_state,
    check_X,
    check_y,
    diverged,
    make_rng,
    minibatches,
    one_hot,
)
from ._math import cross_entropy, log_loss, sigmoid, squared_error
from .layers import ACTIVATIONS, OUTPUTS, Dense

SOLVERS = ("batch", "minibatch", "sgd")
CLASSIFIER_OUTPUTS = (None, "softmax", "sigmoid")
LOSSES = ("cross_entropy", "mse")

Gradients = list[tuple[np.ndarray, np.ndarray]]


class _BaseMLP(BaseLearner):
    """Shared by MLPClassifier and MLPRegressor: network, backprop, training loop, early stopping.

    With a^0 = x, z^l = a^{l-1} W^l + b^l and a^l = f(z^l), backprop runs

        delta^L = dL/dz^L,     dL/dW^l = (a^{l-1})^T delta^l,     dL/db^l = sum_i delta^l_i,
        delta^{l-1} = (delta^l (W^l)^T) * f'(z^{l-1})

    and the L2 penalty (alpha / 2) sum_l ||W^l||^2 adds alpha * W^l to each dL/dW^l.
    """

    # Set by subclasses / fit: the output activation and the loss actually used.
    def _output_kind(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _loss_kind(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    # ------------------------------------------------------------------ hyper-parameters

    def _hidden_sizes(self) -> tuple[int, ...]:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        ok = isinstance(sizes, Sequence) and all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
        )
        if not ok:
            raise ValueError(
                f"{self._name}: hidden_layer_sizes must be a tuple of positive ints, e.g. (100,) "
                f"or (64, 32), got {self.hidden_layer_sizes!r}"
            )
        return tuple(int(s) for s in sizes)

    def _validate_common(self) -> None:
        self._hidden_sizes()
        check_choice(self._name, "activation", self.activation, tuple(ACTIVATIONS))
        check_choice(self._name, "solver", self.solver, SOLVERS)
        check_number(self._name, "batch_size", self.batch_size, integer=True, low=1)
        check_number(self._name, "lr", self.lr, low=0, low_open=True)
        check_number(self._name, "epochs", self.epochs, integer=True, low=1)
        check_number(self._name, "alpha", self.alpha, low=0)
        check_choice(self._name, "early_stopping", self.early_stopping, (False, True))
        check_number(
            self._name,
            "validation_fraction",
            self.validation_fraction,
            low=0,
            low_open=True,
            high=1,
            high_open=True,
        )
        check_number(self._name, "patience", self.patience, integer=True, low=1)
        check_random_state(self._name, self.random_state)

    # ------------------------------------------------------------------ the network

    @property
    def weights_(self) -> list[np.ndarray]:
        """The weight matrices W^1..W^L (the arrays the network uses, not copies)."""
        self._check_is_fitted()
        return [layer.W for layer in self.layers_[::2]]

    @property
    def biases_(self) -> list[np.ndarray]:
        """The bias vectors b^1..b^L (the arrays the network uses, not copies)."""
        self._check_is_fitted()
        return [layer.b for layer in self.layers_[::2]]

    def _build(self, n_in: int, n_out: int, rng: np.random.Generator) -> None:
        sizes = (n_in, *self._hidden_sizes(), n_out)
        self.layers_: list = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes)):
            last = i == len(sizes) - 2
            # He init for layers feeding a ReLU, Glorot/Xavier for tanh, sigmoid and the output.
            init = "he" if self.activation == "relu" and not last else "xavier"
            self.layers_.append(Dense(fan_in, fan_out, rng, init))
            self.layers_.append(OUTPUTS[self._output_kind()]() if last else ACTIVATIONS[self.activation]())

    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (logits z^L, output f_out(z^L)); every layer caches what backward needs."""
        a = X
        for layer in self.layers_[:-1]:
            a = layer.forward(a)
        return a, self.layers_[-1].forward(a)

    def _loss(self, logits: np.ndarray, out: np.ndarray, T: np.ndarray) -> float:
        """Mean loss over samples plus (alpha / 2) sum_l ||W^l||^2."""
        kind = self._loss_kind()
        if kind == "mse":
            loss = squared_error(T, out)
        elif self._output_kind() == "softmax":
            loss = cross_entropy(T, logits)  # from logits via log-softmax: exact and finite
        else:
            loss = log_loss(T, out)
        if self.alpha:
            loss += 0.5 * self.alpha * sum(float((d.W * d.W).sum()) for d in self.layers_[::2])
        return loss

    def _backprop(self, X: np.ndarray, T: np.ndarray) -> float:
        """Forward, loss, backward: leaves dL/dW and dL/db in each Dense layer; returns the loss."""
        logits, out = self._forward(X)
        loss = self._loss(logits, out, T)
        n = len(X)
        if self._loss_kind() == "cross_entropy":
            # softmax + cross-entropy and sigmoid + log-loss both give dL/dz = (p - y) / n:
            # the output's derivative cancels against the log's, so skip its backward.
            grad = (out - T) / n
        else:
            # mse: dL/d(out) = 2 (out - y) / n, then through the output activation.
            grad = self.layers_[-1].backward(2.0 * (out - T) / n)
        for i in range(len(self.layers_) - 2, -1, -2):
            dense = self.layers_[i]
            grad = dense.backward(grad, need_input_grad=i > 0)
            if i > 0:
                grad = self.layers_[i - 1].backward(grad)
        if self.alpha:
            for dense in self.layers_[::2]:
                dense.dW += self.alpha * dense.W
        return loss

    def loss_and_gradients(self, X: ArrayLike, y: ArrayLike) -> tuple[float, Gradients]:
        """``(L, [(dL/dW^1, dL/db^1), ...])`` at the current weights: the mean loss plus penalty."""
        X = self._check_X_predict(X)
        loss = self._backprop(X, self._targets(y, len(X)))
        return loss, [(d.dW.copy(), d.db.copy()) for d in self.layers_[::2]]

    # ------------------------------------------------------------------ training

    def _fit(self, X: ArrayLike, y: ArrayLike, validation_data: tuple | None) -> _BaseMLP:
        self._validate_params()
        X = check_X(X, self._name)
        T = self._fit_targets(y, len(X))
        rng = make_rng(self.random_state)

        X_val = T_val = None
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise ValueError(f"{self._name}: validation_data must be a pair (X_val, y_val)")
            X_val = check_X(validation_data[0], self._name)
            if X_val.shape[1] != X.shape[1]:
                raise ValueError(f"{self._name}: X_val has {X_val.shape[1]} features, but X has {X.shape[1]}")
            T_val = self._targets(validation_data[1], len(X_val))
        elif self.early_stopping:
            n_val = max(1, round(self.validation_fraction * len(X)))
            if n_val >= len(X):
                raise ValueError(
                    f"{self._name}: early_stopping needs at least 2 samples to split off a validation set, got {len(X)}"
                )
            order = rng.permutation(len(X))
            X_val, T_val = X[order[:n_val]], T[order[:n_val]]
            X, T = X[order[n_val:]], T[order[n_val:]]

        self.n_features_in_ = X.shape[1]
        self._build(X.shape[1], T.shape[1], rng)
        batch_size = {"batch": None, "minibatch": self.batch_size, "sgd": 1}[self.solver]
        validating = X_val is not None
        self.history_: dict[str, list[float]] = {"loss": []}
        if self._is_classifier():
            self.history_["accuracy"] = []
        if validating:
            self.history_["val_loss"] = []
            if self._is_classifier():
                self.history_["val_accuracy"] = []

        best_loss, best_params, wait = np.inf, None, 0
        self.best_epoch_ = None
        for epoch in range(1, self.epochs + 1):
            for idx in minibatches(len(X), batch_size, rng):
                self._backprop(X[idx], T[idx])
                for dense in self.layers_[::2]:
                    dense.W -= self.lr * dense.dW  # in place: weights_ stays the live arrays
                    dense.b -= self.lr * dense.db
            loss = self._record(X, T, "")
            if diverged(self._name, loss, epoch, self.lr, stacklevel=4):  # fit -> _fit -> here
                break
            if validating:
                val_loss = self._record(X_val, T_val, "val_")
                if val_loss < best_loss:
                    best_loss, wait, self.best_epoch_ = val_loss, 0, epoch
                    if self.early_stopping:
                        best_params = [(d.W.copy(), d.b.copy()) for d in self.layers_[::2]]
                elif self.early_stopping:
                    wait += 1
                    if wait >= self.patience:
                        break
        self.n_epochs_ = len(self.history_["loss"])
        if best_params is not None:
            # Early stopping returns the network of the best validation epoch, not the last.
            for dense, (W, b) in zip(self.layers_[::2], best_params):
                dense.W[...] = W
                dense.b[...] = b
        return self

    def _record(self, X: np.ndarray, T: np.ndarray, prefix: str) -> float:
        """Append loss (and accuracy) of the current weights on (X, T) to history_."""
        logits, out = self._forward(X)
        loss = self._loss(logits, out, T)
        self.history_[prefix + "loss"].append(loss)
        if self._is_classifier():
            self.history_[prefix + "accuracy"].append(float(np.mean(_class_index(out) == _class_index(T))))
        return loss

    def _is_classifier(self) -> bool:
        return isinstance(self, ClassifierMixin)


def _class_index(A: np.ndarray) -> np.ndarray:
    """Predicted (or true) class index from a sigmoid column (p > 0.5) or from one-hot/softmax rows."""
    return (A[:, 0] > 0.5).astype(int) if A.shape[1] == 1 else A.argmax(axis=1)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Feed-forward neural network classifier trained by explicit backpropagation.

    Hidden layers a^l = f(a^{l-1} W^l + b^l) with f in {relu, sigmoid, tanh}; the output is
    softmax over K units (multiclass; default for K > 2) or one sigmoid unit (default for
    binary). Losses, as a mean over the n samples plus (alpha / 2) sum_l ||W^l||^2:

        cross_entropy:  -(1/n) sum_i sum_k Y_ik log P_ik   (binary: the log-loss)
                        -> dL/dz^L = (P - Y) / n
        mse:            (1/n) sum_i ||P_i - Y_i||^2 against one-hot Y
                        -> dL/dz^L = f_out'(z^L)^T [2 (P - Y) / n]

    Args:
        hidden_layer_sizes: units per hidden layer, e.g. (100,) or (64, 32); () gives a
            linear (softmax/logistic) model.
        activation: ``'relu'``, ``'sigmoid'`` or ``'tanh'`` for every hidden layer.
        output: None (auto), ``'softmax'`` or ``'sigmoid'`` (binary only).
        loss: ``'cross_entropy'`` or ``'mse'``.
        solver: ``'batch'`` (one step per epoch on all samples), ``'minibatch'`` (steps on
            shuffled batches of ``batch_size``) or ``'sgd'`` (one sample per step).
        batch_size: minibatch size (used by ``solver='minibatch'`` only).
        lr: learning rate.  epochs: maximal number of passes over the data.
        alpha: L2 penalty strength on the weights (biases are not penalised).
        early_stopping: hold out ``validation_fraction`` of the data (or use the
            ``validation_data`` given to fit), stop after ``patience`` epochs without a
            lower validation loss, and restore the weights of the best epoch.
        random_state: seed for the initial weights, the validation split and the shuffles.

    Attributes:
        weights_, biases_ (lists, W^l of shape (n_in, n_out)), layers_, classes_, output_
        (the resolved output), n_epochs_, best_epoch_ (best validation epoch or None),
        history_ (``loss``, ``accuracy`` and, when validating, ``val_loss``, ``val_accuracy``).
    """

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] | int = (100,),
        activation: str = "relu",
        output: str | None = None,
        loss: str = "cross_entropy",
        solver: str = "batch",
        batch_size: int = 32,
        lr: float = 0.1,
        epochs: int = 100,
        alpha: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self._store_params(locals())

    def _validate_params(self) -> None:
        self._validate_common()
        check_choice(self._name, "output", self.output, CLASSIFIER_OUTPUTS)
        check_choice(self._name, "loss", self.loss, LOSSES)

    def _output_kind(self) -> str:
        return self.output_

    def _loss_kind(self) -> str:
        return self.loss

    def fit(self, X: ArrayLike, y: ArrayLike, validation_data: tuple | None = None) -> MLPClassifier:
        """Train by gradient descent with backprop; ``validation_data=(X_val, y_val)`` is optional."""
        return self._fit(X, y, validation_data)

    def _fit_targets(self, y: ArrayLike, n: int) -> np.ndarray:
        y = check_y(y, n, self._name)
        self.classes_, index = check_classes(y, self._name)
        n_classes = len(self.classes_)
        if self.output == "sigmoid" and n_classes > 2:
            raise ValueError(
                f"{self._name}: output='sigmoid' needs binary targets, but y has {n_classes} "
                "classes; use output='softmax' (or None)"
            )
        self.output_ = self.output or ("sigmoid" if n_classes == 2 else "softmax")
        return self._encode_index(index)

    def _encode_index(self, index: np.ndarray) -> np.ndarray:
        if self.output_ == "sigmoid":
            return index.astype(np.float64)[:, None]
        return one_hot(index, len(self.classes_))

    def _targets(self, y: ArrayLike, n: int) -> np.ndarray:
        return self._encode_index(self._encode(y, n))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order."""
        X = self._check_X_predict(X)
        logits, out = self._forward(X)
        if self.output_ == "sigmoid":
            # sigmoid(-z) rather than 1 - p: keeps precision when p is close to 1.
            return np.column_stack([sigmoid(-logits[:, 0]), out[:, 0]])
        return out

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The most probable class."""
        best = self.predict_proba(X).argmax(axis=1)  # validates X and the fit before classes_
        return self.classes_[best]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Feed-forward neural network regressor: linear output, mean squared error, explicit backprop.

    Hidden layers a^l = f(a^{l-1} W^l + b^l); output y_hat = a^{L-1} W^L + b^L. Loss:

        L = (1/n) sum_i ||y_hat_i - y_i||^2 + (alpha / 2) sum_l ||W^l||^2,   dL/dz^L = 2 (y_hat - y) / n

    Takes the same arguments as MLPClassifier except ``output`` and ``loss``. y may be
    (n_samples,) or (n_samples, n_outputs); predict returns the same layout. ``score`` is R^2.
    History holds ``loss`` (and ``val_loss`` when validating).
    """

    def __init__(
        self,
        hidden_layer_sizes: Sequence[int] | int = (100,),
        activation: str = "relu",
        solver: str = "batch",
        batch_size: int = 32,
        lr: float = 0.01,
        epochs: int = 100,
        alpha: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self._store_params(locals())

    def _validate_params(self) -> None:
        self._validate_common()

    def _output_kind(self) -> str:
        return "identity"

    def _loss_kind(self) -> str:
        return "mse"

    def fit(self, X: ArrayLike, y: ArrayLike, validation_data: tuple | None = None) -> MLPRegressor:
        """Train by gradient descent with backprop; ``validation_data=(X_val, y_val)`` is optional."""
        return self._fit(X, y, validation_data)

    def _as_targets(self, y: ArrayLike, n: int) -> np.ndarray:
        y = check_y(y, n, self._name, allow_2d=True)
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{self._name}: y must be numeric, got dtype {y.dtype}")
        return y.astype(np.float64)

    def _fit_targets(self, y: ArrayLike, n: int) -> np.ndarray:
        y = self._as_targets(y, n)
        self._y_is_1d = y.ndim == 1
        T = y.reshape(n, -1)
        self.n_outputs_ = T.shape[1]
        return T

    def _targets(self, y: ArrayLike, n: int) -> np.ndarray:
        T = self._as_targets(y, n).reshape(n, -1)
        if T.shape[1] != self.n_outputs_:
            raise ValueError(
                f"{self._name}: y has {T.shape[1]} outputs, but the model was fitted with {self.n_outputs_}"
            )
        return T

    def predict(self, X: ArrayLike) -> np.ndarray:
        """y_hat, shape (n_samples,) or (n_samples, n_outputs) like the y given to fit."""
        X = self._check_X_predict(X)
        _, out = self._forward(X)
        return out[:, 0] if self._y_is_1d else out

"""The layers of the hand-built MLP: each ``forward`` caches what its ``backward`` needs.

``backward(grad)`` receives dL/d(output) and returns dL/d(input); a Dense layer also
stores dL/dW and dL/db in ``dW`` and ``db``. Backprop is these calls in reverse order.
"""

from __future__ import annotations

import numpy as np

from ._math import sigmoid, softmax

INITS = ("he", "xavier")


class Dense:
    """Fully connected layer  y = x W + b,  W of shape (n_in, n_out).

    Backward, for g = dL/dy of shape (batch, n_out):

        dL/dW = x^T g,        dL/db = sum over the batch of g,        dL/dx = g W^T

    Init: ``'he'`` draws W ~ N(0, 2 / n_in) (for layers followed by ReLU, keeps the
    activations' variance constant); ``'xavier'`` draws W ~ U(-a, a) with
    a = sqrt(6 / (n_in + n_out)) (Glorot, for tanh/sigmoid/linear). Biases start at 0.
    """

    def __init__(self, n_in: int, n_out: int, rng: np.random.Generator, init: str = "xavier") -> None:
        if init == "he":
            self.W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        elif init == "xavier":
            limit = np.sqrt(6.0 / (n_in + n_out))
            self.W = rng.uniform(-limit, limit, size=(n_in, n_out))
        else:
            raise ValueError(f"Dense: unknown init {init!r}; valid values are {INITS}")
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """y = x W + b; keeps x for dL/dW."""
        self._x = x
        return x @ self.W + self.b

    def backward(self, grad: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Store dW = x^T g and db = sum g; return dL/dx = g W^T (skipped for the first layer)."""
        self.dW = self._x.T @ grad
        self.db = grad.sum(axis=0)
        return grad @ self.W.T if need_input_grad else None

    def __repr__(self) -> str:
        return f"Dense(n_in={self.W.shape[0]}, n_out={self.W.shape[1]})"


class Activation:
    """An elementwise (or row-wise, for softmax) nonlinearity without parameters."""

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(Activation):
    """y = max(x, 0);  dy/dx = 1 where x > 0, else 0 (0 at x = 0, as in PyTorch)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._mask = x > 0
        return np.where(self._mask, x, 0.0)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._mask


class Sigmoid(Activation):
    """y = 1 / (1 + exp(-x));  dy/dx = y (1 - y), at most 1/4 -- hence vanishing gradients."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * self._y * (1.0 - self._y)


class Tanh(Activation):
    """y = tanh(x);  dy/dx = 1 - y^2."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad * (1.0 - self._y * self._y)


class Identity(Activation):
    """y = x;  dy/dx = 1 (the linear output of a regressor)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad


class Softmax(Activation):
    """y = softmax(x) row-wise;  dL/dx = y * (g - sum_k g_k y_k)  (the Jacobian-vector product)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._y = softmax(x)
        return self._y

    def backward(self, grad: np.ndarray) -> np.ndarray:
        y = self._y
        return y * (grad - (grad * y).sum(axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
}
OUTPUTS: dict[str, type[Activation]] = {
    "softmax": Softmax,
    "sigmoid": Sigmoid,
    "identity": Identity,
}

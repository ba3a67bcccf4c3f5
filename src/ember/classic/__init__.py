"""The hand-built learners of the course, in plain NumPy (no ember autograd inside).

Each learner follows scikit-learn's API (``fit`` returns self, ``predict``, ``score``,
``predict_proba`` for classifiers) and writes its gradient out by hand, in code and in
its docstring; ``loss_and_gradients(X, y)`` exposes it for checking against autograd.

    >>> from ember.classic import Perceptron, MLPClassifier
    >>> X, y = [[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]
    >>> Perceptron(max_epochs=20).fit(X, y).converged_       # XOR is not linearly separable
    False
"""

from ._base import ConvergenceWarning, NotFittedError
from .adaline import Adaline
from .layers import Dense, Identity, ReLU, Sigmoid, Softmax, Tanh
from .logistic import LogisticRegression
from .mlp import MLPClassifier, MLPRegressor
from .perceptron import Perceptron
from .softmax import SoftmaxRegression

__all__ = [
    "Adaline",
    "ConvergenceWarning",
    "Dense",
    "Identity",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "NotFittedError",
    "Perceptron",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "SoftmaxRegression",
    "Tanh",
]

"""``logistic``: softmax (multinomial logistic) regression, one Linear layer on flattened inputs."""

from __future__ import annotations

from ember import nn

__all__ = ["LogisticRegression", "logistic"]


class LogisticRegression(nn.Module):
    """``Flatten -> Linear(in_features, num_classes)``: logits for softmax regression.

    Train it with ``nn.CrossEntropyLoss`` (which applies the softmax); ``predict_proba`` gives the
    probabilities ``softmax(W x + b)``.
    """

    def __init__(self, in_features: int = 784, num_classes: int = 10) -> None:
        super().__init__()
        if in_features < 1 or num_classes < 1:
            raise ValueError(f"LogisticRegression: sizes must be positive, got {in_features}, {num_classes}")
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(in_features, num_classes)

    def forward(self, x):
        return self.linear(self.flatten(x))

    def predict_proba(self, x):
        """Class probabilities ``softmax(W x + b)``."""
        return nn.functional.softmax(self.forward(x), dim=-1)


def logistic(in_features: int = 784, num_classes: int = 10) -> LogisticRegression:
    """Softmax regression; see `LogisticRegression`."""
    return LogisticRegression(in_features, num_classes)

"""``lenet5``: LeCun et al.'s LeNet-5 as usually written for 28x28 MNIST (ReLU and max pooling)."""

from __future__ import annotations

from ember import nn

__all__ = ["LeNet5", "lenet5"]


class LeNet5(nn.Module):
    """LeNet-5 for 28x28 images::

        features:   Conv2d(C, 6, 5, padding=2) ReLU MaxPool2d(2) Conv2d(6, 16, 5) ReLU MaxPool2d(2)
        classifier: Flatten Linear(400, 120) ReLU Linear(120, 84) ReLU Linear(84, num_classes)

    Shape:
        input ``(N, in_channels, 28, 28)`` (the 400 = 16 x 5 x 5 features need 28x28), output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(400, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x):
        if x.ndim != 4 or x.shape[-2:] != (28, 28):
            raise ValueError(f"LeNet5: expected input of shape (N, C, 28, 28), got shape {tuple(x.shape)}")
        return self.classifier(self.features(x))


def lenet5(num_classes: int = 10, in_channels: int = 1) -> LeNet5:
    """LeNet-5; see `LeNet5`."""
    return LeNet5(num_classes, in_channels)

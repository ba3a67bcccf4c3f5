"""``course_cnn``: the all-convolutional network of the course (and of PyTorch's MNIST tutorial)."""

from __future__ import annotations

from ember import nn

__all__ = ["CourseCNN", "course_cnn"]


class CourseCNN(nn.Sequential):
    """Three stride-2 convolutions, the last with one channel per class, averaged into logits::

        Conv2d(C, 16, 3, stride=2, padding=1) ReLU Conv2d(16, 16, 3, 2, 1) ReLU
        Conv2d(16, num_classes, 3, 2, 1) ReLU AdaptiveAvgPool2d(1) Flatten

    On 28x28 MNIST the last map is 4x4, where ``AdaptiveAvgPool2d(1)`` is the tutorial's
    ``AvgPool2d(4)``; the adaptive pooling also takes 8x8 digits (last map 1x1) and any other size.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__(
            nn.Conv2d(in_channels, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 16, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, num_classes, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )


def course_cnn(num_classes: int = 10, in_channels: int = 1) -> CourseCNN:
    """The course's CNN; see `CourseCNN`."""
    return CourseCNN(num_classes, in_channels)

"""``mlp``: a multilayer perceptron for flattened images or feature vectors."""

from __future__ import annotations

from collections.abc import Sequence

from ember import nn

__all__ = ["MLP", "mlp", "ACTIVATIONS"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "gelu": nn.GELU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "silu": nn.SiLU,
}


def _activation(name: str) -> type:
    key = str(name).lower().replace("-", "_")
    if key not in ACTIVATIONS:
        import difflib

        close = difflib.get_close_matches(key, list(ACTIVATIONS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown activation {name!r}.{hint} Available: {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[key]


class MLP(nn.Sequential):
    """``Flatten -> [Linear -> activation -> Dropout] * len(hidden) -> Linear``.

    The leading ``Flatten`` lets the same model take images ``(N, C, H, W)`` or vectors ``(N, D)``.
    Layers are numbered like ``nn.Sequential`` (``1.weight`` is the first Linear's weight).

    Args:
        in_features: input size after flattening (784 for 28x28 images).
        hidden: sizes of the hidden layers (``()`` gives softmax regression).
        num_classes: outputs (logits).
        activation: ``'relu'``, ``'tanh'``, ``'sigmoid'``, ``'gelu'``, ``'leaky_relu'``, ``'elu'`` or ``'silu'``.
        dropout: dropout probability after each hidden activation (0 adds no Dropout layers).
    """

    def __init__(
        self,
        in_features: int = 784,
        hidden: Sequence[int] | int = (256, 128),
        num_classes: int = 10,
        activation: str = "relu",
        dropout: float = 0.0,
    ) -> None:
        if isinstance(hidden, int):
            hidden = (hidden,)
        hidden = tuple(int(h) for h in hidden)
        if in_features < 1 or num_classes < 1 or any(h < 1 for h in hidden):
            raise ValueError(
                f"MLP: sizes must be positive, got in_features={in_features}, hidden={hidden}, num_classes={num_classes}"
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout}")
        act = _activation(activation)
        layers: list[nn.Module] = [nn.Flatten()]
        prev = in_features
        for h in hidden:
            layers += [nn.Linear(prev, h), act()]
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            prev = h
        layers.append(nn.Linear(prev, num_classes))
        super().__init__(*layers)
        self.in_features = in_features
        self.hidden = hidden
        self.num_classes = num_classes


def mlp(
    in_features: int = 784,
    hidden: Sequence[int] | int = (256, 128),
    num_classes: int = 10,
    activation: str = "relu",
    dropout: float = 0.0,
) -> MLP:
    """A multilayer perceptron; see `MLP`."""
    return MLP(in_features, hidden, num_classes, activation, dropout)

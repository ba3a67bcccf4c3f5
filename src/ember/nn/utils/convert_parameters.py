"""Flatten parameters into one vector and back (for second-order methods, evolution strategies...)."""

from __future__ import annotations

from typing import Iterable

from ..._ops import shape as S
from ..._tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor: every parameter flattened and concatenated (differentiable)."""
    return S.cat([S.reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Set each parameter's values to the matching slice of ``vec`` (the inverse of
    `parameters_to_vector`); like PyTorch, the parameters then view ``vec``'s memory."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    data = vec._data
    pointer = 0
    for param in parameters:
        n = param._data.size
        param._data = data[pointer:pointer + n].reshape(param._data.shape)
        param._version = [param._version[0] + 1]
        pointer += n

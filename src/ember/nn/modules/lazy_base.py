"""``LazyModuleMixin``: the machinery every lazy layer shares (see ``lazy.py``)."""

from __future__ import annotations

from itertools import chain

from ..parameter import is_lazy

__all__: list[str] = []  # LazyModuleMixin is exported from lazy.py


class LazyModuleMixin:
    """Infer the missing size from the first input, then become ``cls_to_become``."""

    cls_to_become: type | None = None

    def has_uninitialized_params(self) -> bool:
        """Whether some parameter or buffer still waits for its shape."""
        return any(is_lazy(t) for t in chain(self._parameters.values(), self._buffers.values()) if t is not None)

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError

    def forward(self, *args, **kwargs):
        self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self.__class__ = self.cls_to_become
        return self.forward(*args, **kwargs)

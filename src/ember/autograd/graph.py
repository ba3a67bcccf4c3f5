"""The autograd graph's public handles (PyTorch's ``torch.autograd.graph``): ``Node``, saved-tensor hooks,
``register_multi_grad_hook``.

Saved-tensor hooks intercept what an op keeps for its backward: inside ``saved_tensors_hooks(pack, unpack)``
every tensor an op saves is handed to ``pack`` and only its result is kept; backward gets the tensor back
from ``unpack`` (called each time the saved tensors are read). The hooks are per thread, as torch's are,
and the innermost pair applies.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Sequence
from typing import Any

from .._tensor import Tensor
from .engine import queue_callback
from .function import Node
from .grad_mode import _state

__all__ = [
    "Node",
    "allow_mutation_on_saved_tensors",
    "disable_saved_tensors_hooks",
    "register_multi_grad_hook",
    "save_on_cpu",
    "saved_tensors_hooks",
]


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Context manager: ``pack_hook(tensor) -> anything`` runs when an op saves a tensor for backward, and
    ``unpack_hook(packed) -> Tensor`` when backward reads it.

    ``unpack_hook`` must return a tensor with the original's values (shape and dtype). A hook must not
    modify its argument in place. Raises ``RuntimeError`` inside `disable_saved_tensors_hooks`.
    """

    def __init__(self, pack_hook: Callable[[Tensor], Any], unpack_hook: Callable[[Any], Tensor]) -> None:
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self) -> saved_tensors_hooks:
        if _state.saved_hooks_disabled is not None:
            raise RuntimeError(_state.saved_hooks_disabled)
        _state.saved_hooks = _state.saved_hooks + ((self.pack_hook, self.unpack_hook),)
        return self

    def __exit__(self, *args: object) -> None:
        _state.saved_hooks = _state.saved_hooks[:-1]


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Keep the tensors saved for backward as CPU copies and move them back to their device for backward.

    Args:
        pin_memory: pin the copies (a CUDA notion: ember's tensors live in host memory, so there is
            nothing to pin and the flag changes nothing).
        device_type: the accelerator the tensors come from (``"cuda"`` by default; ember keeps the copy
            wherever ``.to("cpu")`` puts it).

    In ember the saved tensors are already in host memory, so this mainly makes the saved values copies,
    detached from later in-place changes of the originals, exactly as torch's copy does.
    """

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack_to_cpu(tensor: Tensor):
            return tensor.device, tensor.detach().to("cpu").clone()

        def unpack_from_cpu(packed) -> Tensor:
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack_to_cpu, unpack_from_cpu)


class disable_saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Context manager in which entering `saved_tensors_hooks` raises ``RuntimeError(error_message)``
    (for code, e.g. a library's, that cannot work with them)."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self) -> None:
        self._prev = _state.saved_hooks_disabled
        _state.saved_hooks_disabled = self.error_message

    def __exit__(self, *args: object) -> None:
        _state.saved_hooks_disabled = self._prev


class _AllowMutationOnSavedContext:
    """What `allow_mutation_on_saved_tensors` yields: the copies of the tensors saved inside it."""

    def __init__(self) -> None:
        self.saved: dict[object, Tensor] = {}

    def clear(self) -> None:
        self.saved.clear()


_mutation_allowed = False  # process-wide, as torch's flag is

_OUTSIDE_MUTATION_CONTEXT = (
    "Trying to backward outside of the 'allow_mutation_on_saved_tensors' contextin which the graph was "
    "originally recorded."
)


@contextlib.contextmanager
def allow_mutation_on_saved_tensors():
    """Context manager in which tensors saved for backward may be modified in place: backward still
    sees the values they had when saved.

    torch clones a saved tensor only when it is about to be mutated; ember keeps a copy of every tensor
    saved inside the block (the same values, more memory while the graph lives). Backward must run inside
    the block (else ``AssertionError``, as torch); the copies are dropped when it ends; nesting raises
    ``RuntimeError``.
    """
    global _mutation_allowed
    ctx = _AllowMutationOnSavedContext()

    def pack(tensor: Tensor):
        handle = object()
        ctx.saved[handle] = tensor.detach().clone()
        return handle

    def unpack(handle) -> Tensor:
        if not _mutation_allowed or handle not in ctx.saved:
            raise AssertionError(_OUTSIDE_MUTATION_CONTEXT)
        return ctx.saved[handle]

    with saved_tensors_hooks(pack, unpack):
        if _mutation_allowed:
            raise RuntimeError("allow_mutation_on_saved_tensors contexts cannot be nested")
        _mutation_allowed = True
        try:
            yield ctx
        finally:
            ctx.clear()
            _mutation_allowed = False


class _MultiHandle:
    """Removes every per-tensor hook of a `register_multi_grad_hook`."""

    def __init__(self, handles) -> None:
        self.handles = tuple(handles)

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()

    def __enter__(self):
        return self

    def __exit__(self, *args: object) -> None:
        self.remove()


def register_multi_grad_hook(tensors: Sequence[Tensor], fn: Callable, *, mode: str = "all") -> _MultiHandle:
    """Call ``fn`` once per backward pass with the gradients of several tensors.

    Args:
        tensors: the tensors to watch.
        fn: with ``mode="all"``, ``fn(grads)`` gets one entry per tensor (None for the tensors the pass did
            not reach); with ``mode="any"``, ``fn(grad)`` gets the first gradient computed among them.
        mode: ``"all"`` or ``"any"``.

    Returns a handle whose ``remove()`` unregisters it. In ``"all"`` mode torch calls ``fn`` as soon as the
    last reachable tensor's gradient is known; ember calls it when the backward pass ends (same gradients).
    ``fn``'s return value is ignored, as torch's is.
    """
    supported_modes = ("any", "all")
    if mode not in supported_modes:
        raise ValueError(f"Expects mode to be one of {supported_modes} but got {mode}")
    lock = threading.Lock()
    if mode == "any":
        fired: list[bool] = []

        def any_hook(grad):
            with lock:
                if fired:
                    return
                fired.append(True)
                queue_callback(fired.clear)
            fn(grad)

        return _MultiHandle(t.register_hook(any_hook) for t in tensors)

    count = len(tensors)
    grads: list = []

    def flush() -> None:
        with lock:
            collected = list(grads)
            grads.clear()
        fn(collected)

    def make_hook(i: int):
        def hook(grad):
            with lock:
                if not grads:
                    grads.extend([None] * count)
                    queue_callback(flush)
                grads[i] = grad

        return hook

    return _MultiHandle(t.register_hook(make_hook(i)) for i, t in enumerate(tensors) if t.requires_grad)

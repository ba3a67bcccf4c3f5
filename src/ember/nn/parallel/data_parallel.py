"""``nn.DataParallel`` as it behaves on a machine without GPUs: it runs the wrapped module."""

from __future__ import annotations

from ..modules.module import Module


class DataParallel(Module):
    """Wrap ``module`` as ``torch.nn.DataParallel`` does; with no GPUs (always, on ember) ``forward``
    calls ``module`` directly, exactly what PyTorch does when no CUDA device is visible.

    The wrapped module is the child ``module``, so ``state_dict()`` keys carry the ``module.``
    prefix as in PyTorch, and ``model.module`` is the original.

    Args:
        module: the module to wrap.
        device_ids, output_device: GPU indices; with no GPUs PyTorch ignores them (``device_ids``
            becomes ``[]``), and so does ember.
        dim: the scatter dimension (unused without devices to scatter to).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids: list = []
        self.output_device = None
        self.src_device_obj = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)


def data_parallel(module, inputs, device_ids=None, output_device=None, dim: int = 0, module_kwargs=None):
    """The functional form: without GPUs, ``module(*inputs, **module_kwargs)``."""
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    return module(*inputs, **(module_kwargs or {}))

"""``ember.nn.parallel``: ``torch.nn.parallel``'s wrappers: ``DataParallel`` (runs the module on the CPU)
and ``DistributedDataParallel`` (processes on MPI)."""

from .data_parallel import DataParallel, data_parallel  # noqa: F401
from .distributed import DistributedDataParallel  # noqa: F401

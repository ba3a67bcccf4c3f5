"""Data parallelism: ``DistributedDataParallel`` (processes on MPI)."""

from .distributed import DistributedDataParallel  # noqa: F401

"""``ember.nn.parallel``: ``torch.nn.parallel``'s wrappers (ember computes on the CPU)."""

from .data_parallel import DataParallel, data_parallel  # noqa: F401

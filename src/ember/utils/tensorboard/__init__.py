"""``ember.utils.tensorboard``: ``SummaryWriter`` with ``torch.utils.tensorboard``'s API (needs ``ember[tensorboard]``)."""

from .writer import SummaryWriter

__all__ = ["SummaryWriter"]

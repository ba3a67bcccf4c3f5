"""``torch.nn.modules.channelshuffle``'s path (defined in ``pixelshuffle.py``)."""

from .pixelshuffle import ChannelShuffle

__all__ = ["ChannelShuffle"]

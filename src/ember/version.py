"""``ember.version``: ``torch.version``'s fields. ember is built for the CPU only: ``cuda`` and ``hip`` are None."""

__version__ = "0.1.0"
git_version = "unknown"
debug = False
cuda = None
hip = None
xpu = None

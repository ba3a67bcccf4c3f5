"""``ember.nn``: modules, parameters, containers, initialisation and the functional API.

``import ember.nn as nn`` then ``nn.Linear``, ``nn.Sequential``, ``nn.functional.relu``...
exactly as with ``torch.nn``.
"""

from . import functional, init, utils  # noqa: F401
from . import parallel  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import Module, RemovableHandle  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
from .parallel import DataParallel  # noqa: F401

"""``ember.compat``: run PyTorch programs unchanged on ember.

* ``alias_torch()`` makes ``import torch`` (and ``torch.X``, ``torchvision``, ``torchvision.X``)
  resolve to ``ember`` and ``ember.vision`` from then on, in the caller and in everything it
  imports; ``unalias_torch()`` undoes it. Handy in a notebook.
* ``ember run script.py [args...]`` (or ``python -m ember.run``) runs a script with the alias in
  place, as ``python script.py`` would (``sys.argv``, ``__main__``, ``sys.path[0]``, exit codes).
"""

from ._alias import alias_torch, is_aliased, unalias_torch

__all__ = ["alias_torch", "unalias_torch", "is_aliased"]

"""``ember.amp``: ``torch.amp``'s autocast and GradScaler.

* ``autocast``: ember has no bfloat16 and casts nothing: on the CPU the block runs in the dtypes
  of its inputs (float32), with a one-time warning saying so; ``autocast("cuda")`` warns and
  disables itself exactly as PyTorch does on a machine without CUDA.
* ``GradScaler("cpu")`` is real (loss scaling, unscaling, inf/NaN step skipping, scale growth and
  backoff); ``GradScaler("cuda")`` (the default) warns and disables itself, as PyTorch does
  without CUDA: ``scale`` returns its input, ``step`` just steps.
"""

from .autocast_mode import autocast, custom_bwd, custom_fwd, is_autocast_available
from .grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd", "is_autocast_available"]

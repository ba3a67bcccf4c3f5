"""``ember.backends``: the backend flags PyTorch scripts read and set, as a package of submodules.

``import torch.backends.cudnn as cudnn; cudnn.benchmark = True`` works unchanged. ember computes
with NumPy on the CPU: it has no cuDNN, CUDA, MPS, MKL-DNN, MKL, OpenMP or opt_einsum backend, so
every ``is_available()`` answers False and the flags are recorded without effect (ember's kernels
are deterministic and never use TF32). ``backends.cpu.get_cpu_capability()`` reports the SIMD
level NumPy dispatches to.
"""

from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]

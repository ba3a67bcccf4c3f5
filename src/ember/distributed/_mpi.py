"""The one place that imports mpi4py: lazily, with a message naming the extra to install."""

from __future__ import annotations

import importlib.util

_MPI = None


def available() -> bool:
    """True when mpi4py can be imported (without importing it, which would start MPI)."""
    return _MPI is not None or importlib.util.find_spec("mpi4py") is not None


def mpi():
    """The ``mpi4py.MPI`` module (importing it initialises MPI)."""
    global _MPI
    if _MPI is None:
        try:
            import mpi4py
        except ImportError:
            raise RuntimeError(
                "ember.distributed needs MPI through mpi4py: pip install 'ember[distributed]' "
                "(installs mpi4py and the MPICH runtime)"
            ) from None
        # ember finalizes MPI itself at exit (after a barrier that notices ranks that died), so a
        # rank that leaves early neither blocks in MPI_Finalize nor leaves the others hanging.
        mpi4py.rc.finalize = False
        from mpi4py import MPI

        _MPI = MPI
    return _MPI

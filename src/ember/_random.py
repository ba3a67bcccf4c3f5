"""Random number generation: seeded, independent streams (``ember.Generator``).

Each Generator wraps a NumPy PCG64 generator. Exact numbers differ from PyTorch's;
what holds is reproducibility: the same seed gives the same numbers.
"""

from __future__ import annotations

import json

import numpy as np

from ._device import _check_device, device as _device
from ._tensor import Tensor


_NO_GENERATOR = {
    "cuda": "Cannot get CUDA generator without ATen_cuda library. PyTorch splits its backend into two shared "
            "libraries: a CPU library and a CUDA library; this error has occurred because you are trying to use some "
            "CUDA functionality, but the CUDA library has not been loaded by the dynamic linker for some reason.  The CUDA "
            "library MUST be loaded, EVEN IF you don't directly use any symbols from the CUDA library! One common "
            "culprit is a lack of -Wl,--no-as-needed in your link arguments; many dynamic linkers will delete dynamic "
            "library dependencies if you don't depend on any of their symbols.  You can check if this has occurred by "
            "using ldd on your binary to see if there is a dependency on *_cuda.so library.",
    "meta": "META device type not an accelerator.",
    "mps": "Cannot execute getNewGenerator() without MPS backend.",
}


class Generator:
    """A source of random numbers: ``g = ember.Generator().manual_seed(0)``."""

    def __init__(self, device="cpu"):
        kind = _device(device).type if device is not None else "cpu"
        if kind in _NO_GENERATOR:  # what PyTorch's CPU-only build says for a generator on that device
            raise RuntimeError(_NO_GENERATOR[kind])
        _check_device(device)
        self.device = _device(device)
        # PyTorch's documented default seed: a new Generator is reproducible until seeded.
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed: int) -> "Generator":
        """Re-seed this generator; returns it."""
        seed = int(seed)
        self._seed = seed
        # NumPy refuses negative seeds; PyTorch folds them into 64 bits.
        self._rng = np.random.default_rng(seed % (2**64))
        return self

    def seed(self) -> int:
        """Seed from a non-deterministic source; returns the seed."""
        self.manual_seed(int(np.random.SeedSequence().entropy % (2**63)))
        return self._seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (restorable with ``set_state``)."""
        payload = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state}).encode()
        return Tensor._wrap(np.frombuffer(payload, dtype=np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        data = new_state._data if hasattr(new_state, "_data") else np.asarray(new_state)
        try:
            payload = json.loads(np.asarray(data, dtype=np.uint8).tobytes().decode())
            bitgen = np.random.PCG64()
            bitgen.state = payload["state"]
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(f"set_state: not a state produced by Generator.get_state() ({exc})") from None
        self._seed = payload["seed"]
        self._rng = np.random.Generator(bitgen)
        return self


_DEFAULT_SEED = 67280421310721
# As in PyTorch, each process starts the default generator from OS entropy (a fresh seed per run,
# readable with initial_seed()); only ember.manual_seed makes a run repeatable.
default_generator = Generator()
default_generator.seed()


def _rng(generator: Generator | None) -> np.random.Generator:
    """The NumPy generator to draw from: the given Generator's, else the default one."""
    return (generator or default_generator)._rng


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and so every op that draws without ``generator=``)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)

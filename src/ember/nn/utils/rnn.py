"""Variable-length sequences for the recurrent layers: ``PackedSequence`` and its helpers, as
``torch.nn.utils.rnn``.

A packed sequence stores a batch of sequences sorted by decreasing length, time step by time
step: ``data`` holds, for t = 0, 1, ..., the rows of the ``batch_sizes[t]`` sequences still
running at step t. Packing and unpacking are one gather / one scatter through ember's ops, so
gradients flow through them.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Sequence

import numpy as np

from ... import _creation as C
from ... import _dtype as D
from ..._ops.index import getitem, index_put_values
from ..._ops.shape import reshape, stack
from ..._tensor import Tensor
from .. import functional as F

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]

def _converter(name: str, dtype_name: str):
    """``PackedSequence.<name>()``: ``data`` converted to ``dtype_name`` (as ``Tensor.<name>()``), indices kept."""

    def convert(self) -> PackedSequence:
        return self.to(dtype=_dtype(dtype_name))

    convert.__name__ = convert.__qualname__ = name
    return convert


_PackedSequenceBase = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences, packed (see the module docstring).

    Attributes:
        data: (sum of lengths, *) the steps of every sequence, time-major.
        batch_sizes: int64 tensor, the number of sequences running at each time step.
        sorted_indices: how the batch was sorted by length (None if it already was).
        unsorted_indices: the inverse permutation, back to the caller's order.

    Build one with `pack_padded_sequence` or `pack_sequence`, not by hand.
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:  # PackedSequence(data_tuple) as torch's own constructor allows
            data, batch_sizes = data
        if not isinstance(batch_sizes, Tensor) or batch_sizes.dim() != 1:
            raise TypeError("PackedSequence: batch_sizes should be a 1-D int64 tensor")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """``data`` converted as ``Tensor.to`` does; the index tensors stay as they are."""
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        return self

    def cuda(self, *args, **kwargs):
        return type(self)(self.data.cuda(*args, **kwargs), self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def pin_memory(self) -> PackedSequence:
        return self

    double = _converter("double", "float64")
    float = _converter("float", "float32")
    half = _converter("half", "float16")
    long = _converter("long", "int64")
    int = _converter("int", "int32")
    short = _converter("short", "int16")
    char = _converter("char", "int8")
    byte = _converter("byte", "uint8")

    @property
    def is_cuda(self) -> bool:
        return False

    def is_pinned(self) -> bool:
        return False


def _dtype(name):
    return getattr(D, name)


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of 0..n-1 (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data if isinstance(permutation, Tensor) else np.asarray(permutation)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size, dtype=p.dtype)
    return Tensor._wrap(inverse)


def _lengths_array(lengths) -> np.ndarray:
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D")
        arr = lengths._data
    else:
        arr = np.asarray(lengths)
    if arr.ndim != 1:
        raise RuntimeError("'lengths' argument should be a 1D CPU int64 tensor")
    if arr.dtype.kind == "f":
        if not np.all(arr == np.floor(arr)):
            raise RuntimeError("'lengths' must hold whole numbers")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"'lengths' should be a list of ints or an int64 tensor, got {arr.dtype}")
    return arr.astype(np.int64)


def _batch_sizes(sorted_lengths: np.ndarray) -> np.ndarray:
    """How many (length-sorted) sequences are still running at each time step."""
    steps = np.arange(int(sorted_lengths[0]) if sorted_lengths.size else 0)
    return (sorted_lengths[None, :] > steps[:, None]).sum(axis=1).astype(np.int64)


def _packed_rows(batch_sizes: np.ndarray, batch: int) -> np.ndarray:
    """For each row of packed data, its row in the (T * B) time-major padded layout."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)]) if batch_sizes.size else \
        np.zeros(0, np.int64)


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of the given lengths.

    With ``enforce_sorted`` the lengths must decrease; otherwise the batch is sorted here and
    ``sorted_indices``/``unsorted_indices`` record how.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pack_padded_sequence(): input must be a Tensor, got {type(input).__name__}")
    if input.dim() < 2:
        raise ValueError(f"pack_padded_sequence(): input must have at least 2 dims (time and batch), got {input.dim()}")
    lengths = _lengths_array(lengths)
    if enforce_sorted:
        if lengths.size > 1 and np.any(np.diff(lengths) > 0):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass "
                "`enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement "
                "if you do not need ONNX exportability.")
        sorted_indices = None
        order = np.arange(lengths.size)
    else:
        order = np.argsort(-lengths, kind="stable")
        sorted_indices = Tensor._wrap(order.astype(np.int64))
    sorted_lengths = lengths[order]
    if sorted_lengths.size and sorted_lengths[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
    time_major = input.transpose(0, 1) if batch_first else input
    steps, batch = time_major.shape[0], time_major.shape[1]
    if lengths.size != batch:
        raise RuntimeError(f"pack_padded_sequence(): expected {batch} lengths (one per sequence in the batch), got {lengths.size}")
    if sorted_lengths.size and sorted_lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence(): a length of {int(sorted_lengths[0])} exceeds the {steps} time steps of the input")
    batch_sizes = _batch_sizes(sorted_lengths)
    # one gather: time-major padded rows (t * B + sorted position) of every running sequence
    rows = _packed_rows(batch_sizes, batch)
    t_idx, pos = np.divmod(rows, batch)
    flat = reshape(time_major, (steps * batch,) + tuple(time_major.shape[2:]))
    data = getitem(flat, Tensor._wrap(t_idx * batch + order[pos]))
    return PackedSequence(data, Tensor._wrap(batch_sizes), sorted_indices, invert_permutation(sorted_indices))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: returns the padded batch and the lengths (int64, the caller's order)."""
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"pad_packed_sequence(): expected a PackedSequence, got {type(sequence).__name__}")
    data = sequence.data
    batch_sizes = sequence.batch_sizes._data.astype(np.int64)
    steps = int(batch_sizes.size)
    batch = int(batch_sizes[0]) if steps else 0
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in input, but got "
                f"total_length={total_length} and max sequence length being {steps}")
        steps = int(total_length)
    rows = _packed_rows(batch_sizes, batch)
    trailing = tuple(data.shape[1:])
    padded = C.full((steps * batch,) + trailing, padding_value, dtype=data.dtype)
    padded = index_put_values(padded, (rows,), data)
    padded = reshape(padded, (steps, batch) + trailing)
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(axis=1).astype(np.int64)
    if sequence.unsorted_indices is not None:
        unsorted = sequence.unsorted_indices
        padded = padded.index_select(1, unsorted)
        lengths = lengths[unsorted._data]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, Tensor._wrap(lengths)


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right") -> Tensor:
    """Stack sequences of different lengths (each (L_i, *)) into (L_max, B, *) (or (B, L_max, *)), padded."""
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    sequences = list(sequences.unbind(0)) if isinstance(sequences, Tensor) else list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        if tuple(s.shape[1:]) != trailing:
            a, b = trailing, tuple(s.shape[1:])
            dim = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), 0)
            raise RuntimeError(
                f"The size of tensor a ({a[dim] if dim < len(a) else 1}) must match the size of tensor b "
                f"({b[dim] if dim < len(b) else 1}) at non-singleton dimension {dim + 1}")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        extra = longest - s.shape[0]
        widths = [0, 0] * len(trailing) + ([0, extra] if padding_side == "right" else [extra, 0])
        padded.append(F.pad(s, widths, value=padding_value) if extra else s)
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (the reverse of `pad_sequence`)."""
    lengths = _lengths_array(lengths)
    batch_major = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    if lengths.size != batch_major.shape[0]:
        raise RuntimeError(f"unpad_sequence(): expected {batch_major.shape[0]} lengths, got {lengths.size}")
    return [batch_major[i, : int(n)] for i, n in enumerate(lengths)]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences (each (L_i, *)); with ``enforce_sorted`` they must come longest first."""
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences a PackedSequence holds, in the caller's order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)

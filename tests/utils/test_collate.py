"""default_collate / default_convert against torch's, structure and values."""

import collections

import numpy as np
import pytest

import ember
from ember.utils.data import default_collate, default_convert

Point = collections.namedtuple("Point", ["x", "y"])


def _assert_same(ours, theirs, path="batch"):
    """Same structure (container types, tensor dtypes and shapes) and the same values."""
    torch = pytest.importorskip("torch")
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, ember.Tensor), f"{path}: expected a tensor, got {type(ours).__name__}"
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), f"{path}: dtype"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{path}: shape"
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy(), err_msg=path)
    elif isinstance(theirs, tuple) and hasattr(theirs, "_fields"):
        assert type(ours).__name__ == type(theirs).__name__ and ours._fields == theirs._fields, path
        for f in theirs._fields:
            _assert_same(getattr(ours, f), getattr(theirs, f), f"{path}.{f}")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs), f"{path}: {type(ours).__name__} vs {type(theirs).__name__}"
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same(a, b, f"{path}[{i}]")
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and list(ours) == list(theirs), path
        for k in theirs:
            _assert_same(ours[k], theirs[k], f"{path}[{k!r}]")
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray) and ours.dtype == theirs.dtype, path
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert ours == theirs and type(ours) is type(theirs), path


def _to_torch(sample):
    """The same sample with ember tensors replaced by torch tensors."""
    torch = pytest.importorskip("torch")
    if isinstance(sample, ember.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(_to_torch(s) for s in sample))
    if isinstance(sample, (list, tuple)):
        return type(sample)(_to_torch(s) for s in sample)
    if isinstance(sample, dict):
        return type(sample)((k, _to_torch(v)) for k, v in sample.items())
    return sample


def _samples(kind):
    rng = np.random.default_rng(0)
    if kind == "tensors":
        return [ember.tensor(rng.standard_normal((2, 3)).astype(np.float32)) for _ in range(4)]
    if kind == "int_tensors":
        return [ember.tensor([i, i + 1]) for i in range(3)]
    if kind == "numpy":
        return [rng.integers(0, 9, size=(3,)).astype(np.int32) for _ in range(3)]
    if kind == "numpy_scalars":
        return [np.float32(1.5), np.float32(2.5)]
    if kind == "numpy_int_scalars":
        return [np.int16(1), np.int16(-2)]
    if kind == "floats":
        return [0.5, 1.25, 2.0]
    if kind == "ints":
        return [1, 2, 3]
    if kind == "bools":
        return [True, False, True]
    if kind == "strings":
        return ["a", "bb", "ccc"]
    if kind == "bytes":
        return [b"a", b"b"]
    if kind == "tuples":
        return [(ember.ones(2) * i, i, "s%d" % i) for i in range(3)]
    if kind == "lists":
        return [[float(i), i] for i in range(3)]
    if kind == "dicts":
        return [{"img": ember.full((2, 2), float(i)), "label": i, "meta": {"name": f"n{i}", "w": 0.5 * i}}
                for i in range(3)]
    if kind == "ordered_dicts":
        return [collections.OrderedDict(b=i, a=[1.0 * i, np.float64(i)]) for i in range(2)]
    if kind == "namedtuples":
        return [Point(ember.tensor([float(i)]), i) for i in range(3)]
    if kind == "nested":
        return [{"pair": (np.ones((2,), dtype=np.float32) * i, [i, i + 1]), "p": Point(x=1.0 * i, y=[True, False])}
                for i in range(4)]
    raise KeyError(kind)


@pytest.mark.parametrize("kind", ["tensors", "int_tensors", "numpy", "numpy_scalars", "numpy_int_scalars", "floats",
                                  "ints", "bools", "strings", "bytes", "tuples", "lists", "dicts", "ordered_dicts",
                                  "namedtuples", "nested"])
def test_default_collate_matches_torch(kind):
    torch = pytest.importorskip("torch")
    samples = _samples(kind)
    _assert_same(default_collate(samples), torch.utils.data.default_collate(_to_torch(samples)))


@pytest.mark.parametrize("sample", [np.float32(3.0), np.arange(3), (1, np.zeros(2)), {"a": np.ones(1), "b": "s"},
                                    Point(np.int64(1), 2.0), ["x", np.bool_(True)], np.array(["a", "b"])])
def test_default_convert_matches_torch(sample):
    torch = pytest.importorskip("torch")
    _assert_same(default_convert(sample), torch.utils.data.default_convert(sample))


def test_default_collate_stacks_tensors_into_a_new_copy():
    a, b = ember.zeros(2), ember.ones(2)
    out = default_collate([a, b])
    out._data[0, 0] = 7.0
    assert a.numpy()[0] == 0.0


def test_default_collate_of_tensors_requiring_grad_records_the_graph():
    w = ember.ones(2, requires_grad=True)
    out = default_collate([w * 2, w * 3])
    out.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0])


def test_default_collate_errors_match_torch():
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                                        "or lists; found <class 'object'>"):
        default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(RuntimeError, match=r"stack expects each tensor to be equal size, but got \[2\] at entry 0 "
                                           r"and \[3\] at entry 1"):
        default_collate([ember.zeros(2), ember.zeros(3)])

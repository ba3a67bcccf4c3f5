"""DataLoader in the main process: ordering, seeds, lengths, validation, the TensorDataset fast path."""

import math
import warnings

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    random_split,
)


class Squares(Dataset):
    """A map-style dataset that is not a TensorDataset (the general path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return ember.tensor([float(i), float(i * i)]), i


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


def _labels(loader):
    return [yb.tolist() for _, yb in loader]


def _xy(n=20, d=3):
    x = ember.tensor(np.arange(n * d, dtype=np.float32).reshape(n, d))
    return x, ember.arange(n)


def test_batches_come_in_order_without_shuffle():
    x, y = _xy(10)
    batches = list(DataLoader(TensorDataset(x, y), batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert isinstance(batches[0], list) and batches[0][0].shape == (4, 3)
    np.testing.assert_array_equal(batches[2][0].numpy(), x.numpy()[8:])


def test_shuffle_same_seed_same_order_different_seed_different_order():
    ds = TensorDataset(*_xy(50))

    def epoch(seed):
        ember.manual_seed(seed)
        return _labels(DataLoader(ds, batch_size=8, shuffle=True))

    assert epoch(0) == epoch(0)
    assert epoch(0) != epoch(1)
    flat = sum(epoch(0), [])
    assert sorted(flat) == list(range(50)) and flat != list(range(50))


def test_shuffle_reshuffles_every_epoch_reproducibly():
    ds = TensorDataset(*_xy(30))
    ember.manual_seed(0)
    loader = DataLoader(ds, batch_size=30, shuffle=True)
    first, second = _labels(loader), _labels(loader)
    assert first != second
    ember.manual_seed(0)
    loader = DataLoader(ds, batch_size=30, shuffle=True)
    assert [_labels(loader), _labels(loader)] == [first, second]


def test_generator_drives_the_order_independently_of_the_global_seed():
    ds = TensorDataset(*_xy(40))

    def epoch(seed, global_seed):
        ember.manual_seed(global_seed)
        return _labels(DataLoader(ds, batch_size=7, shuffle=True, generator=ember.Generator().manual_seed(seed)))

    assert epoch(3, 0) == epoch(3, 99)
    assert epoch(3, 0) != epoch(4, 0)


def test_fast_path_gives_what_the_general_path_gives():
    x, y = _xy(37)

    class Rows(Dataset):  # the same data, one sample at a time
        def __len__(self):
            return 37

        def __getitem__(self, i):
            return x[i], y[i]

    for shuffle in (False, True):
        for drop_last in (False, True):
            fast = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=shuffle, drop_last=drop_last,
                              generator=ember.Generator().manual_seed(1))
            slow = DataLoader(Rows(), batch_size=5, shuffle=shuffle, drop_last=drop_last,
                              generator=ember.Generator().manual_seed(1))
            for (fx, fy), (sx, sy) in zip(fast, slow, strict=True):
                assert fx.dtype == sx.dtype and fy.dtype == sy.dtype
                np.testing.assert_array_equal(fx.numpy(), sx.numpy())
                np.testing.assert_array_equal(fy.numpy(), sy.numpy())


def test_fast_path_indexes_whole_batches_never_single_samples(monkeypatch):
    ds = TensorDataset(*_xy(100))

    def per_sample(self, index):
        raise AssertionError("a tensor was indexed sample by sample")

    monkeypatch.setattr(ember.Tensor, "__getitem__", per_sample)
    calls = []
    real_take = np.take

    def counting_take(a, idx, axis=None, **kw):
        calls.append(len(idx))
        return real_take(a, idx, axis=axis, **kw)

    monkeypatch.setattr(np, "take", counting_take)
    batches = list(DataLoader(ds, batch_size=32, shuffle=True))
    assert len(batches) == 4
    assert calls == [32, 32, 32, 32, 32, 32, 4, 4]  # one take per tensor per batch


def test_fast_path_batches_are_copies_not_views_of_the_dataset():
    x, y = _xy(8)
    xb, _ = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    xb._data[:] = -1
    assert x.numpy().min() >= 0


def test_subsets_of_a_tensor_dataset_take_the_fast_path_with_the_right_rows():
    x, y = _xy(30)
    train, val = random_split(TensorDataset(x, y), [20, 10], generator=ember.Generator().manual_seed(0))
    inner = Subset(train, [19, 0, 5])
    got = [b[1].tolist() for b in DataLoader(inner, batch_size=2)]
    want = [train.indices[19], train.indices[0]], [train.indices[5]]
    assert got == list(map(list, want))
    assert sorted(sum((b[1].tolist() for b in DataLoader(val, batch_size=3)), [])) == sorted(val.indices)


def test_tensor_dataset_with_tensors_requiring_grad_keeps_the_graph():
    w = ember.ones(6, 2, requires_grad=True)
    batch = next(iter(DataLoader(TensorDataset(w), batch_size=6)))[0]
    assert batch.requires_grad


@pytest.mark.parametrize("n", [1, 5, 10, 63, 64, 65, 100])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 64, 128])
@pytest.mark.parametrize("drop_last", [False, True])
def test_len_and_batch_sizes_match_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    x, y = _xy(n)
    ours = DataLoader(TensorDataset(x, y), batch_size=batch_size, drop_last=drop_last, shuffle=True)
    theirs = torch.utils.data.DataLoader(range(n), batch_size=batch_size, drop_last=drop_last)
    expected = n // batch_size if drop_last else math.ceil(n / batch_size)
    assert len(ours) == len(theirs) == expected
    assert [len(b[1]) for b in ours] == [len(b) for b in theirs]


def test_iterable_dataset_batches_and_len():
    loader = DataLoader(Stream(10), batch_size=4)
    assert [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3
    assert len(DataLoader(Stream(10), batch_size=4, drop_last=True)) == 2
    assert [b.tolist() for b in DataLoader(Stream(10), batch_size=4, drop_last=True)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_iterable_dataset_longer_than_its_len_warns():
    class Liar(Stream):
        def __len__(self):
            return 2

    loader = DataLoader(Liar(4), batch_size=1)
    len(loader)
    with pytest.warns(UserWarning, match="was reported to be 2"):
        list(loader)


def test_batch_size_none_yields_converted_samples():
    out = list(DataLoader(Squares(3), batch_size=None))
    assert len(out) == 3
    x, i = out[2]
    np.testing.assert_array_equal(x.numpy(), [2.0, 4.0])
    assert i == 2


def test_general_path_collates_with_default_collate_and_custom_collate_fn():
    xb, yb = next(iter(DataLoader(Squares(5), batch_size=3)))
    np.testing.assert_array_equal(xb.numpy(), [[0, 0], [1, 1], [2, 4]])
    assert yb.dtype == ember.int64
    sizes = list(DataLoader(Squares(5), batch_size=2, collate_fn=len))
    assert sizes == [2, 2, 1]


def test_custom_sampler_and_batch_sampler_are_used():
    loader = DataLoader(Squares(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert [b[1].tolist() for b in loader] == [[5, 4], [3, 2], [1, 0]]
    loader = DataLoader(Squares(6), batch_sampler=[[0, 5], [1]])
    assert [b[1].tolist() for b in loader] == [[0, 5], [1]]
    assert len(loader) == 2
    loader = DataLoader(Squares(6), batch_sampler=BatchSampler(SequentialSampler(range(6)), 4, True))
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3]]


def test_map_dataset_with_getitems_fetches_whole_batches():
    class Batched(Squares):
        def __getitems__(self, indices):
            return [(ember.tensor([float(i)]), i * 10) for i in indices]

    assert [b[1].tolist() for b in DataLoader(Batched(4), batch_size=3)] == [[0, 10, 20], [30]]


def test_random_sampler_with_replacement_through_the_loader():
    sampler = RandomSampler(range(10), replacement=True, num_samples=25, generator=ember.Generator().manual_seed(0))
    loader = DataLoader(TensorDataset(*_xy(10)), batch_size=10, sampler=sampler)
    sizes = [len(b[1]) for b in loader]
    assert sizes == [10, 10, 5] and len(loader) == 3


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(num_workers=-1), ValueError, "num_workers option should be non-negative"),
        (dict(timeout=-1), ValueError, "timeout option should be non-negative"),
        (dict(prefetch_factor=2), ValueError, "prefetch_factor option could only be specified in multiprocessing"),
        (dict(persistent_workers=True), ValueError, "persistent_workers option needs num_workers > 0"),
        (dict(shuffle=True, sampler=[0, 1]), ValueError, "sampler option is mutually exclusive with shuffle"),
        (dict(batch_sampler=[[0]], batch_size=2), ValueError, "batch_sampler option is mutually exclusive with "
                                                              "batch_size, shuffle, sampler, and drop_last"),
        (dict(batch_sampler=[[0]], shuffle=True), ValueError, "batch_sampler option is mutually exclusive"),
        (dict(batch_sampler=[[0]], drop_last=True), ValueError, "batch_sampler option is mutually exclusive"),
        (dict(batch_size=None, drop_last=True), ValueError, "batch_size=None option disables auto-batching"),
        (dict(multiprocessing_context="fork"), ValueError, "multiprocessing_context can only be used with "
                                                           "multi-process loading"),
        (dict(num_workers=1, multiprocessing_context="nope"), ValueError, "should specify a valid start method"),
        (dict(num_workers=1, prefetch_factor=-1), ValueError, "prefetch_factor option should be non-negative"),
    ],
)
def test_argument_validation_matches_torch(kwargs, error, message):
    torch = pytest.importorskip("torch")
    with pytest.raises(error, match=message):
        DataLoader(Squares(4), **kwargs)
    with pytest.raises(error, match=message):
        torch.utils.data.DataLoader(range(4), **kwargs)


def test_iterable_dataset_refuses_shuffle_and_samplers():
    with pytest.raises(ValueError, match="expected unspecified shuffle option, but got shuffle=True"):
        DataLoader(Stream(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        DataLoader(Stream(3), sampler=[0])
    with pytest.raises(ValueError, match="expected unspecified batch_sampler option"):
        DataLoader(Stream(3), batch_sampler=[[0]])


def test_attributes_are_frozen_after_construction():
    loader = DataLoader(Squares(3))
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 4
    loader.num_workers = 0  # not a frozen one


def test_timeout_without_workers_is_refused_at_iteration():
    loader = DataLoader(Squares(3), timeout=1)
    with pytest.raises(ValueError, match="timeout"):
        iter(loader)


def test_pin_memory_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="pin_memory"):
        batches = list(DataLoader(TensorDataset(*_xy(4)), batch_size=2, pin_memory=True))
    assert len(batches) == 2


def test_index_out_of_range_in_a_custom_sampler_raises_index_error():
    with warnings.catch_warnings():
        loader = DataLoader(TensorDataset(*_xy(5)), batch_size=2, sampler=[0, 7])
        with pytest.raises(IndexError):
            list(loader)

"""Samplers: orders, reproducibility, frequencies, batching and validation."""

import numpy as np
import pytest

import ember
from ember.utils.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_sampler_visits_indices_in_order():
    assert list(SequentialSampler(range(5))) == [0, 1, 2, 3, 4]
    assert len(SequentialSampler(range(5))) == 5


def test_random_sampler_is_a_permutation_each_epoch_and_epochs_differ():
    s = RandomSampler(range(50), generator=ember.Generator().manual_seed(0))
    first, second = list(s), list(s)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second
    assert all(isinstance(i, int) for i in first)


def test_random_sampler_same_seed_same_order_different_seed_different_order():
    def order(seed):
        return list(RandomSampler(range(30), generator=ember.Generator().manual_seed(seed)))

    assert order(1) == order(1)
    assert order(1) != order(2)
    ember.manual_seed(5)
    a = list(RandomSampler(range(30)))
    ember.manual_seed(5)
    assert list(RandomSampler(range(30))) == a


def test_random_sampler_num_samples_beyond_length_chains_permutations():
    s = RandomSampler(range(4), num_samples=10, generator=ember.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == len(s) == 10
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2


def test_random_sampler_with_replacement_draws_num_samples_in_range():
    out = list(RandomSampler(range(3), replacement=True, num_samples=200, generator=ember.Generator().manual_seed(0)))
    assert len(out) == 200 and set(out) == {0, 1, 2}


def test_random_sampler_validates_arguments_like_torch():
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got replacement=1"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler([])


def test_subset_random_sampler_permutes_the_given_indices():
    idx = [10, 20, 30, 40]
    out = list(SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(0)))
    assert sorted(out) == idx
    assert all(isinstance(i, int) for i in out)
    # Indices NumPy can't make an array of are still served, one by one.
    assert sorted(SubsetRandomSampler(["a", "b"])) == ["a", "b"]


def test_weighted_random_sampler_frequencies_follow_the_weights():
    weights = [1.0, 2.0, 0.0, 5.0]
    s = WeightedRandomSampler(weights, 40000, replacement=True, generator=ember.Generator().manual_seed(0))
    counts = np.bincount(list(s), minlength=4) / 40000
    np.testing.assert_allclose(counts, np.array(weights) / sum(weights), atol=0.01)
    assert counts[2] == 0


def test_weighted_random_sampler_without_replacement_never_repeats():
    out = list(WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 5, replacement=False))
    assert len(set(out)) == 5


def test_weighted_random_sampler_validates_like_torch():
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but got num_samples=0"):
        WeightedRandomSampler([1.0], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1.0], 1, replacement=None)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have shape \(1, 2\)"):
        WeightedRandomSampler([[1.0, 2.0]], 1)


@pytest.mark.parametrize("n", [1, 7, 10, 12])
@pytest.mark.parametrize("batch_size", [1, 3, 5, 12, 20])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(n, batch_size, drop_last):
    torch = pytest.importorskip("torch")
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(range(n)), batch_size, drop_last)
    assert list(ours) == list(theirs)
    assert len(ours) == len(theirs)


def test_batch_sampler_over_a_plain_iterable_and_a_custom_sampler():
    assert list(BatchSampler(iter(range(5)), 2, False)) == [[0, 1], [2, 3], [4]]

    class Evens(Sampler):
        def __iter__(self):
            return iter([0, 2, 4, 6])

        def __len__(self):
            return 4

    assert list(BatchSampler(Evens(), 3, True)) == [[0, 2, 4]]


def test_batch_sampler_array_batches_agree_with_its_lists():
    g1, g2 = ember.Generator().manual_seed(9), ember.Generator().manual_seed(9)
    lists = list(BatchSampler(RandomSampler(range(23), generator=g1), 5, False))
    arrays = list(BatchSampler(RandomSampler(range(23), generator=g2), 5, False)._array_batches())
    assert lists == [a.tolist() for a in arrays]
    assert all(a.dtype == np.int64 for a in arrays)


def test_batch_sampler_validates_like_torch():
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=0"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but got batch_size=True"):
        BatchSampler(range(3), True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got drop_last=0"):
        BatchSampler(range(3), 2, 0)


def test_sampler_subclass_overriding_iter_keeps_its_own_order():
    class Reversed(SequentialSampler):
        def __iter__(self):
            return iter(range(len(self.data_source) - 1, -1, -1))

    assert list(BatchSampler(Reversed(range(5)), 2, False)) == [[4, 3], [2, 1], [0]]

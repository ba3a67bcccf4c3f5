"""Datasets: TensorDataset, Subset, ConcatDataset, ChainDataset, StackDataset, random_split."""

import numpy as np
import pytest

import ember
from ember.utils.data import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)


def test_tensor_dataset_items_are_rows_of_each_tensor():
    x = ember.arange(12.0).reshape(4, 3)
    y = ember.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.numpy(), [6.0, 7.0, 8.0])
    assert yi.item() == 0


def test_tensor_dataset_refuses_mismatched_first_dimensions():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ember.zeros(4, 2), ember.zeros(5))


def test_subset_maps_indices_and_batches_through_getitems():
    ds = Subset(list(range(10, 20)), [3, 1, 4])
    assert len(ds) == 3
    assert [ds[i] for i in range(3)] == [13, 11, 14]
    assert ds.__getitems__([0, 2]) == [13, 14]


def test_concat_dataset_indexes_across_parts_and_supports_negative_indices():
    ds = ConcatDataset([list(range(3)), list(range(10, 15))])
    assert len(ds) == 8
    assert ds.cumulative_sizes == [3, 8]
    assert [ds[i] for i in range(8)] == [0, 1, 2, 10, 11, 12, 13, 14]
    assert ds[-1] == 14
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-9]


def test_dataset_addition_concatenates():
    class Ten(Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return i

    both = Ten() + Ten()
    assert isinstance(both, ConcatDataset) and len(both) == 20 and both[15] == 5


def test_chain_dataset_iterates_iterable_datasets_in_turn():
    class Count(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    chained = Count(2) + Count(3)
    assert isinstance(chained, ChainDataset)
    assert list(chained) == [0, 1, 0, 1, 2]
    assert len(chained) == 5


def test_stack_dataset_zips_as_tuples_or_dicts():
    assert StackDataset([1, 2], ["a", "b"])[1] == (2, "b")
    assert StackDataset(x=[1, 2], y=["a", "b"])[0] == {"x": 1, "y": "a"}
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset([1, 2], [1])


@pytest.mark.parametrize(
    "n, fractions",
    [(10, [0.8, 0.2]), (7, [0.5, 0.5]), (11, [1 / 3, 1 / 3, 1 / 3]), (5, [0.1, 0.2, 0.7]), (100, [0.7, 0.15, 0.15]),
     (3, [0.25, 0.25, 0.25, 0.25])],
)
def test_random_split_fraction_sizes_match_torch(n, fractions):
    torch = pytest.importorskip("torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length splits warn, in both libraries
        ours = [len(s) for s in random_split(range(n), fractions, generator=ember.Generator().manual_seed(0))]
        theirs = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
    assert ours == theirs


def test_random_split_is_a_partition_reproducible_under_a_generator():
    a = random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    b = random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(3))
    c = random_split(range(20), [5, 15], generator=ember.Generator().manual_seed(4))
    assert [list(s) for s in a] == [list(s) for s in b]
    assert [list(s) for s in a] != [list(s) for s in c]
    assert sorted(list(a[0]) + list(a[1])) == list(range(20))


def test_random_split_uses_the_global_seed_without_a_generator():
    ember.manual_seed(11)
    a = [list(s) for s in random_split(range(10), [3, 7])]
    ember.manual_seed(11)
    b = [list(s) for s in random_split(range(10), [3, 7])]
    assert a == b


def test_random_split_refuses_lengths_that_do_not_sum_to_the_dataset_length():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal the length of the input dataset!"):
        random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Fraction at index 1 is not between 0 and 1"):
        random_split(range(10), [0.5, 1.5, -1.0])

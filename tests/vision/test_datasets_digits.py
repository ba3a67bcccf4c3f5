"""The shipped digits data and the Digits dataset's split."""

import hashlib
from importlib import resources

import numpy as np
import pytest

from ember.vision import datasets as D
from ember.vision import transforms as T


def test_shipped_digits_are_the_1797_sklearn_images():
    images, labels = D.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert images.max() == 16 and images.min() == 0
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # the first image is sklearn's well-known zero
    np.testing.assert_array_equal(images[0, 1], [0, 0, 13, 15, 10, 15, 5, 0])


def test_shipped_file_matches_the_checksum_in_its_readme():
    data_dir = resources.files("ember.vision").joinpath("_data")
    digest = hashlib.sha256(data_dir.joinpath("digits.npz").read_bytes()).hexdigest()
    assert digest in data_dir.joinpath("README.md").read_text()


def test_shipped_digits_match_scikit_learn_when_it_is_installed():
    datasets = pytest.importorskip("sklearn.datasets")
    ref = datasets.load_digits()
    images, labels = D.load_digits()
    np.testing.assert_array_equal(images, ref.images)
    np.testing.assert_array_equal(labels, ref.target)


def test_digits_split_is_disjoint_complete_stratified_and_deterministic():
    train, test = D.Digits(), D.Digits(train=False)
    assert len(train) + len(test) == 1797
    assert len(np.intersect1d(train.indices, test.indices)) == 0
    per_class = np.bincount(test.targets)
    expected = np.rint(0.25 * np.bincount(D.load_digits()[1])).astype(int)
    np.testing.assert_array_equal(per_class, expected)
    np.testing.assert_array_equal(D.Digits().indices, train.indices)
    assert not np.array_equal(D.Digits(seed=1).indices, train.indices)
    assert len(D.Digits(train=False, test_fraction=0.5)) == int(np.rint(0.5 * np.bincount(D.load_digits()[1])).sum())


def test_digits_data_is_rescaled_to_0_255_and_exactly_invertible():
    ds = D.Digits()
    images, _ = D.load_digits()
    raw = images[ds.indices]
    assert ds.data.dtype == np.uint8 and ds.data.max() == 255
    np.testing.assert_array_equal(np.rint(ds.data.astype(float) * 16 / 255), raw)


def test_digits_items_go_through_transforms():
    ds = D.Digits(transform=T.ToTensor())
    x, y = ds[0]
    assert tuple(x.shape) == (1, 8, 8) and 0.0 <= float(x.numpy().min()) and float(x.numpy().max()) <= 1.0
    assert y == int(ds.targets[0]) and ds.classes == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match="test_fraction"):
        D.Digits(test_fraction=1.0)

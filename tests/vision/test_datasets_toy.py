"""The 2-D toy problems and the dataset registry."""

import numpy as np
import pytest

import ember
from ember.vision import datasets as D

GENERATORS = [D.make_moons, D.make_circles, D.make_blobs, D.xor, D.spiral]


@pytest.mark.parametrize("make", GENERATORS)
def test_toy_generators_return_float32_points_and_int64_labels(make):
    X, y = make(n_samples=101, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float32
    assert y.shape == (101,) and y.dtype == np.int64


@pytest.mark.parametrize("make", GENERATORS)
def test_toy_generators_are_reproducible_by_seed_and_generator(make):
    a, b, c = make(n_samples=50, seed=1), make(n_samples=50, seed=1), make(n_samples=50, seed=2)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], c[0])
    ember.manual_seed(7)
    d = make(n_samples=50)
    ember.manual_seed(7)
    np.testing.assert_array_equal(d[0], make(n_samples=50)[0])
    g = ember.Generator().manual_seed(3)
    e = make(n_samples=50, seed=g)
    np.testing.assert_array_equal(e[0], make(n_samples=50, seed=ember.Generator().manual_seed(3))[0])


def test_moons_without_noise_lie_on_two_unit_half_circles():
    X, y = D.make_moons(n_samples=100, seed=0)
    assert np.bincount(y).tolist() == [50, 50]
    outer, inner = X[y == 0].astype(np.float64), X[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0, atol=1e-6)
    assert outer[:, 1].min() >= -1e-6 and inner[:, 1].max() <= 0.5 + 1e-6


def test_circles_radii_are_one_and_factor():
    X, y = D.make_circles(n_samples=60, factor=0.3, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0, atol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, atol=1e-6)
    with pytest.raises(ValueError, match="factor"):
        D.make_circles(factor=1.0)


def test_blobs_split_counts_evenly_and_gather_around_given_centres():
    X, y = D.make_blobs(n_samples=301, centers=[[0, 0], [20, 20], [-20, 20]], cluster_std=0.5, seed=0)
    assert np.bincount(y).tolist() == [101, 100, 100]
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [20, 20], atol=0.2)
    assert D.make_blobs(n_samples=40, centers=4, seed=0)[1].max() == 3


def test_xor_labels_are_sign_disagreement():
    X, y = D.xor(n_samples=500, seed=0)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) != (X[:, 1] > 0))
    assert 200 < y.sum() < 300


def test_spiral_has_the_requested_classes_and_radius_at_most_one():
    X, y = D.spiral(n_samples=300, classes=4, noise=0.0, seed=0)
    assert np.bincount(y).tolist() == [75] * 4
    assert np.hypot(X[:, 0], X[:, 1]).max() <= 1.0 + 1e-6


def test_registry_lists_the_names_and_builds_datasets():
    names = D.available()
    assert names == ["digits", "mnist", "fashion-mnist", "kmnist", "emnist", "moons", "circles", "blobs", "xor", "spiral"]
    train, test = D.get_dataset("moons"), D.get_dataset("moons", train=False)
    assert len(train) == 1000 and len(test) == 250
    x, y = train[0]
    assert x.shape == (2,) and x.dtype == np.float32 and y in (0, 1)
    # train and test are disjoint draws from one sample
    assert not any((test.data == row).all(axis=1).any() for row in train.data[:50])
    assert len(D.get_dataset("spiral", n_train=30, n_test=6, classes=2).classes) == 2
    assert len(D.get_dataset("Digits", train=False)) == 450


def test_registry_builds_mnist_family_from_disk(tmp_path):
    from ember.vision.datasets._idx import write_idx

    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([1, 2], np.uint8))
    assert D.get_dataset("mnist", root=tmp_path).targets.tolist() == [1, 2]
    assert D.get_dataset("fashion_mnist", root=tmp_path).classes[0] == "T-shirt/top"


def test_registry_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError) as info:
        D.get_dataset("fashon-mnist")
    msg = str(info.value)
    assert "Did you mean 'fashion-mnist'?" in msg and "digits, mnist" in msg
    with pytest.raises(ValueError, match="Available"):
        D.get_dataset("zzzz")

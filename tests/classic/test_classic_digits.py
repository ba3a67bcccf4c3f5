"""Real data: scikit-learn's 8x8 digits (1797 images, 10 classes), X scaled to [0, 1]."""

import time

import numpy as np
import pytest

from ember.classic import MLPClassifier, SoftmaxRegression


@pytest.fixture(scope="module")
def digits():
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    X, y = data.data / 16.0, data.target
    order = np.random.default_rng(0).permutation(len(X))
    n_train = int(0.75 * len(X))
    train, test = order[:n_train], order[n_train:]
    return X[train], y[train], X[test], y[test]


def test_softmax_regression_reaches_95_percent_on_digits(digits):
    X_train, y_train, X_test, y_test = digits
    start = time.perf_counter()
    clf = SoftmaxRegression(lr=0.5, epochs=50, batch_size=32, random_state=0).fit(X_train, y_train)
    assert time.perf_counter() - start < 5.0
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.score(X_test, y_test) >= 0.95
    proba = clf.predict_proba(X_test)
    assert proba.shape == (len(X_test), 10)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # The training loss went from ~log(10) = 2.30 (zero weights) to well under 0.2.
    assert clf.history_["loss"][-1] < 0.2
    assert clf.history_["accuracy"][-1] > 0.97


def test_mlp_classifier_reaches_95_percent_on_digits(digits):
    X_train, y_train, X_test, y_test = digits
    start = time.perf_counter()
    clf = MLPClassifier((64,), solver="minibatch", lr=0.1, epochs=40, random_state=0)
    clf.fit(X_train, y_train)
    assert time.perf_counter() - start < 5.0
    assert clf.score(X_test, y_test) >= 0.95
    assert [W.shape for W in clf.weights_] == [(64, 64), (64, 10)]
    assert clf.history_["accuracy"][-1] > 0.97


def test_softmax_regression_defaults_converge_like_scikit_learns():
    """A newcomer's first try: the defaults, on digits scaled to [0, 1], match scikit-learn's defaults."""
    sklearn = pytest.importorskip("sklearn")
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression as SkLogistic
    from sklearn.model_selection import train_test_split

    del sklearn
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    ours = SoftmaxRegression().fit(X_train, y_train).score(X_test, y_test)
    theirs = SkLogistic().fit(X_train, y_train).score(X_test, y_test)
    assert ours >= 0.95 and ours >= theirs - 0.01, (ours, theirs)

"""Logic gates: what a single perceptron can and cannot learn, and the MLP that fixes XOR."""

import numpy as np
import pytest

from ember.classic import MLPClassifier, Perceptron

X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
}
XOR = np.array([0, 1, 1, 0])


@pytest.mark.parametrize("gate", sorted(GATES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perceptron_learns_linearly_separable_gates_exactly(gate, seed):
    y = np.array(GATES[gate])
    clf = Perceptron(random_state=seed).fit(X2, y)
    assert clf.converged_
    assert clf.errors_[-1] == 0
    assert len(clf.errors_) == clf.n_epochs_ < 100
    np.testing.assert_array_equal(clf.predict(X2), y)
    assert clf.score(X2, y) == 1.0
    # Every training point is strictly on its own side of the learned boundary.
    z = clf.decision_function(X2)
    assert np.all(np.where(y == 1, z, -z) > 0)


def test_perceptron_learns_not_with_one_input():
    X = np.array([[0.0], [1.0]])
    clf = Perceptron(shuffle=False).fit(X, [1, 0])
    assert clf.converged_
    np.testing.assert_array_equal(clf.predict(X), [1, 0])
    # Hand trace from w = b = 0, no shuffle, t = (+1, -1):
    # epoch 1: x=0 on boundary -> b=1; x=1 gives z=1 -> w=-1, b=0
    # epoch 2: x=0 on boundary -> b=1; x=1 gives z=0 -> w=-2, b=0
    # epoch 3: x=0 on boundary -> b=1; x=1 gives z=-1, correct
    # epoch 4: no mistake.
    assert clf.errors_ == [2, 2, 1, 0]
    np.testing.assert_array_equal(clf.coef_, [-2.0])
    assert clf.intercept_ == 1.0


def test_perceptron_cannot_learn_xor():
    clf = Perceptron(max_epochs=50, random_state=0).fit(X2, XOR)
    assert not clf.converged_
    assert clf.n_epochs_ == 50
    assert len(clf.errors_) == 50
    assert min(clf.errors_) >= 1  # no epoch is ever mistake-free
    # A line gets at most 3 of the 4 XOR points right.
    assert clf.score(X2, XOR) <= 0.75


def test_perceptron_accepts_minus_one_plus_one_and_string_labels():
    y_pm = np.array([-1, -1, -1, 1])
    clf = Perceptron(random_state=0).fit(X2, y_pm)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    np.testing.assert_array_equal(clf.predict(X2), y_pm)
    y_str = np.array(["off", "off", "off", "on"])
    clf = Perceptron(random_state=0).fit(X2, y_str)
    np.testing.assert_array_equal(clf.predict(X2), y_str)


def test_perceptron_update_is_the_perceptron_trick():
    # One sample, one epoch: from w = 0 the point is on the boundary, so w <- w + lr * t * x.
    X = np.array([[2.0, -1.0]])
    clf = Perceptron(lr=0.5, max_epochs=1, shuffle=False)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, [1])
    X = np.array([[2.0, -1.0], [-1.0, 3.0]])
    clf.fit(X, [1, 0])
    # sample 0 (t=+1): w = 0.5*[2,-1] = [1, -0.5], b = 0.5
    # sample 1 (t=-1): z = -1 - 1.5 + 0.5 = -2 < 0, correct: no update
    np.testing.assert_allclose(clf.coef_, [1.0, -0.5])
    assert clf.intercept_ == 0.5
    assert clf.errors_ == [1]
    assert not clf.converged_  # the single epoch made a mistake


@pytest.mark.parametrize("hidden", [(4,), (8,)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_layer_tanh_mlp_learns_xor_exactly(hidden, seed):
    clf = MLPClassifier(hidden, activation="tanh", lr=0.5, epochs=500, random_state=seed)
    clf.fit(X2, XOR)
    np.testing.assert_array_equal(clf.predict(X2), XOR)
    proba = clf.predict_proba(X2)
    assert proba.shape == (4, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba[np.arange(4), XOR] > 0.9)
    assert clf.history_["accuracy"][-1] == 1.0
    assert clf.history_["loss"][-1] < 0.05

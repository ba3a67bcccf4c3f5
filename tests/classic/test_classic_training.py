"""Training behaviour: numerical stability, early stopping, solvers, reproducibility,
vanishing gradients, and agreement with closed-form / reference solutions."""

import warnings

import numpy as np
import pytest

from ember.classic import (
    Adaline,
    ConvergenceWarning,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    Perceptron,
    SoftmaxRegression,
)
from ember.classic._math import log_softmax, sigmoid

CENTERS = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])


def _blobs(n_per_class=50, n_classes=3, spread=1.0, seed=0):
    """Well separated Gaussian blobs around fixed 2-D centres: linearly separable in practice."""
    rng = np.random.default_rng(seed)
    X = np.vstack([c + spread * rng.normal(size=(n_per_class, 2)) for c in CENTERS[:n_classes]])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


def _noisy(n, seed):
    """A weak signal in 10 features plus label noise: easy to overfit with 40 samples."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10))
    y = (X[:, 0] + X[:, 1] + rng.normal(size=n) > 0).astype(int)
    return X, y


# ----------------------------------------------------------------------- numerical care


def test_sigmoid_and_log_softmax_are_exact_at_extreme_inputs_without_warnings():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        np.testing.assert_array_equal(sigmoid(np.array([-1e4, 0.0, 1e4])), [0.0, 0.5, 1.0])
        assert sigmoid(np.array([-40.0]))[0] == pytest.approx(np.exp(-40.0), rel=1e-12)
        ls = log_softmax(np.array([[1e4, 0.0, -1e4]]))
        np.testing.assert_allclose(ls, [[0.0, -1e4, -2e4]])


def test_logistic_regression_with_huge_logits_has_finite_loss_and_no_warnings():
    X = np.array([[1e4], [-1e4], [2e4], [-3e4]])
    y = np.array([1, 0, 0, 1])  # the last two are on the wrong side for w > 0
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        clf = LogisticRegression(lr=1.0, epochs=5, penalty="l2").fit(X, y)
        assert np.all(np.isfinite(clf.history_["loss"]))
        clf.coef_, clf.intercept_ = np.array([1.0]), 0.0
        loss, grads = clf.loss_and_gradients(X, y)
        proba = clf.predict_proba(X)
    # Two samples are right with p = 1 (cost ~0), two are wrong with p clipped to
    # [1e-15, 1 - 1e-15]: costs -log(1e-15) and -log(1 - fl(1 - 1e-15)) (float64 rounds the
    # latter's argument to 9.99e-16). Plus the l2 penalty alpha/2 * w^2.
    eps = 1e-15
    expected = (-np.log(eps) - np.log1p(-(1 - eps))) / 4 + 0.5 * 1e-4 * 1.0
    assert loss == pytest.approx(expected, rel=1e-9)
    # p - y is exactly (0, 0, 1, -1): dL/dw = (2e4 * 1 + -3e4 * -1) / 4 + alpha * w
    assert grads["coef"][0] == pytest.approx(5e4 / 4 + 1e-4)
    np.testing.assert_array_equal(proba, [[0, 1], [1, 0], [0, 1], [1, 0]])


def test_softmax_regression_with_huge_logits_is_finite_without_warnings():
    X = np.array([[1e4, 0.0], [0.0, 1e4], [-1e4, -1e4]])
    y = np.array([0, 1, 2])
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        clf = SoftmaxRegression(lr=1.0, epochs=3).fit(X, y)
        assert np.all(np.isfinite(clf.history_["loss"]))
        assert np.all(np.isfinite(clf.predict_proba(X)))
        # Put all mass on the wrong class for sample 0: loss = 1e4 / 3 exactly, no inf.
        clf.coef_ = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
        clf.intercept_ = np.zeros(3)
        loss, _ = clf.loss_and_gradients(X[:1], y[:1])
    assert loss == pytest.approx(1e4)


def test_adaline_with_too_large_lr_stops_with_a_convergence_warning():
    X, y = _blobs(n_classes=2, seed=1)
    with np.errstate(over="ignore", invalid="ignore"), pytest.warns(ConvergenceWarning, match="diverged"):
        clf = Adaline(lr=1.0, epochs=1000, random_state=0).fit(10 * X, y)
    assert clf.n_epochs_ < 1000
    assert not np.isfinite(clf.history_["loss"][-1])
    assert np.all(np.diff(clf.history_["loss"][:-1]) > 0)  # it exploded monotonically


@pytest.mark.parametrize("make", [lambda: Adaline(lr=10.0, epochs=50), lambda: SoftmaxRegression(lr=1e300, epochs=50)])
def test_the_divergence_warning_points_at_the_callers_fit(make):
    X, y = _blobs(n_classes=2, seed=1)
    with np.errstate(all="ignore"), pytest.warns(ConvergenceWarning, match="diverged") as record:
        make().fit(1e3 * X, y)
    assert {w.filename for w in record if issubclass(w.category, ConvergenceWarning)} == {__file__}


# ----------------------------------------------------------------------- reference solutions


def test_adaline_batch_converges_to_the_least_squares_solution():
    X, y = _blobs(n_classes=2, seed=2)
    X = (X - X.mean(axis=0)) / X.std(axis=0)  # standardised: gradient descent converges fast
    clf = Adaline(lr=0.1, epochs=200, random_state=0).fit(X, y)
    t = np.where(y == 1, 1.0, -1.0)
    solution, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), t, rcond=None)
    np.testing.assert_allclose(clf.coef_, solution[:2], atol=1e-8)
    assert clf.intercept_ == pytest.approx(solution[2], abs=1e-8)
    assert np.all(np.diff(clf.history_["loss"]) <= 1e-15)  # a small lr never increases the MSE


def test_adaline_sgd_reduces_the_loss_and_separates_blobs():
    X, y = _blobs(n_classes=2, seed=2)
    clf = Adaline(lr=0.005, epochs=20, solver="sgd", random_state=0).fit(X, y)
    assert clf.history_["loss"][-1] < 0.5 * clf.history_["loss"][0]
    assert clf.score(X, y) == 1.0


def test_l2_logistic_regression_matches_sklearn():
    sk_linear = pytest.importorskip("sklearn.linear_model")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X @ [1.0, -2.0, 0.5] + rng.normal(size=200) > 0).astype(int)
    alpha = 0.01
    ours = LogisticRegression(lr=1.0, epochs=2000, penalty="l2", alpha=alpha).fit(X, y)
    # sklearn minimises C * sum(log-loss) + ||w||^2 / 2: the same objective with C = 1 / (n alpha).
    ref = sk_linear.LogisticRegression(C=1 / (200 * alpha), tol=1e-12, max_iter=10_000).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_[0], atol=1e-6)
    assert ours.intercept_ == pytest.approx(ref.intercept_[0], abs=1e-6)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_l1_penalty_shrinks_irrelevant_weights_more_than_l2():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 6))
    y = (X[:, 0] - X[:, 1] > 0).astype(int)  # features 2..5 are noise
    kw = {"lr": 0.5, "epochs": 300, "alpha": 0.05}
    l1 = LogisticRegression(penalty="l1", **kw).fit(X, y)
    l2 = LogisticRegression(penalty="l2", **kw).fit(X, y)
    assert np.abs(l1.coef_[2:]).max() < 0.03  # subgradient steps hover near 0
    assert np.abs(l1.coef_[2:]).sum() < np.abs(l2.coef_[2:]).sum()
    assert l1.score(X, y) > 0.95


def test_mlp_regressor_fits_a_sine_with_r2_above_095():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, size=(200, 1))
    y = np.sin(X[:, 0])
    reg = MLPRegressor((32,), activation="tanh", lr=0.05, epochs=300, solver="minibatch", random_state=0)
    reg.fit(X, y)
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) > 0.95
    assert set(reg.history_) == {"loss"}
    # Two outputs: predict keeps the (n, 2) layout.
    Y = np.column_stack([np.sin(X[:, 0]), np.cos(X[:, 0])])
    reg2 = MLPRegressor((32,), activation="tanh", lr=0.05, epochs=300, solver="minibatch", random_state=0)
    assert reg2.fit(X, Y).predict(X).shape == (200, 2)
    assert reg2.score(X, Y) > 0.9


# ----------------------------------------------------------------------- early stopping


def test_early_stopping_stops_before_epochs_and_restores_the_best_weights():
    X, y = _noisy(40, seed=0)
    X_val, y_val = _noisy(200, seed=1)
    kw = {"hidden_layer_sizes": (100, 100), "lr": 0.1, "epochs": 1000, "random_state": 0}
    clf = MLPClassifier(early_stopping=True, patience=10, **kw).fit(X, y, validation_data=(X_val, y_val))
    val = clf.history_["val_loss"]
    assert clf.n_epochs_ < 1000
    assert clf.best_epoch_ == int(np.argmin(val)) + 1
    assert clf.n_epochs_ == clf.best_epoch_ + 10  # patience epochs without improvement
    # The weights in the model are the best epoch's, not the last epoch's.
    restored_loss, _ = clf.loss_and_gradients(X_val, y_val)
    assert restored_loss == pytest.approx(min(val), rel=1e-12)
    assert restored_loss < val[-1]
    assert len(clf.history_["val_accuracy"]) == clf.n_epochs_
    # Without early stopping the same network overfits: validation loss climbs far above its best.
    full = MLPClassifier(**{**kw, "epochs": 200}).fit(X, y, validation_data=(X_val, y_val))
    assert full.n_epochs_ == 200
    assert full.history_["val_loss"][-1] > 1.5 * min(full.history_["val_loss"])
    assert full.history_["loss"][-1] < 0.05 * full.history_["val_loss"][-1]


def test_early_stopping_with_an_internal_validation_split():
    X, y = _noisy(100, seed=2)
    clf = MLPClassifier(
        (100, 100), lr=0.1, epochs=1000, early_stopping=True, validation_fraction=0.3, random_state=0
    ).fit(X, y)
    assert clf.n_epochs_ < 1000
    assert len(clf.history_["val_loss"]) == len(clf.history_["loss"]) == clf.n_epochs_
    assert clf.history_["val_loss"][clf.best_epoch_ - 1] == min(clf.history_["val_loss"])


# ----------------------------------------------------------------------- solvers, seeds


@pytest.mark.parametrize("solver", ["batch", "minibatch", "sgd"])
def test_every_solver_reduces_the_loss(solver):
    X, y = _blobs(n_per_class=30, seed=4)
    # One step per epoch needs a larger lr than hundreds of small steps.
    lr, epochs = {"batch": (0.2, 100), "minibatch": (0.1, 40), "sgd": (0.05, 10)}[solver]
    clf = MLPClassifier((16,), solver=solver, batch_size=16, lr=lr, epochs=epochs, random_state=0)
    loss = clf.fit(X, y).history_["loss"]
    assert len(loss) == epochs
    # From near chance (log 3 = 1.10) to a small loss; sgd is already low after epoch 1.
    assert loss[-1] < loss[0]
    assert loss[-1] < 0.1
    assert clf.score(X, y) >= 0.97


@pytest.mark.parametrize("batch_size", [None, 8])
def test_linear_models_reduce_the_loss_full_batch_and_minibatch(batch_size):
    X, y = _blobs(n_per_class=30, seed=5)
    soft = SoftmaxRegression(lr=0.1, epochs=30, batch_size=batch_size, random_state=0).fit(X, y)
    assert soft.history_["loss"][-1] < 0.5 * np.log(3)
    logi = LogisticRegression(lr=0.1, epochs=30, batch_size=batch_size, random_state=0).fit(X, y == 0)
    assert logi.history_["loss"][-1] < 0.5 * np.log(2)


def test_same_random_state_gives_identical_weights_and_a_different_one_does_not():
    X, y = _blobs(n_per_class=20, seed=6)
    kw = {"solver": "minibatch", "batch_size": 8, "epochs": 5, "early_stopping": True}
    a = MLPClassifier((8, 8), random_state=42, **kw).fit(X, y)
    b = MLPClassifier((8, 8), random_state=42, **kw).fit(X, y)
    c = MLPClassifier((8, 8), random_state=43, **kw).fit(X, y)
    for Wa, Wb, Wc in zip(a.weights_, b.weights_, c.weights_, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
        assert not np.array_equal(Wa, Wc)
    assert a.history_ == b.history_
    for cls, kw in [
        (Perceptron, {}),
        (Adaline, {"solver": "sgd"}),
        (LogisticRegression, {"batch_size": 4}),
        (SoftmaxRegression, {"batch_size": 4}),
    ]:
        yy = y == 0 if cls in (Perceptron, Adaline, LogisticRegression) else y
        m1 = cls(random_state=7, **kw).fit(X, yy)
        m2 = cls(random_state=7, **kw).fit(X, yy)
        np.testing.assert_array_equal(m1.coef_, m2.coef_)


def test_global_numpy_random_state_is_untouched():
    state = np.random.get_state()[1].copy()
    X, y = _blobs(n_per_class=10, seed=7)
    MLPClassifier((4,), solver="sgd", epochs=2, early_stopping=True).fit(X, y)
    Perceptron().fit(X, y == 0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# ----------------------------------------------------------------------- vanishing gradients


def test_deep_sigmoid_net_vanishes_where_deep_relu_net_learns():
    datasets = pytest.importorskip("sklearn.datasets")
    data = datasets.load_digits()
    X, y = data.data[:500] / 16.0, data.target[:500]
    kw = {"hidden_layer_sizes": (32,) * 6, "lr": 0.05, "epochs": 30, "solver": "minibatch", "random_state": 0}
    sig = MLPClassifier(activation="sigmoid", **kw).fit(X, y)
    relu = MLPClassifier(activation="relu", **kw).fit(X, y)
    # Same data, same epochs: the sigmoid net is still near chance (log 10 = 2.30) ...
    assert sig.history_["loss"][-1] > 2.2
    assert relu.history_["loss"][-1] < 0.25 * sig.history_["loss"][-1]
    # ... because its gradient shrinks layer by layer towards the input (sigma' <= 1/4).
    _, sig_grads = sig.loss_and_gradients(X, y)
    norms = [np.linalg.norm(dW) for dW, _ in sig_grads]
    assert norms[0] < 0.01 * norms[-1]
    _, relu_grads = relu.loss_and_gradients(X, y)
    relu_norms = [np.linalg.norm(dW) for dW, _ in relu_grads]
    assert relu_norms[0] > 0.1 * relu_norms[-1]


# ----------------------------------------------------------------------- API surface


def test_history_and_fitted_attributes():
    X, y = _blobs(n_per_class=10, seed=8)
    clf = MLPClassifier((5,), epochs=7, random_state=0).fit(X, y)
    assert set(clf.history_) == {"loss", "accuracy"}
    assert all(len(v) == 7 for v in clf.history_.values())
    assert clf.n_epochs_ == 7 and clf.n_features_in_ == 2 and clf.output_ == "softmax"
    assert [b.shape for b in clf.biases_] == [(5,), (3,)]
    assert clf.weights_[0] is clf.layers_[0].W  # live arrays, not copies

    binary = MLPClassifier((5,), epochs=3, random_state=0).fit(X, y == 0)
    assert binary.output_ == "sigmoid" and binary.weights_[-1].shape == (5, 1)
    np.testing.assert_array_equal(binary.classes_, [False, True])

    logi = LogisticRegression(epochs=4).fit(X, y == 1)
    assert logi.coef_.shape == (2,) and isinstance(logi.intercept_, float)
    assert logi.decision_function(X).shape == (30,)
    soft = SoftmaxRegression(epochs=4).fit(X, y)
    assert soft.coef_.shape == (2, 3) and soft.intercept_.shape == (3,)
    assert soft.decision_function(X).shape == (30, 3)


def test_get_params_set_params_and_repr():
    clf = MLPClassifier((8,), activation="tanh", lr=0.5)
    assert repr(clf) == "MLPClassifier(hidden_layer_sizes=(8,), activation='tanh', lr=0.5)"
    params = clf.get_params()
    assert params["activation"] == "tanh" and params["epochs"] == 100
    assert clf.set_params(epochs=3) is clf and clf.epochs == 3
    assert repr(LogisticRegression()) == "LogisticRegression()"
    clone = type(clf)(**clf.get_params())
    assert clone.get_params() == clf.get_params()

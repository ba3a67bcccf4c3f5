"""Every misuse raises with a message that says what was expected and what came."""

import numpy as np
import pytest

from ember.classic import (
    Adaline,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    NotFittedError,
    Perceptron,
    SoftmaxRegression,
)

X4 = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y4 = np.array([0, 1, 1, 0])

LEARNERS = [
    Perceptron,
    Adaline,
    LogisticRegression,
    SoftmaxRegression,
    lambda: MLPClassifier((3,), epochs=2),
    lambda: MLPRegressor((3,), epochs=2),
]
IDS = ["perceptron", "adaline", "logistic", "softmax", "mlp_classifier", "mlp_regressor"]
CLASSIFIERS = LEARNERS[:5]


def _make(factory):
    return factory()


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
def test_1d_X_is_rejected_with_its_shape(factory):
    with pytest.raises(
        ValueError,
        match=r"expected a 2-D array X of shape \(n_samples, n_features\), got shape \(3,\)",
    ):
        _make(factory).fit(np.array([1.0, 2.0, 3.0]), [0, 1, 0])


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
def test_3d_X_is_rejected_with_its_shape(factory):
    with pytest.raises(ValueError, match=r"got shape \(2, 2, 1\)"):
        _make(factory).fit(np.zeros((2, 2, 1)), [0, 1])


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
def test_length_mismatch_names_both_lengths(factory):
    with pytest.raises(ValueError, match="X has 4 samples, y has 3"):
        _make(factory).fit(X4, [0, 1, 0])


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_in_X_is_rejected(factory, bad):
    X = X4.copy()
    X[2, 1] = bad
    with pytest.raises(ValueError, match="X contains NaN or infinity"):
        _make(factory).fit(X, Y4)


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
def test_non_numeric_X_is_rejected(factory):
    with pytest.raises(ValueError, match="X must be numeric"):
        _make(factory).fit([["a", "b"], ["c", "d"]], [0, 1])


@pytest.mark.parametrize("factory", CLASSIFIERS, ids=IDS[:5])
def test_a_single_class_is_rejected(factory):
    with pytest.raises(ValueError, match="needs samples of at least 2 classes, got only class 1"):
        _make(factory).fit(X4, [1, 1, 1, 1])


def test_single_class_message_shows_string_labels_quoted():
    with pytest.raises(ValueError, match="got only class 'cat'"):
        LogisticRegression().fit(X4, ["cat"] * 4)


@pytest.mark.parametrize("cls", [Perceptron, Adaline, LogisticRegression])
def test_binary_learners_reject_three_classes_and_point_to_softmax(cls):
    with pytest.raises(ValueError, match=r"binary classifier, but y has 3 classes \(0, 1, 2\).*SoftmaxRegression"):
        cls().fit(X4, [0, 1, 2, 0])


def test_nan_in_classification_labels_is_rejected():
    with pytest.raises(ValueError, match="y contains NaN"):
        SoftmaxRegression().fit(X4, [0.0, 1.0, np.nan, 1.0])


def test_2d_y_for_a_classifier_is_rejected_but_a_column_is_accepted():
    with pytest.raises(ValueError, match=r"expected y of shape \(n_samples,\), got shape \(4, 2\)"):
        LogisticRegression().fit(X4, np.zeros((4, 2)))
    clf = LogisticRegression(epochs=2).fit(X4, Y4[:, None])
    assert clf.predict(X4).shape == (4,)


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
def test_predict_with_a_different_number_of_features_names_both(factory):
    model = _make(factory).fit(X4, Y4)
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted with 2 features"):
        model.predict(np.zeros((2, 3)))


@pytest.mark.parametrize("factory", LEARNERS, ids=IDS)
def test_predict_before_fit_raises_not_fitted(factory):
    model = _make(factory)
    name = type(model).__name__
    with pytest.raises(NotFittedError, match=f"This {name} instance is not fitted yet; call fit"):
        model.predict(X4)
    assert issubclass(NotFittedError, RuntimeError)


@pytest.mark.parametrize(
    ("call", "cls"),
    [
        (lambda m: m.predict_proba(X4), LogisticRegression),
        (lambda m: m.decision_function(X4), SoftmaxRegression),
        (lambda m: m.score(X4, Y4), Perceptron),
        (lambda m: m.loss_and_gradients(X4, Y4), LogisticRegression),
        (lambda m: m.weights_, MLPClassifier),
        (lambda m: m.loss_and_gradients(X4, Y4), MLPRegressor),
    ],
)
def test_every_fitted_only_method_raises_not_fitted(call, cls):
    with pytest.raises(NotFittedError, match="not fitted yet"):
        call(cls())


def test_labels_unseen_during_fit_are_rejected_by_loss_and_gradients():
    clf = SoftmaxRegression(epochs=1).fit(X4, Y4)
    with pytest.raises(ValueError, match="y contains labels not seen during fit: 7; known classes are 0, 1"):
        clf.loss_and_gradients(X4, [0, 1, 7, 0])


def test_regressor_target_checks():
    with pytest.raises(ValueError, match="y must be numeric"):
        MLPRegressor(epochs=1).fit(X4, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="y contains NaN or infinity"):
        MLPRegressor(epochs=1).fit(X4, [0.0, np.inf, 1.0, 2.0])
    reg = MLPRegressor((3,), epochs=1).fit(X4, np.zeros((4, 2)))
    with pytest.raises(ValueError, match="y has 1 outputs, but the model was fitted with 2"):
        reg.loss_and_gradients(X4, np.zeros(4))


# ----------------------------------------------------------------------- hyper-parameters


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda: MLPClassifier(activation="softplus"),
            "unknown activation 'softplus'; valid values are 'relu', 'sigmoid', 'tanh'",
        ),
        (lambda: MLPRegressor(activation="gelu"), "valid values are 'relu', 'sigmoid', 'tanh'"),
        (lambda: MLPClassifier(solver="adam"), "unknown solver 'adam'; valid values are 'batch', 'minibatch', 'sgd'"),
        (lambda: MLPClassifier(loss="hinge"), "unknown loss 'hinge'; valid values are 'cross_entropy', 'mse'"),
        (lambda: MLPClassifier(output="tanh"), "unknown output 'tanh'; valid values are None, 'softmax', 'sigmoid'"),
        (
            lambda: MLPClassifier(hidden_layer_sizes=(4, 0)),
            r"hidden_layer_sizes must be a tuple of positive ints.*\(4, 0\)",
        ),
        (lambda: MLPClassifier(hidden_layer_sizes="64"), "hidden_layer_sizes must be a tuple of positive ints"),
        (lambda: MLPClassifier(lr=0), "lr must be a number > 0, got 0"),
        (lambda: MLPClassifier(lr=float("nan")), "lr must be a number > 0, got nan"),
        (lambda: MLPClassifier(epochs=2.5), "epochs must be an int >= 1, got 2.5"),
        (lambda: MLPClassifier(epochs=True), "epochs must be an int >= 1, got True"),
        (lambda: MLPClassifier(batch_size=0), "batch_size must be an int >= 1, got 0"),
        (lambda: MLPClassifier(alpha=-1.0), "alpha must be a number >= 0, got -1.0"),
        (lambda: MLPClassifier(validation_fraction=1.0), r"validation_fraction must be a number in \(0, 1\), got 1.0"),
        (lambda: MLPClassifier(patience=0), "patience must be an int >= 1, got 0"),
        (lambda: MLPClassifier(early_stopping="yes"), "unknown early_stopping 'yes'; valid values are False, True"),
        (
            lambda: MLPClassifier(random_state=-1),
            "random_state must be None, a non-negative int or a numpy.random.Generator, got -1",
        ),
        (lambda: Perceptron(max_epochs=0), "Perceptron: max_epochs must be an int >= 1, got 0"),
        (lambda: Adaline(solver="lbfgs"), "Adaline: unknown solver 'lbfgs'; valid values are 'batch', 'sgd'"),
        (
            lambda: LogisticRegression(penalty="elasticnet"),
            "unknown penalty 'elasticnet'; valid values are None, 'l1', 'l2'",
        ),
        (lambda: LogisticRegression(batch_size=-4), "batch_size must be an int >= 1 or None, got -4"),
        (lambda: SoftmaxRegression(alpha=-0.1), "SoftmaxRegression: alpha must be a number >= 0, got -0.1"),
    ],
)
def test_bad_hyper_parameters_are_rejected_at_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_hyper_parameters_set_later_are_rejected_by_fit_and_set_params():
    clf = MLPClassifier((3,))
    clf.activation = "swish"
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        clf.fit(X4, Y4)
    with pytest.raises(ValueError, match="lr must be a number > 0"):
        LogisticRegression().set_params(lr=-1)
    with pytest.raises(ValueError, match="unknown parameter 'learning_rate'; valid parameters are lr, epochs"):
        LogisticRegression().set_params(learning_rate=0.1)


def test_sigmoid_output_with_three_classes_is_rejected():
    with pytest.raises(ValueError, match="output='sigmoid' needs binary targets, but y has 3 classes"):
        MLPClassifier((3,), output="sigmoid").fit(X4, [0, 1, 2, 0])


def test_bad_validation_data_is_rejected():
    clf = MLPClassifier((3,), epochs=2)
    with pytest.raises(ValueError, match=r"validation_data must be a pair \(X_val, y_val\)"):
        clf.fit(X4, Y4, validation_data=X4)
    with pytest.raises(ValueError, match="X_val has 3 features, but X has 2"):
        clf.fit(X4, Y4, validation_data=(np.zeros((2, 3)), [0, 1]))
    with pytest.raises(ValueError, match="early_stopping needs at least 2 samples"):
        MLPRegressor((3,), early_stopping=True).fit(X4[:1], [0.0])

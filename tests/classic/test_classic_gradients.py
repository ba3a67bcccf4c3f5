"""The hand-derived gradients agree with PyTorch autograd (float64, 1e-10).

For each learner: fit briefly (so the parameters are generic), rebuild the same model in
torch with the same parameters, compute the same mean loss, call backward, compare with
``loss_and_gradients``.
"""

import numpy as np
import pytest

from ember.classic import (
    Adaline,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    SoftmaxRegression,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = {"rtol": 1e-10, "atol": 1e-10}


def _t(a, grad=True):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def _data(n=40, d=5, n_classes=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    return X, y


def _check(loss, grads, torch_loss, torch_params):
    torch_loss.backward()
    np.testing.assert_allclose(loss, torch_loss.item(), **TOL)
    for mine, p in zip(grads, torch_params, strict=True):
        np.testing.assert_allclose(mine, p.grad.numpy(), **TOL)


@pytest.mark.parametrize("penalty", [None, "l1", "l2"])
def test_logistic_regression_gradient_matches_torch(penalty):
    X, y = _data(n_classes=2)
    model = LogisticRegression(lr=0.5, epochs=3, penalty=penalty, alpha=0.05).fit(X, y)
    model.coef_[1] = 0.0  # sign(0) = 0 must match torch's subgradient of |w| at 0
    loss, grads = model.loss_and_gradients(X, y)

    w, b = _t(model.coef_), _t(model.intercept_)
    z = _t(X, False) @ w + b
    t_loss = F.binary_cross_entropy_with_logits(z, _t(y, False))
    if penalty == "l2":
        t_loss = t_loss + 0.5 * 0.05 * (w * w).sum()
    elif penalty == "l1":
        t_loss = t_loss + 0.05 * w.abs().sum()
    _check(loss, [grads["coef"], grads["intercept"]], t_loss, [w, b])


@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_softmax_regression_gradient_matches_torch(alpha):
    X, y = _data(n_classes=4)
    model = SoftmaxRegression(lr=0.5, epochs=3, alpha=alpha).fit(X, y)
    loss, grads = model.loss_and_gradients(X, y)
    assert grads["coef"].shape == (5, 4)

    W, b = _t(model.coef_), _t(model.intercept_)
    t_loss = F.cross_entropy(_t(X, False) @ W + b, torch.tensor(y))
    t_loss = t_loss + 0.5 * alpha * (W * W).sum()
    _check(loss, [grads["coef"], grads["intercept"]], t_loss, [W, b])


def test_adaline_gradient_matches_torch():
    X, y = _data(n_classes=2)
    model = Adaline(lr=0.01, epochs=3, random_state=0).fit(X, y)
    loss, grads = model.loss_and_gradients(X, y)
    w, b = _t(model.coef_), _t(model.intercept_)
    target = _t(np.where(y == 1, 1.0, -1.0), False)
    t_loss = F.mse_loss(_t(X, False) @ w + b, target)
    _check(loss, [grads["coef"], grads["intercept"]], t_loss, [w, b])


ACT = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}


def _torch_mlp(model, X):
    """The same network in torch: returns the logits and the parameters (W1, b1, W2, b2, ...)."""
    params = []
    for W, b in zip(model.weights_, model.biases_, strict=True):
        params += [_t(W), _t(b)]
    a = _t(X, False)
    for i in range(0, len(params), 2):
        a = a @ params[i] + params[i + 1]
        if i < len(params) - 2:
            a = ACT[model.activation](a)
    return a, params


def _penalty(params, alpha):
    return 0.5 * alpha * sum((W * W).sum() for W in params[::2])


def _flat(grads):
    return [g for pair in grads for g in pair]


# (output, loss, number of classes)
CLASSIFIER_CASES = [
    ("softmax", "cross_entropy", 3),
    ("sigmoid", "cross_entropy", 2),
    ("softmax", "mse", 3),
    ("sigmoid", "mse", 2),
    ("softmax", "cross_entropy", 2),
]


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize(("output", "loss_name", "n_classes"), CLASSIFIER_CASES)
def test_mlp_classifier_gradient_matches_torch(activation, output, loss_name, n_classes):
    X, y = _data(n_classes=n_classes)
    alpha = 0.01
    model = MLPClassifier(
        (6, 4),
        activation=activation,
        output=output,
        loss=loss_name,
        alpha=alpha,
        lr=0.1,
        epochs=3,
        random_state=0,
    ).fit(X, y)
    loss, grads = model.loss_and_gradients(X, y)
    assert [g[0].shape for g in grads] == [W.shape for W in model.weights_]

    z, params = _torch_mlp(model, X)
    if output == "softmax":
        T = F.one_hot(torch.tensor(y), n_classes).double()
        prob = torch.softmax(z, dim=1)
        if loss_name == "cross_entropy":
            data_loss = F.cross_entropy(z, torch.tensor(y))
    else:
        T = _t(y, False)[:, None]
        prob = torch.sigmoid(z)
        if loss_name == "cross_entropy":
            data_loss = F.binary_cross_entropy_with_logits(z, T)
    if loss_name == "mse":
        data_loss = ((prob - T) ** 2).sum(dim=1).mean()
    _check(loss, _flat(grads), data_loss + _penalty(params, alpha), params)


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_mlp_regressor_gradient_matches_torch(activation, n_outputs):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    Y = rng.normal(size=(30, n_outputs))
    y = Y[:, 0] if n_outputs == 1 else Y
    alpha = 0.02
    model = MLPRegressor((5, 3), activation=activation, alpha=alpha, epochs=3, random_state=0)
    loss, grads = model.fit(X, y).loss_and_gradients(X, y)

    z, params = _torch_mlp(model, X)
    data_loss = ((z - _t(Y, False)) ** 2).sum(dim=1).mean()
    _check(loss, _flat(grads), data_loss + _penalty(params, alpha), params)


def test_mlp_without_hidden_layers_is_softmax_regression():
    """hidden_layer_sizes=() is a linear model: same loss and gradient as SoftmaxRegression."""
    X, y = _data(n_classes=3)
    mlp = MLPClassifier((), epochs=1, random_state=0).fit(X, y)
    soft = SoftmaxRegression(epochs=1).fit(X, y)
    soft.coef_ = mlp.weights_[0].copy()
    soft.intercept_ = mlp.biases_[0].copy()
    loss_m, [(dW, db)] = mlp.loss_and_gradients(X, y)
    loss_s, grads = soft.loss_and_gradients(X, y)
    np.testing.assert_allclose(loss_m, loss_s, **TOL)
    np.testing.assert_allclose(dW, grads["coef"], **TOL)
    np.testing.assert_allclose(db, grads["intercept"], **TOL)

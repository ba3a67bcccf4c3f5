"""ember.nn.functional as a namespace: PyTorch's names and signatures are there, aliases work,
and the functional forms agree with the modules."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_against_torch, make_inputs

torch = pytest.importorskip("torch")
TF = torch.nn.functional

PART1_NAMES = """
relu relu_ relu6 leaky_relu leaky_relu_ prelu rrelu rrelu_ elu elu_ selu selu_ celu celu_ gelu silu mish
sigmoid tanh hardtanh hardtanh_ hardsigmoid hardswish softplus softsign tanhshrink threshold threshold_
softmax log_softmax softmin logsigmoid glu hardshrink softshrink gumbel_softmax
dropout dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout embedding embedding_bag linear bilinear
""".split()


@pytest.mark.parametrize("name", PART1_NAMES)
def test_functional_name_exists_with_torch_parameter_names(name):
    assert hasattr(F, name), name
    ours = inspect.signature(getattr(F, name)).parameters
    try:
        theirs = inspect.signature(getattr(TF, name)).parameters
    except ValueError:
        pytest.skip(f"torch's {name} is a builtin without a signature")
    # every positional-or-keyword parameter of torch's, in the same order
    want = [p for p, v in theirs.items() if v.kind in (v.POSITIONAL_OR_KEYWORD, v.POSITIONAL_ONLY)]
    got = [p for p, v in ours.items() if v.kind in (v.POSITIONAL_OR_KEYWORD, v.POSITIONAL_ONLY)]
    assert got[: len(want)] == want


def test_linear_is_the_fused_op_and_matches_torch_with_1d_weight_and_bias_broadcast():
    x, w, b = make_inputs([(4, 3), (2, 3), (2,)])
    out = F.linear(ember.tensor(x, requires_grad=True), ember.tensor(w, requires_grad=True), ember.tensor(b, requires_grad=True))
    assert out.grad_fn.name() == "AddmmBackward0"
    check_against_torch(F.linear, TF.linear, [x, w, b], rtol=1e-12, atol=1e-12)
    check_against_torch(F.linear, TF.linear, [x, w[0]], rtol=1e-12, atol=1e-12)


def test_functional_and_module_forms_agree():
    x = ember.randn(3, 5)
    pairs = [
        (nn.ReLU(), F.relu),
        (nn.GELU("tanh"), lambda t: F.gelu(t, approximate="tanh")),
        (nn.Softmax(1), lambda t: F.softmax(t, 1)),
        (nn.LeakyReLU(0.3), lambda t: F.leaky_relu(t, 0.3)),
        (nn.Hardtanh(-2, 2), lambda t: F.hardtanh(t, -2, 2)),
        (nn.Flatten(0), lambda t: ember.flatten(t)),
    ]
    for module, fn in pairs:
        np.testing.assert_array_equal(module(x).numpy(), fn(x).numpy())


def test_functional_sigmoid_tanh_aliases_and_tensor_methods():
    x = ember.tensor([-1.0, 0.0, 2.0])
    np.testing.assert_allclose(F.sigmoid(x).numpy(), torch.sigmoid(torch.tensor([-1.0, 0.0, 2.0])).numpy(), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(x).numpy(), np.tanh([-1.0, 0.0, 2.0]), rtol=1e-6)
    y = ember.tensor([-1.0, 3.0])
    F.relu_(y)
    np.testing.assert_array_equal(y.numpy(), [0.0, 3.0])


def test_gumbel_softmax_soft_and_hard():
    ember.manual_seed(0)
    logits = ember.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1.0, rtol=1e-5)
    hard = F.gumbel_softmax(logits, tau=1.0, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and np.all(h.sum(1) == 1)
    np.testing.assert_allclose(h.mean(0), [0.7, 0.2, 0.1], atol=0.03)  # Gumbel-max samples the categorical
    (hard * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert logits.grad is not None and np.abs(logits.grad.numpy()).sum() > 0


def test_nn_namespace_exports_torch_names():
    for name in [
        "Module", "Parameter", "Buffer", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
        "Linear", "Bilinear", "LazyLinear", "Identity", "Flatten", "Unflatten", "Embedding", "EmbeddingBag",
        "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
        "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish", "Sigmoid", "Tanh",
        "Hardtanh", "Hardsigmoid", "Hardswish", "Softplus", "Softsign", "Tanhshrink", "Threshold", "Softmax",
        "LogSoftmax", "Softmin", "LogSigmoid", "Softmax2d", "GLU", "Hardshrink", "Softshrink",
    ]:
        assert hasattr(nn, name), name
    assert nn.functional is F and nn.init is not None and nn.utils.clip_grad_norm_ is not None
    import ember.nn.modules.module as module_mod

    assert nn.Module is module_mod.Module

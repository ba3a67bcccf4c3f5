"""grad_fn names of Ops that share a base class: a node name is a class's own (FunctionMeta reads the class
namespace), so each subclass must still carry torch's name, not one derived from ember's class name."""

from __future__ import annotations

import pytest

import ember
import ember.nn.functional as F


def _x(*shape):
    return ember.randn(*shape, requires_grad=True)


def _layer_node(module, x):
    """The recurrent layer's node: the first non-leaf node below the module's output."""
    node = module(x)[0].grad_fn
    while type(node).__name__ != "MkldnnRnnLayerBackward0" and node.next_functions:
        node = next(n for n, _ in node.next_functions if n is not None)
    return node


CASES = [
    ("conv2d", lambda: F.conv2d(_x(2, 3, 9, 9), _x(4, 3, 3, 3)).grad_fn, "ConvolutionBackward0"),
    ("conv2d-many-channels", lambda: F.conv2d(_x(1, 64, 6, 6), _x(8, 64, 3, 3)).grad_fn, "ConvolutionBackward0"),
    ("conv3d", lambda: F.conv3d(_x(1, 2, 5, 5, 5), _x(3, 2, 3, 3, 3)).grad_fn, "ConvolutionBackward0"),
    ("conv_transpose2d", lambda: F.conv_transpose2d(_x(2, 3, 5, 5), _x(3, 4, 3, 3)).grad_fn, "ConvolutionBackward0"),
    ("conv_transpose3d", lambda: F.conv_transpose3d(_x(1, 2, 4, 4, 4), _x(2, 3, 3, 3, 3)).grad_fn,
     "ConvolutionBackward0"),
    ("lstm", lambda: _layer_node(ember.nn.LSTM(3, 4), _x(5, 2, 3)), "MkldnnRnnLayerBackward0"),
    ("lstm_proj", lambda: _layer_node(ember.nn.LSTM(3, 4, proj_size=2), _x(5, 2, 3)), "MkldnnRnnLayerBackward0"),
    ("gru", lambda: _layer_node(ember.nn.GRU(3, 4), _x(5, 2, 3)), "MkldnnRnnLayerBackward0"),
    ("rnn", lambda: _layer_node(ember.nn.RNN(3, 4), _x(5, 2, 3)), "MkldnnRnnLayerBackward0"),
    ("hardtanh", lambda: F.hardtanh(_x(4)).grad_fn, "HardtanhBackward0"),
    ("threshold", lambda: F.threshold(_x(4), 0.1, 2.0).grad_fn, "ThresholdBackward0"),
    ("hardshrink", lambda: F.hardshrink(_x(4)).grad_fn, "HardshrinkBackward0"),
    ("softshrink", lambda: F.softshrink(_x(4)).grad_fn, "SoftshrinkBackward0"),
    ("batch_norm", lambda: F.batch_norm(_x(4, 3), None, None, training=True).grad_fn, "NativeBatchNormBackward0"),
    ("layer_norm", lambda: F.layer_norm(_x(4, 3), (3,)).grad_fn, "NativeLayerNormBackward0"),
    ("group_norm", lambda: F.group_norm(_x(4, 4), 2).grad_fn, "NativeGroupNormBackward0"),
]


@pytest.mark.parametrize("make, name", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_grad_fn_keeps_torchs_node_name(make, name):
    assert type(make()).__name__ == name

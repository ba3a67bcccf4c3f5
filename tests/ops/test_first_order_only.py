"""Ops whose backward is written on arrays only refuse create_graph the same way (``first_order_only`` in
``_ops/_common.py``): NotImplementedError (a RuntimeError) naming the op, raised when the first backward is asked
to build a graph, while the same backward without create_graph works."""

from __future__ import annotations

import pytest

import ember
import ember.nn.functional as F


def _x(*shape):
    ember.manual_seed(0)
    return ember.rand(*shape, dtype=ember.float64, requires_grad=True) + 0.5


CASES = [
    ("cdist", lambda x: ember.cdist(x, x.detach() * 2)),
    ("index_reduce", lambda x: x.index_reduce(0, ember.tensor([0, 1, 0]), x.detach()[:3] * 2, "prod")),
    ("i0", lambda x: ember.special.i0(x)),
    ("logcumsumexp", lambda x: ember.logcumsumexp(x, 0)),
    ("linalg.vector_norm", lambda x: ember.linalg.vector_norm(x, 3)),
    ("adaptive_max_pool", lambda x: F.adaptive_max_pool2d(x.reshape(1, 1, 4, 3), (3, 2))),
    ("fractional_max_pool", lambda x: F.fractional_max_pool2d(x.reshape(1, 1, 4, 3), 2, output_size=(2, 2))),
    ("grid_sample", lambda x: F.grid_sample(x.reshape(1, 1, 4, 3), ember.zeros(1, 2, 2, 2, dtype=ember.float64),
                                            align_corners=False)),
    ("GRU", lambda x: ember.nn.GRU(3, 2).double()(x)[0]),
]


@pytest.mark.parametrize("name, fn", CASES, ids=[c[0] for c in CASES])
def test_first_order_only_ops_refuse_create_graph_naming_the_op(name, fn):
    x = _x(4, 3)
    (g,) = ember.autograd.grad(fn(x).sum(), x)  # first order works
    assert tuple(g.shape) == (4, 3)
    with pytest.raises(NotImplementedError, match=rf"^{name}: double backward \(create_graph=True\) is not implemented"):
        ember.autograd.grad(fn(x).sum(), x, create_graph=True)


def test_first_order_only_error_is_a_runtime_error():
    assert issubclass(NotImplementedError, RuntimeError)

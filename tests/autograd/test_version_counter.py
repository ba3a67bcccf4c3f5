"""In-place changes and autograd: forbidden on leaves, detected on saved tensors, shared by views.

The rule: modifying a tensor that backward needs makes backward raise; it never
produces a wrong gradient.
"""

import numpy as np
import pytest

import ember

MODIFIED = "modified by an inplace operation"


def leaf(values):
    return ember.tensor(values, requires_grad=True)


def test_in_place_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    w = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1


def test_in_place_on_a_saved_input_makes_backward_raise_with_versions():
    a = leaf([1.0, 2.0])
    b = a * 1
    y = b * b
    b.add_(1)
    with pytest.raises(RuntimeError, match=rf"{MODIFIED}: \[torch.FloatTensor \[2\]\] is at version 1; expected version 0"):
        y.sum().backward()


def test_in_place_on_a_saved_output_makes_backward_raise():
    a = leaf([1.0, 2.0])
    y = a.exp()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_in_place_on_a_tensor_not_saved_is_fine_and_gradients_are_right():
    a = leaf([1.0, 2.0])
    b = a * 1
    c = b.exp()  # exp saves its output, not b
    b.add_(1)
    c.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


def test_in_place_through_a_view_bumps_the_shared_counter():
    a = leaf([1.0, 2.0, 3.0])
    b = a * 1
    y = b * b
    v = b[0:2]
    assert v._version is b._version
    v.mul_(2)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


def test_in_place_on_the_base_invalidates_a_saved_view():
    a = leaf([1.0, 2.0, 3.0])
    b = a * 1
    v = b.view(3)
    y = v * v
    b.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.sum().backward()


@pytest.mark.parametrize("make_view", [lambda t: t[1:], lambda t: t.view(3), lambda t: t.reshape(3), lambda t: t.unsqueeze(0), lambda t: t.detach()])
def test_views_and_detach_share_the_version_counter(make_view):
    b = leaf([1.0, 2.0, 3.0]) * 1
    v = make_view(b)
    before = b._version[0]
    with ember.no_grad():
        v.add_(1)
    assert b._version[0] == before + 1


def test_data_has_its_own_version_counter_like_pytorch():
    b = leaf([1.0, 2.0]) * 1
    d = b.data
    d.add_(1)
    assert b._version[0] == 0
    assert b.tolist() == [2.0, 3.0]


def test_in_place_ops_bump_the_version():
    t = ember.ones(3)
    versions = [t._version[0]]
    for op in (lambda: t.add_(1), lambda: t.mul_(2), lambda: t.zero_(), lambda: t.fill_(3.0), lambda: t.__setitem__(0, 5.0)):
        op()
        versions.append(t._version[0])
    assert versions == sorted(set(versions))


def test_retained_graph_still_checks_versions_on_the_second_backward():
    a = leaf([1.0, 2.0])
    b = a * 1
    y = (b * b).sum()
    y.backward(retain_graph=True)
    b.add_(1)
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_in_place_on_a_non_leaf_rebases_its_history_and_gradients_are_right():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a * 2
        b.mul_(a)
        b[0] = 10.0
        (b * b).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_in_place_on_a_view_of_a_non_leaf_updates_the_base_gradient():
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (ember, torch):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a * 1
        b[1:].mul_(a[1:])
        (b * lib.tensor([1.0, 10.0, 100.0])).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_in_place_view_ops_rebase_history_so_gradients_keep_their_shape():
    w = leaf(np.ones((2, 3)))
    y = w * ember.arange(6.0).reshape(2, 3)
    y.t_()
    assert y.shape == (3, 2)
    (y * ember.arange(6.0).reshape(3, 2)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[0.0, 2.0, 8.0], [3.0, 12.0, 25.0]])
    u = leaf([1.0, 2.0]) * 1
    u.unsqueeze_(0)
    assert u.shape == (1, 2)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf([1.0]).unsqueeze_(0)

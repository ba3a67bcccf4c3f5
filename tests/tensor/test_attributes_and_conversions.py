"""Tensor attributes, Python protocols, conversions and the PyTorch compatibility surface."""

import copy
import pickle

import numpy as np
import pytest

import ember


def test_shape_is_an_ember_size_and_size_takes_a_dim():
    x = ember.zeros(2, 3, 4)
    assert isinstance(x.shape, ember.Size) and isinstance(x.shape, tuple)
    assert x.shape == (2, 3, 4) and x.size() == ember.Size([2, 3, 4])
    assert x.size(1) == 3 and x.size(-1) == 4 and x.size(dim=0) == 2
    assert repr(x.shape) == "ember.Size([2, 3, 4])"
    assert isinstance(x.shape[1:], ember.Size) and x.shape[1:] == (3, 4)
    assert x.shape.numel() == 24
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-3, 2\], but got 3\)"):
        x.size(3)


def test_dim_ndim_numel_and_friends():
    x = ember.zeros(2, 3)
    assert x.dim() == x.ndim == x.ndimension() == 2
    assert x.numel() == x.nelement() == ember.numel(x) == 6
    assert x.element_size() == x.itemsize == 4 and x.nbytes == 24
    assert ember.tensor(1.0).dim() == 0 and ember.tensor(1.0).numel() == 1


def test_transposes():
    x = ember.arange(6.0).reshape(2, 3)
    assert x.T.shape == (3, 2) and x.T.tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert ember.zeros(2, 3, 4).T.shape == (4, 3, 2)
    assert ember.zeros(5, 2, 3).mT.shape == (5, 3, 2)
    with pytest.raises(RuntimeError, match="mT is only supported on matrices"):
        _ = ember.zeros(3).mT


def test_item_tolist_and_python_numbers():
    assert ember.tensor(2.5).item() == 2.5 and isinstance(ember.tensor(3).item(), int)
    assert isinstance(ember.tensor(True).item(), bool)
    assert ember.tensor([[7.0]]).item() == 7.0
    assert ember.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert ember.tensor(5).tolist() == 5
    with pytest.raises(RuntimeError, match="a Tensor with 2 elements cannot be converted to Scalar"):
        ember.ones(2).item()


def test_numpy_shares_memory_and_refuses_while_requiring_grad():
    x = ember.zeros(3)
    x.numpy()[0] = 4.0
    assert x[0].item() == 4.0
    w = ember.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad. Use tensor.detach\(\).numpy\(\) instead."):
        w.numpy()
    assert w.detach().numpy().tolist() == [1.0, 1.0]


def test_dunder_conversions_match_pytorch():
    assert float(ember.tensor([2.5])) == 2.5 and int(ember.tensor(3.9)) == 3
    assert bool(ember.tensor([1])) and not bool(ember.tensor(0.0))
    assert [10, 20, 30][ember.tensor(1)] == 20
    assert ember.tensor(2).__index__() == 2
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(ember.ones(2))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is ambiguous"):
        bool(ember.tensor([]))
    with pytest.raises(ValueError, match="only one element tensors can be converted to Python scalars"):
        float(ember.ones(2))
    with pytest.raises(TypeError, match="only integer tensors of a single element can be converted to an index"):
        [1, 2][ember.tensor(1.0)]


def test_len_and_iteration_go_over_the_first_dim():
    x = ember.arange(6).reshape(3, 2)
    assert len(x) == 3
    rows = list(x)
    assert len(rows) == 3 and rows[2].tolist() == [4, 5]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(ember.tensor(1.0))
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(ember.tensor(1.0))


def test_iterating_a_tensor_that_requires_grad_keeps_the_graph():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    sum(t * t for t in w).backward()
    assert w.grad.tolist() == [2.0, 4.0]


def test_format_spec_formats_the_value():
    assert f"{ember.tensor(1.23456):.3f}" == "1.235"
    assert f"{ember.tensor([0.5]):.2f}" == "0.50"
    assert f"{ember.tensor(7):d}" == "7"
    assert f"{ember.tensor([1.0, 2.0])}" == "tensor([1., 2.])"
    loss = (ember.tensor([1.0, 2.0], requires_grad=True) ** 2).mean()
    assert f"loss {loss:.3f}" == "loss 2.500"


def test_numpy_array_protocol():
    x = ember.tensor([1.0, 2.0])
    assert np.asarray(x).dtype == np.float32
    assert np.array(x, dtype=np.float64).dtype == np.float64
    assert np.mean(x) == 1.5


def test_device_attributes_and_cuda_stubs():
    x = ember.zeros(2)
    assert x.device == ember.device("cpu") and str(x.device) == "cpu" and x.device.type == "cpu"
    assert repr(ember.device("cpu")) == "device(type='cpu')"
    assert not x.is_cuda and x.cpu() is x
    assert ember.cuda.is_available() is False and ember.cuda.device_count() == 0
    for move in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to("cuda:0"), lambda: x.to(ember.device("cuda")), lambda: x.type("torch.cuda.FloatTensor")):
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):  # as PyTorch's CPU build
            move()
    with pytest.raises(RuntimeError, match="Expected one of cpu"):
        x.to("gpu")


def test_type_strings_and_legacy_types():
    assert ember.zeros(1).type() == "torch.FloatTensor"
    assert ember.zeros(1, dtype=ember.int64).type() == "torch.LongTensor"
    assert ember.zeros(1, dtype=ember.bool).type() == "torch.BoolTensor"
    assert ember.zeros(1, dtype=ember.uint8).type() == "torch.ByteTensor"
    assert ember.zeros(1).type(ember.DoubleTensor).dtype is ember.float64
    assert ember.zeros(1).type("torch.LongTensor").dtype is ember.int64
    assert ember.zeros(1).type(ember.int32).dtype is ember.int32
    assert isinstance(ember.zeros(1), ember.FloatTensor) and not isinstance(ember.zeros(1), ember.LongTensor)
    assert isinstance(ember.zeros(1, dtype=ember.uint8), ember.ByteTensor)
    assert isinstance(ember.zeros(1, dtype=ember.bool), ember.BoolTensor)
    assert isinstance(ember.zeros(1), ember.Tensor)


def test_type_as_and_is_tensor():
    assert ember.ones(2).type_as(ember.ones(1, dtype=ember.int64)).dtype is ember.int64
    assert ember.is_tensor(ember.ones(1)) and not ember.is_tensor(np.ones(1)) and not ember.is_tensor(1.0)


def test_resize_in_place():
    x = ember.arange(6.0)
    assert x.resize_(2, 3) is x and x.shape == (2, 3)
    x.resize_(2)
    assert x.tolist() == [0.0, 1.0]
    with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
        ember.ones(2, requires_grad=True).resize_(3)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.sum(axis=0),
        lambda x: x.mean(axis=1, keepdims=True),
        lambda x: x.max(axis=1)[0],
        lambda x: x.argmax(axis=1),
        lambda x: x.cumsum(axis=1),
        lambda x: x.std(axis=0),
        lambda x: x.squeeze(axis=0),
        lambda x: x.unsqueeze(axis=0),
        lambda x: x.amax(axis=1, keepdims=True),
    ],
)
def test_methods_accept_axis_for_dim_like_pytorch(call):
    torch = pytest.importorskip("torch")
    data = np.arange(6.0).reshape(2, 3)
    e, t = call(ember.tensor(data)), call(torch.tensor(data))
    np.testing.assert_allclose(e.numpy(), t.numpy())


def test_data_is_detached_and_assignable():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    d = w.data
    assert not d.requires_grad and np.shares_memory(d.numpy(), w.detach().numpy())
    w.data = ember.zeros(2)
    assert w.tolist() == [0.0, 0.0] and w.requires_grad


def test_contiguity_and_strides():
    x = ember.zeros(2, 3)
    assert x.is_contiguous() and x.stride() == (3, 1) and x.stride(0) == 3
    assert not x.t().is_contiguous() and x.t().contiguous().is_contiguous()


def test_copy_deepcopy_and_pickle_round_trip():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    (w * 2).sum().backward()
    c = copy.deepcopy(w)
    assert c is not w and c.requires_grad and c.tolist() == [1.0, 2.0] and c.grad.tolist() == [2.0, 2.0]
    assert not np.shares_memory(c.detach().numpy(), w.detach().numpy())
    p = pickle.loads(pickle.dumps(w))
    assert p.requires_grad and p.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="Only Tensors created explicitly by the user"):
        copy.deepcopy(w * 2)


def test_hash_is_identity_so_tensors_work_as_dict_keys():
    a, b = ember.ones(1), ember.ones(1)
    assert len({a: 1, b: 2}) == 2


def test_comparison_with_none_or_objects_does_not_raise():
    x = ember.ones(2)
    assert (x == None) is False  # noqa: E711
    assert (x != "a") is True

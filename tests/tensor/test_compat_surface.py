"""Top-level names PyTorch code reaches for: finfo/iinfo, asarray, scalar_tensor, devices,
inference-mode queries, legacy autograd names."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    e, t = ember.finfo(getattr(ember, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(e, field) == getattr(t, field), field
    assert repr(e) == repr(t)


def test_finfo_defaults_to_the_default_dtype_and_refuses_integers():
    assert ember.finfo().eps == torch.finfo().eps
    with pytest.raises(TypeError, match="requires a floating point input type"):
        ember.finfo(ember.int32)


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    e, t = ember.iinfo(getattr(ember, name)), torch.iinfo(getattr(torch, name))
    assert (e.bits, e.min, e.max) == (t.bits, t.min, t.max)
    assert repr(e) == repr(t)
    with pytest.raises(TypeError, match="requires an integer input type"):
        ember.iinfo(ember.float32)


def test_scalar_tensor_is_a_default_float_0d_tensor():
    assert repr(ember.scalar_tensor(3)) == repr(torch.scalar_tensor(3))
    assert ember.scalar_tensor(3, dtype=ember.int64).dtype is ember.int64


def test_asarray_shares_memory_unless_asked_to_copy():
    a = np.ones(2)
    assert np.shares_memory(ember.asarray(a).numpy(), a)
    assert not np.shares_memory(ember.asarray(a, copy=True).numpy(), a)
    assert ember.asarray([1, 2]).dtype is ember.int64
    with pytest.raises(ValueError, match="copy=False"):
        ember.asarray(a, dtype=ember.float32, copy=False)
    assert ember.asarray([1.0], requires_grad=True).requires_grad


def test_default_device_is_the_cpu():
    assert ember.get_default_device() == ember.device("cpu")
    ember.set_default_device("cpu")
    ember.set_default_device(None)
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.set_default_device("cuda")


def test_is_inference_mode_enabled_tracks_inference_mode_only():
    assert not ember.is_inference_mode_enabled()
    with ember.inference_mode():
        assert ember.is_inference_mode_enabled() and not ember.is_grad_enabled()
    with ember.no_grad():
        assert not ember.is_inference_mode_enabled()

    @ember.inference_mode
    def run():
        return ember.is_inference_mode_enabled(), ember.is_grad_enabled()

    assert run() == (True, False)
    assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()


def test_poisson_samples_with_the_given_rates():
    ember.manual_seed(0)
    x = ember.poisson(ember.tensor([0.0, 4.0]).expand(10000, 2))
    assert x.dtype is ember.float32
    means = x.numpy().mean(0)
    assert means[0] == 0.0 and abs(means[1] - 4.0) < 0.1


def test_legacy_variable_wraps_a_tensor():
    x = ember.ones(2)
    v = ember.autograd.Variable(x, requires_grad=True)
    assert v.requires_grad and not x.requires_grad
    assert ember.autograd.Variable(x) is x


def test_numel_is_tensor_and_size_at_the_top_level():
    x = ember.zeros(2, 3)
    assert ember.numel(x) == 6 and ember.is_tensor(x)
    assert ember.Size([2, 3]) == (2, 3) and repr(ember.Size([])) == "ember.Size([])"

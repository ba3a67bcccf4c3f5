"""Lazy layers infer their input size on the first call and become the ordinary layer, as in torch."""

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

CASES = [
    ("LazyConv1d", (4, 3), dict(stride=2, groups=2), (2, 6, 9)),
    ("LazyConv2d", (4, 3), dict(padding=1), (2, 5, 6, 6)),
    ("LazyConv2d", (4, 3), dict(bias=False), (5, 6, 6)),  # unbatched
    ("LazyConvTranspose1d", (6, 2), dict(groups=3), (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), dict(stride=2, output_padding=1), (2, 5, 4, 4)),
    ("LazyBatchNorm1d", (), {}, (4, 5)),
    ("LazyBatchNorm2d", (), dict(momentum=0.3), (4, 3, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), dict(affine=False, track_running_stats=False), (2, 3, 4, 4)),
    ("LazyLinear", (3,), {}, (2, 7)),
    ("LazyConv3d", (4, 2), dict(padding=1), (2, 3, 4, 4, 3)),
    ("LazyConv3d", (4, 2), dict(bias=False), (3, 4, 4, 3)),  # unbatched
    ("LazyConvTranspose3d", (4, 2), dict(stride=2), (2, 3, 3, 2, 3)),
    ("LazyBatchNorm3d", (), dict(momentum=0.2), (3, 2, 2, 3, 2)),
    ("LazyInstanceNorm3d", (), {}, (2, 3, 3, 2, 3)),
]


@pytest.mark.parametrize("name, args, kwargs, shape", CASES)
def test_lazy_layer_becomes_the_ordinary_layer_with_torchs_shapes_keys_and_outputs(name, args, kwargs, shape):
    tm = getattr(torch.nn, name)(*args, **kwargs)
    em = getattr(ember.nn, name)(*args, **kwargs)
    assert repr(em) == repr(tm)
    assert em.has_uninitialized_params() == tm.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    tm(torch.tensor(x))
    em(ember.tensor(x))
    assert type(em).__name__ == type(tm).__name__ == name.removeprefix("Lazy")
    assert [tuple(p.shape) for p in em.parameters()] == [tuple(p.shape) for p in tm.parameters()]
    assert list(em.state_dict()) == list(tm.state_dict())
    assert repr(em) == repr(tm)
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    em.eval()
    tm.eval()
    np.testing.assert_allclose(em(ember.tensor(x)).detach().numpy(), tm(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_lazy_layer_initialises_like_the_ordinary_layer():
    ember.manual_seed(3)
    lazy = ember.nn.LazyConv2d(4, 3)
    lazy(ember.randn(1, 2, 5, 5))
    ember.manual_seed(3)
    plain = ember.nn.Conv2d(2, 4, 3)
    # same draws in the same order: the lazy layer initialises when it learns its shape
    assert lazy.weight.std().item() == pytest.approx(plain.weight.std().item(), rel=0.5)
    bound = 1 / np.sqrt(2 * 9)
    assert np.abs(lazy.bias.detach().numpy()).max() <= bound


def test_loading_a_state_dict_into_an_uninitialised_lazy_layer_materialises_it():
    src = ember.nn.Conv2d(3, 4, 3)
    lazy = ember.nn.LazyConv2d(4, 3)
    lazy.load_state_dict(src.state_dict())
    x = ember.randn(2, 3, 5, 5)
    np.testing.assert_allclose(lazy(x).detach().numpy(), src(x).detach().numpy())
    assert type(lazy) is ember.nn.Conv2d


def test_lazy_groups_must_divide_the_inferred_channels():
    with pytest.raises(ValueError, match="divisible by groups"):
        ember.nn.LazyConv2d(4, 3, groups=2)(ember.randn(1, 3, 5, 5))

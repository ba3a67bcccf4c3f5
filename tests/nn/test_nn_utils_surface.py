"""nn.utils fusion, stateless/func.functional_call, skip_init, memory-format converters and nn.init aliases vs torch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ember
import ember.func
from ember.nn import utils as U

torch = pytest.importorskip("torch")


def _copy_params(e, t, seed=0):
    """Same parameters and buffers (random, so BN statistics are non-trivial) in both modules."""
    rng = np.random.default_rng(seed)
    live = {**dict(e.named_parameters()), **dict(e.named_buffers())}
    with torch.no_grad(), ember.no_grad():
        for name, tv in t.state_dict().items():
            ev = live[name]
            if tv.dtype.is_floating_point:
                a = rng.uniform(0.5, 1.5, size=tuple(tv.shape)).astype(np.float32)
                tv.copy_(torch.tensor(a))
                ev.copy_(ember.tensor(a))


@pytest.mark.parametrize("kind", ["conv1d", "conv2d", "conv3d", "convT2d", "conv_nobias", "bn_noaffine"])
def test_fuse_conv_bn_eval_matches_torch_and_the_unfused_pair(kind):
    spec = {
        "conv1d": ("Conv1d", "BatchNorm1d", (2, 3, 7), {}),
        "conv2d": ("Conv2d", "BatchNorm2d", (2, 3, 6, 5), {}),
        "conv3d": ("Conv3d", "BatchNorm3d", (1, 3, 4, 5, 4), {}),
        "convT2d": ("ConvTranspose2d", "BatchNorm2d", (2, 3, 4, 4), {}),
        "conv_nobias": ("Conv2d", "BatchNorm2d", (2, 3, 6, 5), {"bias": False}),
        "bn_noaffine": ("Conv2d", "BatchNorm2d", (2, 3, 6, 5), {"bn_affine": False}),
    }[kind]
    conv_name, bn_name, shape, kw = spec
    affine = kw.pop("bn_affine", True)
    mods = {}
    for lib in (ember, torch):
        conv = getattr(lib.nn, conv_name)(3, 4, 3, **kw)
        bn = getattr(lib.nn, bn_name)(4, affine=affine)
        mods[lib] = (conv, bn)
    for i in range(2):
        _copy_params(mods[ember][i], mods[torch][i], seed=i)
    x = np.random.default_rng(5).normal(size=shape).astype(np.float32)
    outs = {}
    for lib, F in ((ember, U), (torch, torch.nn.utils)):
        conv, bn = mods[lib]
        conv.eval()
        bn.eval()
        fused = F.fuse_conv_bn_eval(conv, bn, transpose=conv_name.startswith("ConvT"))
        assert fused is not conv and fused.weight.requires_grad and fused.bias is not None
        outs[lib] = fused(lib.tensor(x)).detach().numpy()
        np.testing.assert_allclose(outs[lib], bn(conv(lib.tensor(x))).detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(outs[ember], outs[torch], rtol=1e-5, atol=1e-5)


def test_fuse_linear_bn_eval_matches_torch():
    outs = []
    pairs = [(lib.nn.Linear(5, 4), lib.nn.BatchNorm1d(4)) for lib in (ember, torch)]
    for i in range(2):
        _copy_params(pairs[0][i], pairs[1][i], seed=i)
    x = np.random.default_rng(1).normal(size=(3, 5)).astype(np.float32)
    for (lin, bn), lib, F in zip(pairs, (ember, torch), (U, torch.nn.utils)):
        lin.eval()
        bn.eval()
        outs.append(F.fuse_linear_bn_eval(lin, bn)(lib.tensor(x)).detach().numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-5)


def test_fusion_errors_match_torch():
    for lib, F in ((ember, U), (torch, torch.nn.utils)):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            F.fuse_conv_bn_eval(lib.nn.Conv2d(1, 2, 1), lib.nn.BatchNorm2d(2))
        lin, bn = lib.nn.Linear(2, 3).eval(), lib.nn.BatchNorm1d(2).eval()
        with pytest.raises(AssertionError, match="linear.out_features=3 and bn.num_features=2"):
            F.fuse_linear_bn_eval(lin, bn)


def test_fuse_weights_functions_keep_dtypes_and_requires_grad():
    for lib, F in ((ember, U), (torch, torch.nn.utils)):
        w = lib.ones(4, 2, 3, dtype=lib.float64)
        rm, rv = lib.zeros(4), lib.ones(4)
        fw, fb = F.fuse_conv_bn_weights(w, None, rm, rv, 1e-5, None, None)
        assert fw.dtype == lib.float64 and fb.dtype == lib.float64
        assert not fw.requires_grad and not fb.requires_grad
        lw, lb = F.fuse_linear_bn_weights(lib.ones(4, 2), None, rm, rv, 0.0, lib.full((4,), 2.0), lib.zeros(4))
        np.testing.assert_allclose(lw.detach().numpy(), 2.0)
        assert isinstance(lw, lib.nn.Parameter)


class _Tied:
    @staticmethod
    def make(lib):
        m = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.Linear(3, 3))
        m[1].weight = m[0].weight
        return m


@pytest.mark.parametrize("api", ["stateless", "func"])
def test_functional_call_matches_torch_and_restores(api):
    x = np.random.default_rng(2).normal(size=(2, 3)).astype(np.float32)
    w = np.random.default_rng(3).normal(size=(3, 3)).astype(np.float32)
    for lib in (ember, torch):  # the same expectation, computed from each module's own bias
        m = _Tied.make(lib)
        before = {k: v.detach().numpy().copy() for k, v in m.state_dict().items()}
        call = (lib.nn.utils.stateless.functional_call if api == "stateless" else lib.func.functional_call)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = call(m, {"0.weight": lib.tensor(w), "1.bias": lib.zeros(3)}, (lib.tensor(x),))
        assert any(issubclass(c.category, FutureWarning) for c in caught) == (api == "stateless")
        # tie_weights: layer 1 used the given 0.weight too
        want = (x @ w.T + m[0].bias.detach().numpy()) @ w.T
        np.testing.assert_allclose(out.detach().numpy(), want, rtol=1e-5, atol=1e-5)
        after = {k: v.detach().numpy() for k, v in m.state_dict().items()}
        assert all(np.array_equal(before[k], after[k]) for k in before)


def test_functional_call_errors_match_torch():
    for lib in (ember, torch):
        m = _Tied.make(lib)
        with pytest.raises(ValueError, match=r"multiple values for keys \['0.weight', '1.weight'\]"):
            lib.func.functional_call(m, {"0.weight": lib.ones(3, 3), "1.weight": lib.zeros(3, 3)}, lib.ones(1, 3))
        with pytest.raises(RuntimeError) as info:
            lib.func.functional_call(m, {"0.weight": lib.ones(3, 3), "zz": lib.ones(1)}, lib.ones(1, 3), strict=True)
        assert "Unexpected key(s): 'zz'." in str(info.value) and "Missing key(s): '0.bias'" in str(info.value)
        with pytest.raises(ValueError, match=r"\['a'\] appeared in multiple dictionaries"):
            lib.func.functional_call(m, ({"a": lib.ones(1)}, {"a": lib.ones(1)}), lib.ones(1, 3))
        # tie_weights=False: only the given name changes
        out = lib.func.functional_call(m, {"0.weight": lib.zeros(3, 3)}, lib.ones(1, 3), tie_weights=False)
        assert out.shape == (1, 3)


def test_skip_init_like_torch():
    for lib in (ember, torch):
        m = lib.nn.utils.skip_init(lib.nn.Linear, 5, 2, bias=False)
        assert isinstance(m, lib.nn.Linear) and tuple(m.weight.shape) == (2, 5) and m.bias is None
        with pytest.raises(RuntimeError, match="Expected a Module"):
            lib.nn.utils.skip_init(int)

        class NoDevice(lib.nn.Module):
            def __init__(self, n):
                super().__init__()

        with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
            lib.nn.utils.skip_init(NoDevice, 3)


def test_memory_format_converters_return_the_module_with_the_same_weights():
    m = ember.nn.Sequential(ember.nn.Conv2d(2, 3, 3), ember.nn.Sequential(ember.nn.Conv3d(3, 2, 1)))
    before = [p.detach().numpy().copy() for p in m.parameters()]
    assert U.convert_conv2d_weight_memory_format(m, None) is m
    assert U.convert_conv3d_weight_memory_format(m, None) is m
    assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(before, m.parameters()))


@pytest.mark.parametrize("name,shape", [("dirac", (2, 2, 3)), ("eye", (3, 4))])
def test_deprecated_init_aliases_warn_like_torch(name, shape):
    results = []
    for lib in (ember, torch):
        t = lib.zeros(*shape)
        with pytest.warns(FutureWarning) as rec:
            getattr(lib.nn.init, name)(t)
        results.append((str(rec[0].message), t.numpy().copy()))
    assert results[0][0] == results[1][0]
    np.testing.assert_array_equal(results[0][1], results[1][1])

"""Memory formats: real stride orders with PyTorch's names, checks and errors; values never change."""

from __future__ import annotations

import io
import pickle

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d", "preserve_format"]


# empty tensors are left out: their strides are NumPy's, not PyTorch's (no element is ever addressed)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 1, 4, 5), (2, 3, 1, 1), (2, 3, 4, 5, 6), (3, 4)])
@pytest.mark.parametrize("fmt", FORMATS)
def test_contiguous_and_to_lay_out_like_torch(shape, fmt):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    outs = []
    for lib in (ember, torch):
        try:
            y = lib.tensor(x).contiguous(memory_format=getattr(lib, fmt))
            z = lib.tensor(x).to(memory_format=getattr(lib, fmt))
            outs.append(("ok", y.stride() if y.numel() else None, z.stride() if z.numel() else None,
                         [y.is_contiguous(memory_format=getattr(lib, f)) for f in FORMATS[:3]], y.numpy().copy()))
        except RuntimeError as err:
            outs.append(("error", str(err)))
    e, t = outs
    assert e[0] == t[0]
    if e[0] == "ok":
        assert e[1:4] == t[1:4]
        assert np.array_equal(e[4], x) and np.array_equal(t[4], x)
    else:
        assert e[1] == t[1]


def test_is_contiguous_reads_the_strides_of_a_permuted_view():
    x = ember.randn(2, 4, 5, 3).permute(0, 3, 1, 2)  # NHWC memory seen as NCHW
    assert not x.is_contiguous()
    assert x.is_contiguous(memory_format=ember.channels_last)
    assert x.contiguous(memory_format=ember.channels_last) is x


@pytest.mark.parametrize("call", ["contiguous", "is_contiguous"])
def test_a_non_format_argument_is_refused_like_torch(call):
    for lib in (ember, torch):
        with pytest.raises(TypeError, match=f"{call}\\(\\): argument 'memory_format' must be torch.memory_format, not str"):
            getattr(lib.zeros(2, 3), call)(memory_format="channels_last")


def test_module_to_channels_last_trains_to_the_same_weights_and_saves():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(np.float32)

    def train(channels_last):
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3), ember.nn.BatchNorm2d(4), ember.nn.ReLU(),
                                    ember.nn.Flatten(), ember.nn.Linear(4 * 3 * 4, 2))
        inp = ember.tensor(x)
        if channels_last:
            model = model.to(memory_format=ember.channels_last)
            inp = inp.contiguous(memory_format=ember.channels_last)
            assert model[0].weight.is_contiguous(memory_format=ember.channels_last)
            assert model[4].weight.is_contiguous()  # 2-D parameters keep their layout, as in torch
        opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(3):
            opt.zero_grad()
            model(inp).square().mean().backward()
            opt.step()
        return model

    plain, laid_out = train(False), train(True)
    for a, b in zip(plain.parameters(), laid_out.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    buf = io.BytesIO()
    ember.save(laid_out.state_dict(), buf)
    buf.seek(0)
    loaded = torch.load(buf)
    np.testing.assert_array_equal(loaded["0.weight"].numpy(), laid_out[0].weight.detach().numpy())


def test_module_to_a_format_of_another_rank_raises_like_torch():
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="required rank 5 tensor to use channels_last_3d format"):
            lib.nn.Conv2d(2, 2, 3).to(memory_format=lib.channels_last_3d)


def test_formats_print_and_pickle_as_singletons():
    assert repr(ember.channels_last) == repr(torch.channels_last) == "torch.channels_last"
    assert pickle.loads(pickle.dumps(ember.channels_last_3d)) is ember.channels_last_3d
    assert isinstance(ember.preserve_format, ember.memory_format)

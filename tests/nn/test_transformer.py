"""nn.Transformer and its layers against torch: state_dict keys, outputs and every gradient with
copied weights, masks in every form, torch checkpoints, initialisation, warnings and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_gradcheck, compare

torch = pytest.importorskip("torch")

TOL = {np.float64: dict(rtol=1e-8, atol=1e-9), np.float32: dict(rtol=1e-4, atol=2e-5)}
D, H, FF = 8, 2, 16


def _dt(lib, dtype):
    return getattr(lib, np.dtype(dtype).name)


def _copy_weights(em, tm):
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def _build(name, dtype, **kw):
    """The same module built in torch (seeded) and ember, ember holding torch's weights."""
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the nested-tensor notice; tested on its own
        tm = _make(torch.nn, name, **kw).to(_dt(torch, dtype))
        em = _make(nn, name, **kw).to(_dt(ember, dtype))
    _copy_weights(em, tm)
    return em, tm


def _make(lib, name, act=None, **kw):
    base = dict(dim_feedforward=FF, dropout=0.0)
    if act == "silu":
        base["activation"] = lib.functional.silu  # any callable
    elif act == "GELU()":
        base["activation"] = lib.GELU()  # a module
    elif act is not None:
        base["activation"] = act
    if name == "enc_layer":
        return lib.TransformerEncoderLayer(D, H, **base, **kw)
    if name == "dec_layer":
        return lib.TransformerDecoderLayer(D, H, **base, **kw)
    if name == "encoder":
        return lib.TransformerEncoder(lib.TransformerEncoderLayer(D, H, **base, **kw), 2, norm=lib.LayerNorm(D))
    if name == "decoder":
        return lib.TransformerDecoder(lib.TransformerDecoderLayer(D, H, **base, **kw), 2, norm=lib.LayerNorm(D))
    return lib.Transformer(D, H, num_encoder_layers=2, num_decoder_layers=2, **base, **kw)


def _run(em, tm, arrays, dtype, call, masks=None, train=True):
    """Forward both (same inputs, masks), backward the same upstream gradient; compare the output
    and the gradients of the inputs, of float masks that require grad, and of every parameter."""
    em.train(train)
    tm.train(train)
    masks = masks or {}
    e_in = [ember.tensor(a, requires_grad=True) for a in arrays]
    t_in = [torch.tensor(a, requires_grad=True) for a in arrays]
    e_masks = {k: (ember.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()}
    t_masks = {k: (torch.tensor(v) if isinstance(v, np.ndarray) else v) for k, v in masks.items()}
    e_out = call(em, e_in, e_masks)
    t_out = call(tm, t_in, t_masks)
    compare(e_out, t_out, **TOL[dtype])
    up = np.random.default_rng(5).standard_normal(tuple(t_out.shape)).astype(dtype)
    t_out.backward(torch.tensor(up))
    e_out.backward(ember.tensor(up))
    for e, t in zip(e_in, t_in):
        compare(e.grad, t.grad, **TOL[dtype])
    t_params = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        assert (p.grad is None) == (t_params[name].grad is None), name
        if p.grad is not None:
            compare(p.grad, t_params[name].grad, **TOL[dtype])
    return e_out


def _seq(n, batch, dtype, batch_first, seed=0, batched=True):
    rng = np.random.default_rng(seed)
    if not batched:
        return rng.standard_normal((n, D)).astype(dtype)
    return rng.standard_normal((batch, n, D) if batch_first else (n, batch, D)).astype(dtype)


def _causal_bool(n):
    return np.triu(np.ones((n, n), bool), 1)


def _causal_float(n, dtype):
    return np.triu(np.full((n, n), -np.inf), 1).astype(dtype)


KPM = np.array([[0, 0, 0, 0, 1], [0, 0, 0, 0, 0], [0, 0, 1, 1, 1]], bool)


def _enc_masks(case, dtype, batch=3, n=5):
    rng = np.random.default_rng(2)
    return {
        "none": {},
        "causal_bool": dict(src_mask=_causal_bool(n)),
        "causal_float": dict(src_mask=_causal_float(n, dtype)),
        "causal_hint": dict(src_mask=_causal_float(n, dtype), is_causal=True),
        "float2d": dict(src_mask=rng.standard_normal((n, n)).astype(dtype)),
        "bool3d": dict(src_mask=(rng.random((batch * H, n, n)) > 0.7) & ~np.eye(n, dtype=bool)),
        "kpm": dict(src_key_padding_mask=KPM),
        "kpm_and_causal": dict(src_key_padding_mask=KPM, src_mask=_causal_bool(n)),
        "kpm_float": dict(src_key_padding_mask=np.where(KPM, -np.inf, 0).astype(dtype)),
    }[case]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal_bool", "causal_float", "causal_hint", "float2d", "bool3d", "kpm",
                                  "kpm_and_causal", "kpm_float"])
def test_encoder_layer_matches_torch(mask, norm_first, batch_first, dtype):
    em, tm = _build("enc_layer", dtype, batch_first=batch_first, norm_first=norm_first)
    _run(em, tm, [_seq(5, 3, dtype, batch_first)], dtype, lambda m, x, k: m(x[0], **k), _enc_masks(mask, dtype))


@pytest.mark.parametrize("act", ["relu", "gelu", "silu", "GELU()", None], ids=str)
@pytest.mark.parametrize("bias", [True, False])
def test_encoder_layer_activation_and_bias(act, bias):
    em, tm = _build("enc_layer", np.float64, act=act, bias=bias)
    _run(em, tm, [_seq(5, 3, np.float64, False)], np.float64, lambda m, x, k: m(x[0], **k))
    assert em.activation_relu_or_gelu == tm.activation_relu_or_gelu


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "causal", "all"])
def test_decoder_layer_matches_torch(masks, norm_first, batch_first, dtype):
    em, tm = _build("dec_layer", dtype, batch_first=batch_first, norm_first=norm_first)
    kw = {}
    if masks in ("causal", "all"):
        kw = dict(tgt_mask=_causal_float(4, dtype), tgt_is_causal=True)
    if masks == "all":
        kw.update(memory_mask=np.random.default_rng(1).random((4, 5)) > 0.8,
                  tgt_key_padding_mask=np.array([[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 1, 1]], bool),
                  memory_key_padding_mask=KPM, tgt_mask=_causal_bool(4), tgt_is_causal=False)
    arrays = [_seq(4, 3, dtype, batch_first, 1), _seq(5, 3, dtype, batch_first, 2)]
    _run(em, tm, arrays, dtype, lambda m, x, k: m(x[0], x[1], **k), kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mask", ["none", "causal_float", "kpm_and_causal", "bool3d"])
def test_encoder_stack_matches_torch(mask, batch_first, dtype):
    em, tm = _build("encoder", dtype, batch_first=batch_first)
    kw = _enc_masks(mask, dtype)
    kw = {("mask" if k == "src_mask" else k): v for k, v in kw.items()}
    _run(em, tm, [_seq(5, 3, dtype, batch_first)], dtype, lambda m, x, k: m(x[0], **k), kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
def test_decoder_stack_matches_torch(batch_first, dtype):
    em, tm = _build("decoder", dtype, batch_first=batch_first)
    arrays = [_seq(4, 3, dtype, batch_first, 1), _seq(5, 3, dtype, batch_first, 2)]
    kw = dict(tgt_mask=_causal_float(4, dtype), memory_key_padding_mask=KPM)
    _run(em, tm, arrays, dtype, lambda m, x, k: m(x[0], x[1], **k), kw)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(norm_first, batch_first, dtype):
    em, tm = _build("transformer", dtype, batch_first=batch_first, norm_first=norm_first)
    arrays = [_seq(5, 3, dtype, batch_first, 1), _seq(4, 3, dtype, batch_first, 2)]
    kw = dict(tgt_mask=_causal_float(4, dtype), src_key_padding_mask=KPM, memory_key_padding_mask=KPM,
              tgt_key_padding_mask=np.array([[0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 1, 1]], bool))
    _run(em, tm, arrays, dtype, lambda m, x, k: m(x[0], x[1], **k), kw)


def test_transformer_unbatched_matches_torch():
    em, tm = _build("transformer", np.float64, batch_first=True)
    arrays = [_seq(5, None, np.float64, True, 1, batched=False), _seq(4, None, np.float64, True, 2, batched=False)]
    kw = dict(tgt_mask=_causal_bool(4), src_key_padding_mask=np.array([0, 0, 0, 1, 1], bool))
    _run(em, tm, arrays, np.float64, lambda m, x, k: m(x[0], x[1], **k), kw)


def test_encoder_eval_with_padding_zeroes_padded_positions_like_torchs_nested_path():
    em, tm = _build("encoder", np.float32, batch_first=True)
    em.eval()
    tm.eval()
    x = _seq(5, 3, np.float32, True)
    with torch.no_grad():
        t_out = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(KPM))
    with ember.no_grad():
        e_out = em(ember.tensor(x), src_key_padding_mask=ember.tensor(KPM))
    compare(e_out, t_out, rtol=1e-4, atol=1e-5)
    assert np.all(e_out.numpy()[2, 2:] == em.norm(ember.zeros(D)).detach().numpy())  # zeros before the final norm
    # with grad enabled torch takes the dense path: padded positions are computed, not zeroed
    t_dense = tm(torch.tensor(x), src_key_padding_mask=torch.tensor(KPM))
    e_dense = em(ember.tensor(x), src_key_padding_mask=ember.tensor(KPM))
    compare(e_dense, t_dense, rtol=1e-4, atol=1e-5)


def test_state_dict_keys_equal_torchs():
    for name in ["enc_layer", "dec_layer", "encoder", "decoder", "transformer"]:
        for kw in [{}, dict(bias=False)]:
            em, tm = _build(name, np.float32, **kw)
            assert {k: tuple(v.shape) for k, v in em.state_dict().items()} == {k: tuple(v.shape) for k, v in tm.state_dict().items()}
    em, _ = _build("transformer", np.float32)
    keys = list(em.state_dict())
    for key in ["encoder.layers.0.self_attn.in_proj_weight", "encoder.layers.1.linear1.weight", "encoder.norm.weight",
                "decoder.layers.0.multihead_attn.out_proj.bias", "decoder.layers.1.norm3.bias"]:
        assert key in keys


def test_torch_saved_transformer_loads_into_ember(tmp_path):
    torch.manual_seed(3)
    tm = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                              dropout=0.1).eval()
    path = tmp_path / "transformer.pt"
    torch.save(tm.state_dict(), path)
    em = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32,
                        dropout=0.1).eval()
    em.load_state_dict(ember.load(str(path)))
    rng = np.random.default_rng(0)
    src, tgt = rng.standard_normal((7, 2, 16)).astype(np.float32), rng.standard_normal((5, 2, 16)).astype(np.float32)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    with torch.no_grad():
        t_out = tm(torch.tensor(src), torch.tensor(tgt), tgt_mask=mask)
    e_out = em(ember.tensor(src), ember.tensor(tgt), tgt_mask=nn.Transformer.generate_square_subsequent_mask(5))
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.numpy(), rtol=1e-5, atol=1e-5)
    # and back: ember's checkpoint loads into torch
    ember.save(em.state_dict(), str(tmp_path / "ember.pt"), format="torch")
    tm2 = torch.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=32).eval()
    tm2.load_state_dict(torch.load(tmp_path / "ember.pt"))
    with torch.no_grad():
        np.testing.assert_allclose(tm2(torch.tensor(src), torch.tensor(tgt), tgt_mask=mask).numpy(), t_out.numpy(), rtol=1e-6)


def test_generate_square_subsequent_mask_equals_torchs():
    for dtype in (None, ember.float64):
        e = nn.Transformer.generate_square_subsequent_mask(4, dtype=dtype)
        t = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=None if dtype is None else torch.float64)
        compare(e, t)


def test_transformer_init_is_xavier_on_matrices():
    m = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=64)
    w = m.encoder.layers[0].linear1.weight.detach().numpy()
    bound = math.sqrt(6.0 / (32 + 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.all(m.encoder.norm.weight.detach().numpy() == 1)
    a, b = m.encoder.layers[0].linear1.weight, m.decoder.layers[0].linear1.weight
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    # the stacks hold independent deep copies
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 2, enable_nested_tensor=False)
    assert enc.layers[0].linear1.weight is not enc.layers[1].linear1.weight
    np.testing.assert_array_equal(enc.layers[0].linear1.weight.detach().numpy(), enc.layers[1].linear1.weight.detach().numpy())


def test_nested_tensor_warning_and_flags_like_torch():
    for kw in [dict(), dict(batch_first=True, norm_first=True), dict(batch_first=True, activation=F.silu),
               dict(batch_first=True)]:
        with warnings.catch_warnings(record=True) as tw:
            warnings.simplefilter("always")
            t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, **{
                k: (torch.nn.functional.silu if v is F.silu else v) for k, v in kw.items()}), 1)
        with warnings.catch_warnings(record=True) as ew:
            warnings.simplefilter("always")
            e = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, **kw), 1)
        assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
        assert e.use_nested_tensor == t.use_nested_tensor


def test_mask_type_mismatch_warns_like_torch():
    layer = nn.TransformerEncoderLayer(8, 2, 16)
    x = ember.randn(5, 3, 8)
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and src_mask is deprecated"):
        layer(x, src_mask=ember.zeros(5, 5), src_key_padding_mask=ember.tensor(KPM))
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1, enable_nested_tensor=False)
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and mask is deprecated"):
        enc(x, mask=ember.zeros(5, 5), src_key_padding_mask=ember.tensor(KPM))


@pytest.mark.parametrize("case", ["batch", "feature", "activation", "mask_dtype", "causal_no_mask"])
def test_errors_match_torch(case):
    def call(lib):
        def run():
            if case == "activation":
                return lib.nn.TransformerEncoderLayer(8, 2, activation="tanh")
            if case == "mask_dtype":
                layer = lib.nn.TransformerEncoderLayer(8, 2, 16)
                return layer(lib.randn(5, 3, 8), src_mask=lib.zeros(5, 5, dtype=lib.int64))
            if case == "causal_no_mask":
                layer = lib.nn.TransformerEncoderLayer(8, 2, 16)
                return layer(lib.randn(5, 3, 8), is_causal=True)
            m = lib.nn.Transformer(8, 2, 1, 1, 16)
            if case == "batch":
                return m(lib.randn(5, 3, 8), lib.randn(4, 2, 8))
            return m(lib.randn(5, 3, 8), lib.randn(4, 3, 6))
        return run

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as te:
            call(torch)()
        with pytest.raises(type(te.value)) as ee:
            call(ember)()
    assert str(ee.value) == str(te.value)


def test_word_language_model_subclass_pattern():
    """PyTorch's examples/word_language_model TransformerModel subclasses nn.Transformer, replaces its
    decoder by a Linear and feeds a log(tril(ones)) mask; it runs unchanged on both libraries."""

    def define(lib):
        nnl = lib.nn

        class PositionalEncoding(nnl.Module):
            def __init__(self, d_model, dropout=0.1, max_len=64):
                super().__init__()
                self.dropout = nnl.Dropout(p=dropout)
                pe = lib.zeros(max_len, d_model)
                position = lib.arange(0, max_len, dtype=lib.float).unsqueeze(1)
                div_term = lib.exp(lib.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
                pe[:, 0::2] = lib.sin(position * div_term)
                pe[:, 1::2] = lib.cos(position * div_term)
                pe = pe.unsqueeze(0).transpose(0, 1)
                self.register_buffer("pe", pe)

            def forward(self, x):
                x = x + self.pe[: x.size(0), :]
                return self.dropout(x)

        class TransformerModel(nnl.Transformer):
            def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
                super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)
                self.model_type = "Transformer"
                self.src_mask = None
                self.pos_encoder = PositionalEncoding(ninp, dropout)
                self.input_emb = nnl.Embedding(ntoken, ninp)
                self.ninp = ninp
                self.decoder = nnl.Linear(ninp, ntoken)

            def _generate_square_subsequent_mask(self, sz):
                return lib.log(lib.tril(lib.ones(sz, sz)))

            def forward(self, src, has_mask=True):
                if has_mask:
                    if self.src_mask is None or self.src_mask.size(0) != len(src):
                        self.src_mask = self._generate_square_subsequent_mask(len(src))
                else:
                    self.src_mask = None
                src = self.input_emb(src) * math.sqrt(self.ninp)
                src = self.pos_encoder(src)
                output = self.encoder(src, mask=self.src_mask)
                output = self.decoder(output)
                return lib.nn.functional.log_softmax(output, dim=-1)

        return TransformerModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.manual_seed(0)
        tm = define(torch)(20, 16, 2, 32, 2).eval()
        em = define(ember)(20, 16, 2, 32, 2).eval()
    _copy_weights(em, tm)
    tokens = np.random.default_rng(0).integers(0, 20, (7, 3))
    with torch.no_grad():
        t_out = tm(torch.tensor(tokens))
    e_out = em(ember.tensor(tokens))
    compare(e_out, t_out, rtol=1e-4, atol=1e-5)
    assert "decoder.weight" in em.state_dict() and "decoder.layers.0.norm1.weight" not in em.state_dict()


def test_encoder_layer_gradcheck_float64():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=ember.float64, norm_first=True)
    x = np.random.default_rng(1).standard_normal((3, 2, 4))
    mask = ember.tensor(_causal_bool(3))

    def fn(src):
        return layer(src, src_mask=mask, is_causal=True)

    check_gradcheck(fn, [x])


def test_dropout_in_training_is_reproducible_and_off_in_eval():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3)
    x = ember.randn(5, 3, 8)
    ember.manual_seed(4)
    a = layer(x)
    ember.manual_seed(4)
    b = layer(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).detach().numpy(), layer(x).detach().numpy())
    assert not np.allclose(layer(x).detach().numpy(), a.detach().numpy())


def test_custom_encoder_and_decoder_are_used_and_keyed_like_torch():
    def build(lib):
        enc = lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(D, H, FF, dropout=0.0), 1, enable_nested_tensor=False)
        dec = lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(D, H, FF, dropout=0.0), 3)
        return lib.nn.Transformer(D, H, custom_encoder=enc, custom_decoder=dec, dropout=0.0).double()

    torch.manual_seed(1)
    tm = build(torch)
    em = build(ember)
    _copy_weights(em, tm)
    assert len(em.decoder.layers) == 3 and em.decoder.norm is None
    arrays = [_seq(5, 2, np.float64, False, 1), _seq(4, 2, np.float64, False, 2)]
    _run(em, tm, arrays, np.float64, lambda m, x, k: m(x[0], x[1], **k), dict(tgt_mask=_causal_float(4, np.float64)))

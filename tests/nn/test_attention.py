"""F.scaled_dot_product_attention, nn.MultiheadAttention and F.multi_head_attention_forward against torch:
outputs, every gradient, dtypes, masks in every form, errors, state_dict keys, and float64 gradchecks."""

from __future__ import annotations

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from helpers import check_against_torch, check_gradcheck, compare

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {np.float64: dict(rtol=1e-9, atol=1e-10), np.float32: dict(rtol=2e-5, atol=2e-6)}


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- scaled_dot_product_attention ---------------------------------------------------------------------


def _sdpa_case(shapes, dtype, mask=None, mask_grad=False, **kw):
    rng = _rng(1)
    arrays = [rng.standard_normal(s).astype(dtype) for s in shapes]
    req = [True, True, True]
    if mask is not None:
        arrays.append(mask.astype(dtype) if mask.dtype != bool else mask)
        req.append(mask_grad)
    else:
        arrays.append(None)
        req.append(False)

    def run(lib_f):
        return lambda q, k, v, m: lib_f(q, k, v, attn_mask=m, **kw)

    check_against_torch(run(F.scaled_dot_product_attention), run(TF.scaled_dot_product_attention), arrays,
                        requires_grad=req, **TOL[dtype])


SHAPES = [
    [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)],  # batch, heads, L != S, Ev != E
    [(4, 8), (5, 8), (5, 6)],  # 2-D
    [(3, 4, 8), (3, 5, 8), (3, 5, 8)],  # 3-D
    [(1, 3, 4, 8), (2, 1, 5, 8), (2, 3, 5, 6)],  # batch and heads broadcast
    [(2, 2, 1, 3, 4), (2, 2, 1, 6, 4), (2, 2, 1, 6, 4)],  # 5-D
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shapes", SHAPES, ids=lambda s: "x".join(map(str, s[0])))
def test_sdpa_matches_torch_without_mask(shapes, dtype):
    _sdpa_case(shapes, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mask_shape", [(4, 5), (1, 5), (3, 4, 5), (2, 1, 4, 5), (2, 3, 4, 5)])
def test_sdpa_bool_mask_broadcasts_like_torch(mask_shape, dtype):
    mask = _rng(2).random(mask_shape) > 0.4
    mask[..., 0] = True  # no fully masked rows here (they have their own test)
    _sdpa_case(SHAPES[0], dtype, mask=mask)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("mask_shape", [(4, 5), (3, 4, 5), (2, 1, 4, 5), (2, 3, 4, 5), (1, 1, 1, 5)])
def test_sdpa_float_mask_gets_torchs_gradient(mask_shape, dtype):
    _sdpa_case(SHAPES[0], dtype, mask=_rng(3).standard_normal(mask_shape), mask_grad=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("L, S", [(4, 4), (3, 5), (5, 3)])
def test_sdpa_is_causal_is_top_left_aligned(L, S, dtype):
    _sdpa_case([(2, 2, L, 4), (2, 2, S, 4), (2, 2, S, 3)], dtype, is_causal=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sdpa_scale_argument(dtype):
    _sdpa_case(SHAPES[0], dtype, scale=0.37)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kv_heads", [1, 2, 3])
def test_sdpa_grouped_query_attention(kv_heads, dtype):
    shapes = [(2, 6, 4, 8), (2, kv_heads, 5, 8), (2, kv_heads, 5, 3)]
    _sdpa_case(shapes, dtype, enable_gqa=True)
    _sdpa_case(shapes, dtype, enable_gqa=True, mask=_rng(4).standard_normal((6, 4, 5)), mask_grad=True)
    _sdpa_case(shapes, dtype, enable_gqa=True, is_causal=True)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sdpa_fully_masked_rows_give_zero_output_and_gradient(dtype):
    bool_mask = np.ones((4, 5), bool)
    bool_mask[1] = False
    _sdpa_case(SHAPES[0], dtype, mask=bool_mask)
    float_mask = np.zeros((4, 5))
    float_mask[2] = -np.inf
    _sdpa_case(SHAPES[0], dtype, mask=float_mask, mask_grad=True)
    out = F.scaled_dot_product_attention(*(ember.randn(1, 4, 3, dtype=ember.float64) for _ in range(3)),
                                         attn_mask=ember.tensor(bool_mask[:, :4]))
    assert np.all(out.numpy()[0, 1] == 0)


def test_sdpa_empty_keys_give_zeros_like_torch():
    q, k, v = ember.randn(2, 4, 8), ember.randn(2, 0, 8), ember.randn(2, 0, 6)
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 4, 6) and np.all(out.numpy() == 0)
    assert F.scaled_dot_product_attention(ember.randn(2, 0, 8), ember.randn(2, 3, 8), ember.randn(2, 3, 6)).shape == (2, 0, 6)


def test_sdpa_is_one_graph_node():
    q, k, v = (ember.randn(2, 3, 4, requires_grad=True) for _ in range(3))
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=ember.randn(3, 3, requires_grad=True))
    assert type(out.grad_fn).__name__ == "ScaledDotProductAttentionBackward0"
    assert all(fn is not None for fn, _ in out.grad_fn.next_functions[:4])  # q, k, v and the float mask


def test_sdpa_is_stable_for_large_scores():
    q = ember.tensor(np.full((1, 2, 4), 1e4, np.float32))
    k = ember.tensor(np.array([[[1e4] * 4, [-1e4] * 4]], np.float32))
    v = ember.tensor(np.array([[[1.0], [2.0]]], np.float32))
    out = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(out.numpy(), 1.0)


def test_sdpa_gradcheck_float64_with_mask_gqa_and_second_order():
    rng = _rng(5)
    arrays = [rng.standard_normal(s) for s in [(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 3), (4, 3, 6)]]

    def fn(q, k, v, m):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=m, enable_gqa=True)

    check_gradcheck(fn, arrays)
    inputs = [ember.tensor(a, requires_grad=True) for a in arrays]
    assert ember.autograd.gradgradcheck(fn, tuple(inputs))
    causal = [ember.tensor(a, requires_grad=True) for a in arrays[:3]]
    assert ember.autograd.gradcheck(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True, enable_gqa=True), tuple(causal))


def test_sdpa_dropout_uses_embers_generator_and_keeps_the_expectation():
    q, k, v = ember.randn(2, 3, 4), ember.randn(2, 5, 4), ember.randn(2, 5, 6)
    ember.manual_seed(7)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ember.manual_seed(7)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.allclose(a.numpy(), F.scaled_dot_product_attention(q, k, v).numpy())
    # the mean over many draws approaches the dropout-free output (dropped weights rescaled by 1 / (1 - p))
    qs, ks, vs = ember.randn(1, 1, 8), ember.randn(1, 4, 8), ember.randn(1, 4, 3)
    draws = np.mean([F.scaled_dot_product_attention(qs, ks, vs, dropout_p=0.3).numpy() for _ in range(4000)], axis=0)
    np.testing.assert_allclose(draws, F.scaled_dot_product_attention(qs, ks, vs).numpy(), atol=0.08)
    assert np.all(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).numpy() == 0)


def test_sdpa_dropout_backward_matches_finite_differences():
    rng = _rng(6)
    arrays = [rng.standard_normal(s) for s in [(2, 3, 4), (2, 5, 4), (2, 5, 3)]]

    def fn(q, k, v):
        ember.manual_seed(3)  # the same keep-mask on every evaluation
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.4)

    check_gradcheck(fn, arrays)


def _raises_like_torch(fn_e, fn_t, match=None):
    with pytest.raises(Exception) as te:
        fn_t()
    with pytest.raises(type(te.value)) as ee:
        fn_e()
    if match:
        assert match in str(ee.value)
    return str(te.value), str(ee.value)


@pytest.mark.parametrize("case", ["mask_and_causal", "dtype", "mask_dtype", "mask_shape", "mask_1d", "gqa", "rank", "E", "S", "p", "int"])
def test_sdpa_errors_match_torch(case):
    q, k, v = (np.random.default_rng(0).standard_normal(s).astype(np.float32) for s in [(2, 6, 4, 8), (2, 6, 5, 8), (2, 6, 5, 6)])
    mask = None
    kw = {}
    if case == "mask_and_causal":
        mask, kw = np.ones((4, 5), bool), {"is_causal": True}
    elif case == "dtype":
        k = k.astype(np.float64)
    elif case == "mask_dtype":
        mask = np.ones((4, 5), np.int64)
    elif case == "mask_shape":
        mask = np.ones((4, 6), np.float32)
    elif case == "mask_1d":
        mask = np.ones(5, bool)
    elif case == "gqa":
        k, v, kw = k[:, :4], v[:, :4], {"enable_gqa": True}
    elif case == "rank":
        q = q[0, 0, 0]
    elif case == "E":
        k = k[..., :7]
    elif case == "S":
        v = v[:, :, :3]
    elif case == "p":
        kw = {"dropout_p": 1.5}
    elif case == "int":
        q, k, v = (x.astype(np.int64) for x in (q, k, v))

    def call(lib, f):
        return lambda: f(*(lib.tensor(x) for x in (q, k, v)), attn_mask=None if mask is None else lib.tensor(mask), **kw)

    torch_msg, ember_msg = _raises_like_torch(call(ember, F.scaled_dot_product_attention), call(torch, TF.scaled_dot_product_attention))
    if case != "mask_shape":
        assert ember_msg == torch_msg


# -- MultiheadAttention ---------------------------------------------------------------------------------


def _mha_pair(E, H, dtype, **kw):
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H, **kw).to(getattr(torch, np.dtype(dtype).name))
    em = nn.MultiheadAttention(E, H, **kw, dtype=getattr(ember, np.dtype(dtype).name))
    assert list(em.state_dict().keys()) == list(tm.state_dict().keys())
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return em, tm


def _check_mha(em, tm, arrays, dtype, same=(), fwd_kw=None, mask_kw=None, train=False):
    """Run both modules on the same inputs and upstream gradients; compare outputs, weights, the
    gradient of every input and every parameter. ``same``: 'qkv' self-attention, 'kv' key is value."""
    fwd_kw = dict(fwd_kw or {})
    em.train(train)
    tm.train(train)
    rng = _rng(9)

    def inputs(lib):
        ts = [lib.tensor(a, requires_grad=True) for a in arrays]
        q, k, v = ts
        if same == "qkv":
            k = v = q
        elif same == "kv":
            v = k
        masks = {n: (lib.tensor(m) if m is not None else None) for n, m in (mask_kw or {}).items()}
        return ts, q, k, v, masks

    e_ts, *e_qkv, e_masks = inputs(ember)
    t_ts, *t_qkv, t_masks = inputs(torch)
    e_out = em(*e_qkv, **e_masks, **fwd_kw)
    t_out = tm(*t_qkv, **t_masks, **fwd_kw)
    compare(e_out[0], t_out[0], **TOL[dtype])
    if t_out[1] is None:
        assert e_out[1] is None
    else:
        compare(e_out[1], t_out[1], **TOL[dtype])
    ups = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in t_out if t is not None]
    torch.autograd.backward([t for t in t_out if t is not None], [torch.tensor(u) for u in ups])
    ember.autograd.backward([e for e in e_out if e is not None], [ember.tensor(u) for u in ups])
    for e, t in zip(e_ts, t_ts):
        if t.grad is not None:
            compare(e.grad, t.grad, **TOL[dtype])
    t_params = dict(tm.named_parameters())
    for name, p in em.named_parameters():
        compare(p.grad, t_params[name].grad, **TOL[dtype])


def _qkv_arrays(L, S, N, E, kdim, vdim, dtype, batch_first, batched=True, seed=10):
    rng = _rng(seed)

    def shape(n, d):
        if not batched:
            return (n, d)
        return (N, n, d) if batch_first else (n, N, d)

    return [rng.standard_normal(shape(L, E)).astype(dtype), rng.standard_normal(shape(S, kdim)).astype(dtype),
            rng.standard_normal(shape(S, vdim)).astype(dtype)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("same", ["qkv", "kv", ""])
def test_mha_matches_torch(dtype, batch_first, need_weights, average, same):
    em, tm = _mha_pair(8, 2, dtype, batch_first=batch_first)
    S = 4 if same == "qkv" else 5
    arrays = _qkv_arrays(4, S, 3, 8, 8, 8, dtype, batch_first)
    _check_mha(em, tm, arrays, dtype, same=same, fwd_kw=dict(need_weights=need_weights, average_attn_weights=average))


MASK_CASES = {
    "bool2d": lambda r: dict(attn_mask=r.random((4, 5)) > 0.7),
    "float2d": lambda r: dict(attn_mask=r.standard_normal((4, 5))),
    "bool3d": lambda r: dict(attn_mask=r.random((6, 4, 5)) > 0.7),
    "float3d": lambda r: dict(attn_mask=r.standard_normal((6, 4, 5))),
    "kpm_bool": lambda r: dict(key_padding_mask=np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 1]], bool)),
    "kpm_float": lambda r: dict(key_padding_mask=r.standard_normal((3, 5))),
    "kpm_and_mask": lambda r: dict(key_padding_mask=np.array([[0, 0, 0, 1, 1]] * 3, bool), attn_mask=r.random((4, 5)) > 0.8),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask_case", list(MASK_CASES))
def test_mha_masks_match_torch(mask_case, need_weights, dtype):
    masks = MASK_CASES[mask_case](_rng(11))
    masks = {k: (v.astype(dtype) if v.dtype != bool else v) for k, v in masks.items()}
    em, tm = _mha_pair(8, 2, dtype)
    arrays = _qkv_arrays(4, 5, 3, 8, 8, 8, dtype, False)
    _check_mha(em, tm, arrays, dtype, fwd_kw=dict(need_weights=need_weights), mask_kw=masks)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_is_causal_with_its_mask(need_weights, dtype):
    em, tm = _mha_pair(8, 2, dtype, batch_first=True)
    arrays = _qkv_arrays(5, 5, 3, 8, 8, 8, dtype, True)
    causal = np.triu(np.ones((5, 5), bool), 1)
    _check_mha(em, tm, arrays, dtype, same="qkv", fwd_kw=dict(need_weights=need_weights, is_causal=True),
               mask_kw=dict(attn_mask=causal))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kw", [dict(kdim=5, vdim=3), dict(add_bias_kv=True), dict(add_zero_attn=True),
                                dict(add_bias_kv=True, add_zero_attn=True, kdim=6, vdim=6), dict(bias=False),
                                dict(bias=False, kdim=5, vdim=7)], ids=str)
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_options_match_torch(kw, need_weights, dtype):
    em, tm = _mha_pair(8, 2, dtype, **kw)
    arrays = _qkv_arrays(4, 5, 3, 8, kw.get("kdim", 8), kw.get("vdim", 8), dtype, False)
    masks = dict(key_padding_mask=np.array([[0, 0, 0, 1, 1], [0, 0, 0, 0, 0], [0, 1, 0, 0, 1]], bool),
                 attn_mask=np.triu(np.ones((4, 5), bool), 2))
    _check_mha(em, tm, arrays, dtype, fwd_kw=dict(need_weights=need_weights), mask_kw=masks)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("need_weights, average", [(True, True), (True, False), (False, True)])
def test_mha_unbatched_matches_torch(need_weights, average, dtype):
    em, tm = _mha_pair(8, 4, dtype, batch_first=True)
    arrays = _qkv_arrays(4, 5, None, 8, 8, 8, dtype, True, batched=False)
    masks = dict(key_padding_mask=np.array([0, 0, 1, 0, 1], bool), attn_mask=_rng(1).random((4, 4, 5)) > 0.8)
    _check_mha(em, tm, arrays, dtype, fwd_kw=dict(need_weights=need_weights, average_attn_weights=average), mask_kw=masks)


def test_mha_eval_no_grad_matches_torch_fast_path():
    em, tm = _mha_pair(8, 2, np.float32, batch_first=True)
    em.eval()
    tm.eval()
    x = _rng(3).standard_normal((3, 4, 8)).astype(np.float32)
    kpm = np.array([[0, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 0]], bool)
    with torch.no_grad():
        t_out, t_w = tm(torch.tensor(x), torch.tensor(x), torch.tensor(x), key_padding_mask=torch.tensor(kpm))
    xe = ember.tensor(x)
    with ember.no_grad():
        e_out, e_w = em(xe, xe, xe, key_padding_mask=ember.tensor(kpm))
    compare(e_out, t_out, rtol=1e-5, atol=1e-6)
    compare(e_w, t_w, rtol=1e-5, atol=1e-6)


def test_mha_dropout_trains_and_is_reproducible():
    em = nn.MultiheadAttention(8, 2, dropout=0.5)
    x = ember.randn(4, 2, 8)
    ember.manual_seed(1)
    a, wa = em(x, x, x)
    ember.manual_seed(1)
    b, wb = em(x, x, x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    em.eval()
    c, wc = em(x, x, x)
    np.testing.assert_allclose(wc.detach().numpy().sum(-1), 1, rtol=1e-5)
    assert not np.allclose(wa.detach().numpy().sum(-1), 1)  # dropped weights returned, as torch does


def test_functional_multi_head_attention_forward_matches_torch():
    dtype = np.float64
    em, tm = _mha_pair(8, 2, dtype, add_bias_kv=True)
    args = lambda m: (8, 2, m.in_proj_weight, m.in_proj_bias, m.bias_k, m.bias_v, False, 0.0, m.out_proj.weight, m.out_proj.bias)  # noqa: E731
    arrays = _qkv_arrays(4, 5, 3, 8, 8, 8, dtype, False)
    static = _rng(2).standard_normal((6, 7, 4))
    kw_np = dict(training=False, need_weights=True, average_attn_weights=False)
    e_out = F.multi_head_attention_forward(*(ember.tensor(a) for a in arrays), *args(em), **kw_np)
    t_out = TF.multi_head_attention_forward(*(torch.tensor(a) for a in arrays), *args(tm), **kw_np)
    compare(e_out[0], t_out[0], **TOL[dtype])
    compare(e_out[1], t_out[1], **TOL[dtype])
    args0 = lambda m: (8, 2, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0, m.out_proj.weight, m.out_proj.bias)  # noqa: E731
    e_out = F.multi_head_attention_forward(*(ember.tensor(a) for a in arrays), *args0(em), static_k=ember.tensor(static),
                                           static_v=ember.tensor(static), need_weights=False)
    t_out = TF.multi_head_attention_forward(*(torch.tensor(a) for a in arrays), *args0(tm), static_k=torch.tensor(static),
                                            static_v=torch.tensor(static), need_weights=False)
    compare(e_out[0], t_out[0], **TOL[dtype])
    assert e_out[1] is None


def test_mha_init_and_state_dict_keys_like_torch():
    for kw in [{}, dict(kdim=3, vdim=5), dict(add_bias_kv=True), dict(bias=False)]:
        em, tm = _mha_pair(8, 2, np.float32, **kw)
        assert {k: tuple(v.shape) for k, v in em.state_dict().items()} == {k: tuple(v.shape) for k, v in tm.state_dict().items()}
        # and back: ember's state loads into torch
        tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in em.state_dict().items()})
    m = nn.MultiheadAttention(64, 4)
    w = m.in_proj_weight.detach().numpy()
    bound = np.sqrt(6.0 / (64 + 192))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound  # xavier_uniform_ on (3E, E)
    assert np.all(m.in_proj_bias.detach().numpy() == 0) and np.all(m.out_proj.bias.detach().numpy() == 0)
    assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(m.out_proj, nn.Linear)
    assert repr(m) == repr(torch.nn.MultiheadAttention(64, 4))


def test_mha_gradcheck_float64():
    m = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=5, dtype=ember.float64)
    rng = _rng(12)
    arrays = [rng.standard_normal(s) for s in [(3, 2, 4), (4, 2, 3), (4, 2, 5)]]
    mask = ember.tensor(np.triu(np.ones((3, 4), bool), 2))

    def fn(q, k, v):
        out, w = m(q, k, v, attn_mask=mask)
        return out.sum() + (w * w).sum()

    check_gradcheck(fn, arrays)


@pytest.mark.parametrize("case", ["embed", "heads", "rank", "kv_rank", "mask2d", "mask3d", "mask_rank", "kpm", "kpm_rank",
                                  "causal_without_mask", "mask_dtype", "kv_shape"])
def test_mha_errors_match_torch(case):
    rng = _rng(0)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in [(4, 3, 8), (5, 3, 8), (5, 3, 8)])
    kw = {}
    ctor = dict(embed_dim=8, num_heads=2)
    if case == "embed":
        q = rng.standard_normal((4, 3, 6)).astype(np.float32)
    elif case == "heads":
        ctor = dict(embed_dim=8, num_heads=3)
    elif case == "rank":
        q = q[None]
    elif case == "kv_rank":
        k = k[0]
    elif case == "mask2d":
        kw = dict(attn_mask=np.zeros((4, 4), np.float32))
    elif case == "mask3d":
        kw = dict(attn_mask=np.zeros((5, 4, 5), np.float32))
    elif case == "mask_rank":
        kw = dict(attn_mask=np.zeros((1, 6, 4, 5), np.float32))
    elif case == "kpm":
        kw = dict(key_padding_mask=np.zeros((3, 4), bool))
    elif case == "kpm_rank":
        kw = dict(key_padding_mask=np.zeros((3,), bool))
    elif case == "causal_without_mask":
        kw = dict(is_causal=True)
    elif case == "mask_dtype":
        kw = dict(attn_mask=np.zeros((4, 5), np.int64))
    elif case == "kv_shape":
        v = v[:4]

    def call(lib, mod):
        def run():
            m = mod(**ctor)
            return m(*(lib.tensor(x) for x in (q, k, v)), **{n: (lib.tensor(a) if isinstance(a, np.ndarray) else a) for n, a in kw.items()})
        return run

    torch_msg, ember_msg = _raises_like_torch(call(ember, nn.MultiheadAttention), call(torch, torch.nn.MultiheadAttention))
    if case not in ("mask2d", "mask3d", "kv_shape"):  # those print a torch.Size
        assert ember_msg == torch_msg


@pytest.mark.parametrize("case", ["kv_rank", "kpm_rank", "mask_rank", "mask3d_shape", "query_rank"])
def test_mha_unbatched_rank_errors_match_torch(case):
    rng = _rng(0)
    q, k, v = (rng.standard_normal(s).astype(np.float32) for s in [(4, 8), (5, 8), (5, 8)])
    kw = {}
    if case == "kv_rank":
        v = v[None]
    elif case == "kpm_rank":
        kw = dict(key_padding_mask=np.zeros((1, 5), bool))
    elif case == "mask_rank":
        kw = dict(attn_mask=np.zeros((5,), np.float32))
    elif case == "mask3d_shape":
        kw = dict(attn_mask=np.zeros((3, 4, 5), np.float32))
    elif case == "query_rank":
        q = q[0]

    def call(lib, mod):
        def run():
            m = mod(embed_dim=8, num_heads=2)
            return m(*(lib.tensor(x) for x in (q, k, v)), **{n: lib.tensor(a) for n, a in kw.items()})
        return run

    torch_msg, ember_msg = _raises_like_torch(call(ember, nn.MultiheadAttention), call(torch, torch.nn.MultiheadAttention))
    assert ember_msg == torch_msg.replace("torch.Size", "ember.Size")


def test_mismatched_mask_types_warn_like_torch():
    m = nn.MultiheadAttention(8, 2)
    x = ember.randn(4, 3, 8)
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=ember.zeros(3, 4, dtype=ember.bool), attn_mask=ember.zeros(4, 4))


def test_mha_dropout_backward_matches_finite_differences():
    """The weights path (which returns the dropped weights) and the fused path, each with a fixed keep-mask."""
    m = nn.MultiheadAttention(4, 2, dropout=0.4, dtype=ember.float64)
    x = _rng(13).standard_normal((3, 2, 4))
    causal = ember.tensor(np.triu(np.ones((3, 3), bool), 1))

    def with_weights(q):
        ember.manual_seed(5)
        out, w = m(q, q, q, average_attn_weights=False)
        return out.sum() + (w * w).sum()

    def fused(q):
        ember.manual_seed(5)
        return m(q, q, q, need_weights=False, attn_mask=causal)[0]

    check_gradcheck(with_weights, [x])
    check_gradcheck(fused, [x])


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_padded_sequence_like_torch(need_weights):
    """Every key padded: torch's weights path gives NaN (plain softmax), its fused path zeros."""
    em, tm = _mha_pair(8, 2, np.float64)
    x = _rng(14).standard_normal((4, 2, 8))
    kpm = np.array([[True] * 4, [False, False, True, True]])
    e_out, e_w = em(*(ember.tensor(x),) * 3, key_padding_mask=ember.tensor(kpm), need_weights=need_weights)
    t_out, t_w = tm(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm), need_weights=need_weights)
    compare(e_out, t_out, **TOL[np.float64])
    assert np.isnan(e_out.detach().numpy()[:, 0]).all() == need_weights
    if need_weights:
        compare(e_w, t_w, **TOL[np.float64])

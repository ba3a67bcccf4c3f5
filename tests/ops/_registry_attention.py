"""Registry rows for attention: ``F.scaled_dot_product_attention`` in its call forms (values, every
gradient, float32/float64, gradcheck and second order against torch via test_registry_parity.py)."""

from __future__ import annotations

from _registry import OpSpec


def _sdpa(**kw):
    return lambda L, q, k, v: L.nn.functional.scaled_dot_product_attention(q, k, v, **kw)


def _sdpa_mask(**kw):
    return lambda L, q, k, v, m: L.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m, **kw)


_QKV = [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4)), ((4, 5), (6, 5), (6, 3)), ((1, 3, 4, 5), (2, 1, 6, 5), (2, 3, 6, 4)),
        ((2, 3, 0, 5), (2, 3, 6, 5), (2, 3, 6, 4)), ((2, 1, 4, 5), (2, 1, 1, 5), (2, 1, 1, 2))]

ATTENTION = [
    OpSpec("sdpa", _sdpa(), _QKV, gradgrad=True),
    OpSpec("sdpa_causal", _sdpa(is_causal=True), [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4)), ((5, 3), (5, 3), (5, 2))]),
    OpSpec("sdpa_scale", _sdpa(scale=0.3), _QKV[:2]),
    OpSpec("sdpa_gqa", _sdpa(enable_gqa=True), [((2, 6, 4, 5), (2, 2, 6, 5), (2, 2, 6, 4)), ((6, 4, 5), (3, 6, 5), (3, 6, 5))],
           gradgrad=True),
    OpSpec("sdpa_float_mask", _sdpa_mask(),
           [((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), (4, 6)), ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), (2, 1, 4, 6)),
            ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 4), (3, 1, 6)), ((4, 5), (6, 5), (6, 3), (4, 6))], gradgrad=True),
]

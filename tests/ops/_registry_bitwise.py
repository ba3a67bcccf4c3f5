"""Registry rows for the integer and bit ops (``_ops/bitwise.py``): int64 inputs in every test,
bool inputs through ``ints=True`` (same result or the same exception as torch)."""

from __future__ import annotations

from _registry import BINARY, UNARY, OpSpec


def _b(name, fn):
    return OpSpec(name, fn, BINARY, "int", grad=False, gradcheck=False, ints=True)


BITWISE = [
    _b("and_operator", lambda L, a, b: a & b),
    _b("or_operator", lambda L, a, b: a | b),
    _b("xor_operator", lambda L, a, b: a ^ b),
    _b("bitwise_and_fn", lambda L, a, b: L.bitwise_and(a, b)),
    _b("bitwise_or_method", lambda L, a, b: a.bitwise_or(b)),
    _b("bitwise_xor_scalar", lambda L, a, b: L.bitwise_xor(a, 6) + (3 ^ b)),
    _b("lshift_operator", lambda L, a, b: a << b),
    _b("rshift_operator", lambda L, a, b: a >> b),
    _b("lshift_scalar_forms", lambda L, a, b: (a << 3) + (2 << (b & 7))),
    _b("rshift_scalar_forms", lambda L, a, b: (a >> 1) + (100 >> (b & 7))),
    _b("bitwise_left_shift_fn", lambda L, a, b: L.bitwise_left_shift(a, b)),
    _b("bitwise_right_shift_method", lambda L, a, b: a.bitwise_right_shift(b)),
    _b("shift_int8", lambda L, a, b: a.to(L.int8) << b.to(L.int8)),
    _b("shift_uint8_right", lambda L, a, b: (a * 20).to(L.uint8) >> b.to(L.uint8)),
    _b("gcd", lambda L, a, b: L.gcd(a, b)),
    _b("lcm_method", lambda L, a, b: a.lcm(b)),
    _b("gcd_int32_int64", lambda L, a, b: L.gcd(a.to(L.int32), b)),
    OpSpec("invert_operator", lambda L, x: ~x, UNARY, "int", grad=False, gradcheck=False, ints=True),
    OpSpec("bitwise_not_fn", lambda L, x: L.bitwise_not(x), UNARY, "int", grad=False, gradcheck=False, ints=True),
]

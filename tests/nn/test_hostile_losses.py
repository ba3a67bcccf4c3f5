"""Property-based hostile inputs for the losses, torch as the oracle: same error class, or same values and grads."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ._hostile import same_behaviour, tensor

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
REDUCTIONS = st.sampled_from(["mean", "sum", "none", "avg"])
TARGET_DTYPES = st.sampled_from([np.int64, np.int32, np.uint8, np.float32, np.bool_])


@SETTINGS
@given(n=st.integers(0, 3), c=st.integers(1, 4), extra=st.lists(st.integers(0, 2), max_size=1),
       unbatched=st.booleans(), probs=st.booleans(), t_dtype=TARGET_DTYPES, t_shape_wrong=st.integers(-1, 1),
       low=st.integers(-2, 0), high=st.integers(0, 6), ignore_index=st.sampled_from([-100, -1, 0, 1, 2]),
       smoothing=st.sampled_from([0.0, 0.1, 0.5, 1.0, -0.2, 1.5]), weight=st.sampled_from([None, 0, 1, -1]),
       reduction=REDUCTIONS, seed=st.integers(0, 9))
def test_cross_entropy(n, c, extra, unbatched, probs, t_dtype, t_shape_wrong, low, high, ignore_index, smoothing,
                       weight, reduction, seed):
    assume(t_dtype != np.uint8 or probs)  # torch's cross_entropy backward fails on uint8 targets (its bug)
    rng = np.random.default_rng(seed)
    shape = (c,) if unbatched else (n, c, *extra)
    x = rng.standard_normal(shape).astype(np.float32)
    if probs:
        t = rng.random(shape).astype(np.float32)
        t = t / np.maximum(t.sum(axis=0 if unbatched else 1, keepdims=True), 1e-6)
    else:
        t_shape = () if unbatched else (max(n + t_shape_wrong, 0), *extra)
        t = rng.integers(low, high + 1, size=t_shape)
        if t_dtype == np.uint8:
            t = np.abs(t)
        t = t.astype(t_dtype)
    w = None if weight is None else rng.random(max(c + weight, 0)).astype(np.float32)

    def fn(lib):
        xt = tensor(lib, x, True)
        kw = {"reduction": reduction, "label_smoothing": smoothing, "ignore_index": ignore_index}
        if w is not None:
            kw["weight"] = tensor(lib, w)
        return lib.nn.functional.cross_entropy(xt, tensor(lib, t), **kw), [xt]

    same_behaviour(fn, backward=True, atol=1e-5)


@SETTINGS
@given(n=st.integers(0, 3), c=st.integers(0, 4), unbatched=st.booleans(), t_dtype=TARGET_DTYPES,
       low=st.integers(-2, 0), high=st.integers(0, 6), ignore_index=st.sampled_from([-100, -1, 0, 2]),
       weight=st.sampled_from([None, 0, 1]), reduction=REDUCTIONS, seed=st.integers(0, 9))
def test_nll_loss(n, c, unbatched, t_dtype, low, high, ignore_index, weight, reduction, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c,) if unbatched else (n, c)).astype(np.float32)
    t = rng.integers(low, high + 1, size=() if unbatched else (n,))
    t = (np.abs(t) if t_dtype == np.uint8 else t).astype(t_dtype)
    w = None if weight is None else rng.random(c + weight).astype(np.float32)

    def fn(lib):
        xt = tensor(lib, x, True)
        kw = {"reduction": reduction, "ignore_index": ignore_index}
        if w is not None:
            kw["weight"] = tensor(lib, w)
        return lib.nn.functional.nll_loss(xt, tensor(lib, t), **kw), [xt]

    same_behaviour(fn, backward=True)


SHAPES = st.lists(st.integers(0, 3), max_size=3)


@SETTINGS
@given(name=st.sampled_from(["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "soft_margin_loss"]),
       a=SHAPES, b=SHAPES, dtypes=st.sampled_from([(np.float32, np.float32), (np.float64, np.float32),
                                                   (np.float32, np.float64), (np.int64, np.int64),
                                                   (np.float32, np.int64)]),
       param=st.sampled_from([None, 0.0, 0.5, -1.0]), reduction=REDUCTIONS, seed=st.integers(0, 9))
def test_regression_losses(name, a, b, dtypes, param, reduction, seed):
    assume(not (name == "huber_loss" and dtypes[0] != dtypes[1]))  # torch's huber backward fails on mixed dtypes
    assume(not (name == "smooth_l1_loss" and param == 0.0))  # torch then runs l1_loss, integers included
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(a) * 3).astype(dtypes[0])
    y = (rng.standard_normal(b) * 3).astype(dtypes[1])
    kw = {"reduction": reduction}
    if param is not None and name in ("smooth_l1_loss", "huber_loss"):
        kw["beta" if name == "smooth_l1_loss" else "delta"] = param

    def fn(lib):
        xt = tensor(lib, x, True)
        return getattr(lib.nn.functional, name)(xt, tensor(lib, y), **kw), [xt]

    same_behaviour(fn, backward=True, rtol=1e-4, atol=1e-4)


@SETTINGS
@given(logits=st.booleans(), a=SHAPES, same_shape=st.booleans(), out_of_range=st.sampled_from([None, "input", "target"]),
       t_dtype=st.sampled_from([np.float32, np.float64, np.int64]), weight=st.sampled_from([None, "same", "row", "bad"]),
       pos_weight=st.booleans(), reduction=REDUCTIONS, seed=st.integers(0, 9))
def test_binary_cross_entropy(logits, a, same_shape, out_of_range, t_dtype, weight, pos_weight, reduction, seed):
    rng = np.random.default_rng(seed)
    shape = tuple(a)
    x = rng.standard_normal(shape).astype(np.float32)
    if not logits:
        x = 1 / (1 + np.exp(-x))
    t_shape = shape if same_shape else shape + (2,)
    t = (rng.random(t_shape) > 0.5).astype(t_dtype)
    if out_of_range == "input" and x.size:
        x.flat[0] = -0.5 if logits else 1.5
    if out_of_range == "target" and t.size:
        t.flat[0] = 2
    w = {None: None, "same": rng.random(shape), "row": rng.random(shape[-1:]), "bad": rng.random((5,))}[weight]
    w = None if w is None else w.astype(np.float32)
    assume(not (logits and t_dtype == np.int64 and not same_shape))
    assume(not (logits and t_dtype == np.float64))  # torch's result takes the target's dtype here, a quirk

    def fn(lib):
        xt = tensor(lib, x, True)
        kw = {"reduction": reduction}
        if w is not None:
            kw["weight"] = tensor(lib, w)
        if logits:
            if pos_weight and shape:
                kw["pos_weight"] = tensor(lib, np.full(shape[-1:], 2.0, np.float32))
            return lib.nn.functional.binary_cross_entropy_with_logits(xt, tensor(lib, t), **kw), [xt]
        return lib.nn.functional.binary_cross_entropy(xt, tensor(lib, t), **kw), [xt]

    same_behaviour(fn, backward=True, rtol=1e-4, atol=1e-4)

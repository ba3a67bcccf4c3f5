"""Registry rows for the torch names added by issue 10 (``_ops/scatter_views.py``, ``_ops/torch_toplevel.py``):
strided views, the scatter family, splits, sum_to_size, fill, constant_pad_nd, chain_matmul, addr, renorm,
frexp, histogram, pdist, channel_shuffle, bilinear, the top-level losses and RNN cells."""

from __future__ import annotations

import warnings

from _registry import OpSpec


def _chain(L, a, b, c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return L.chain_matmul(a, b, c)


def _pm(L, t):
    """A +-1 target made from a tensor (no gradient reaches it)."""
    return L.where(t > 0, 1.0, -1.0).to(t.dtype)


def _o(name, fn, shapes, domain="real", **kw):
    return OpSpec(name, fn, shapes, domain, **kw)


_GRID = [((3, 4),), ((12,),), ((2, 6),)]

MISSING = [
    # -- strided views: the storage of a fresh tensor is its own row-major buffer
    _o("as_strided", lambda L, x: L.as_strided(x, (2, 2), (1, 2), 1), _GRID, gradgrad=True),
    _o("as_strided_overlapping", lambda L, x: x.as_strided((3, 3), (1, 1)), _GRID),
    _o("as_strided_zero_stride", lambda L, x: x.as_strided((2, 3), (0, 2), 5), _GRID),
    _o("as_strided_0d", lambda L, x: x.as_strided((), (), 3), _GRID),
    _o("as_strided_empty", lambda L, x: x.as_strided((0, 2), (1, 1)), [((3, 4),), ((0, 4),)]),
    _o("as_strided_of_view", lambda L, x: x[1:].as_strided((2, 2), (2, 1)), [((3, 4),)]),
    _o("as_strided_of_transpose", lambda L, x: x.t().as_strided((2, 3), (3, 1), 2), [((3, 4),)]),
    _o("as_strided_of_expanded", lambda L, x: x.expand(3, 4).as_strided((2, 2), (1, 1)), [((4,),)]),
    # -- the scatter family
    _o("slice_scatter", lambda L, x, s: L.slice_scatter(x, s, 1, 0, None, 2), [((3, 4), (3, 2)), ((0, 4), (0, 2))],
       gradgrad=True),
    _o("slice_scatter_negative_dim", lambda L, x, s: L.slice_scatter(x, s, -2, -1), [((3, 4), (1, 4)), ((2, 3, 4), (2, 1, 4))]),
    _o("slice_scatter_defaults", lambda L, x, s: x.slice_scatter(s), [((3, 4), (3, 4)), ((2,), (2,))]),
    _o("slice_scatter_empty_slice", lambda L, x, s: L.slice_scatter(x, s, 0, 5), [((3, 4), (0, 4))]),
    _o("select_scatter", lambda L, x, s: L.select_scatter(x, s, 0, -1), [((3, 4), (4,)), ((1, 4), (4,)), ((3,), ())],
       gradgrad=True),
    _o("select_scatter_last_dim", lambda L, x, s: x.select_scatter(s, -1, 1), [((3, 4), (3,)), ((0, 2), (0,))]),
    _o("diagonal_scatter", lambda L, x, s: L.diagonal_scatter(x, s, 1), [((3, 4), (3,)), ((4, 1), (0,))], gradgrad=True),
    _o("diagonal_scatter_dims", lambda L, x, s: x.diagonal_scatter(s, -1, -1, 1), [((2, 3, 3), (2, 2))]),
    # torch 2.13's gradient for as_strided_scatter's input is the complement of the right one (it keeps the
    # scattered region instead of zeroing it): src's gradient is compared here, input's by gradcheck in test_missing_api
    _o("as_strided_scatter", lambda L, x, s: L.as_strided_scatter(x.detach(), s, (2, 2), (1, 2), 1), [((3, 4), (2, 2))],
       gradcheck=False),
    _o("slice_scatter_mixed_dtype", lambda L, x, s: L.slice_scatter(x, s.float()), [((2, 3), (2, 3))], grad=False,
       gradcheck=False),
    # -- splits and sum_to_size
    _o("split_with_sizes", lambda L, x: L.split_with_sizes(x, [1, 3], 1), [((3, 4),), ((0, 4),)]),
    _o("split_with_sizes_method", lambda L, x: x.split_with_sizes([2, 0, 1], -1), [((2, 3),)]),
    _o("unsafe_split", lambda L, x: L.unsafe_split(x, 2), [((5, 2),), ((1,),)]),
    _o("unsafe_split_with_sizes", lambda L, x: x.unsafe_split_with_sizes([3, 2]), [((5, 2),)]),
    _o("unsafe_chunk", lambda L, x: L.unsafe_chunk(x, 3, -1), [((2, 7),), ((2, 0),)]),
    _o("sum_to_size", lambda L, x: x.sum_to_size(3, 1), [((2, 3, 4),), ((3, 4),), ((0, 3, 4),)], gradgrad=True),
    _o("sum_to_size_tuple", lambda L, x: x.sum_to_size((4,)), [((2, 3, 4),), ((4,),)]),
    _o("sum_to_size_0d", lambda L, x: x.sum_to_size(()), [((2, 3),), ((),)]),
    # -- fills and pads
    _o("fill_number", lambda L, x: L.fill(x, 2.5), [((2, 3),), ((),), ((0,),)], ints=True, gradcheck=False),
    _o("fill_tensor", lambda L, x, v: L.fill(x, v), [((2, 3), ()), ((), ())]),
    _o("constant_pad_nd", lambda L, x: L.constant_pad_nd(x, (1, 2), 0.5), [((2, 3),), ((3,),), ((0, 2),)],
       ints=True, gradgrad=True),
    _o("constant_pad_nd_crop", lambda L, x: L.constant_pad_nd(x, (-1, 1, 0, 2)), [((2, 3),), ((2, 2, 3),)]),
    # -- products and norms
    _o("chain_matmul", _chain, [((2, 3), (3, 4), (4, 2)), ((0, 3), (3, 1), (1, 2))], gradgrad=True),
    _o("addr", lambda L, a, u, v: L.addr(a, u, v), [((2, 3), (2,), (3,)), ((3,), (2,), (3,)), ((), (2,), (3,)),
                                                    ((0, 3), (0,), (3,))], ints=True, gradgrad=True),
    _o("addr_beta_alpha", lambda L, a, u, v: a.addr(u, v, beta=0.5, alpha=-2), [((2, 3), (2,), (3,)), ((1, 3), (2,), (3,))]),
    _o("addr_beta_zero", lambda L, a, u, v: L.addr(a / 0, u, v, beta=0), [((2, 3), (2,), (3,))], gradcheck=False),
    _o("addr_ints_int_scalars", lambda L, a, u, v: L.addr(a, u, v, beta=2, alpha=3), [((2, 3), (2,), (3,))], "int",
       grad=False, gradcheck=False, ints=True),
    _o("renorm", lambda L, x: L.renorm(x, 2, 0, 1.0), [((3, 4),), ((2, 3, 2),), ((0, 4),), ((3, 1),)], gradgrad=True),
    _o("renorm_p1_last_dim", lambda L, x: x.renorm(1, -1, 0.5), [((3, 4),)], "nonzero"),
    _o("renorm_p3_keeps_small_slices", lambda L, x: L.renorm(x, 3, 1, 1.5), [((4, 3),)]),
    _o("frexp", lambda L, x: L.frexp(x * 10), [((2, 3),), ((),), ((0, 3),)], gradgrad=True),
    _o("frexp_method", lambda L, x: (x * 1e-3).frexp(), [((5,),)]),
    _o("histogram_bins", lambda L, x: L.histogram(x, 4), [((10,),), ((2, 5),), ((0,),)], grad=False, gradcheck=False),
    _o("histogram_range_weight_density", lambda L, x, w: L.histogram(x, 3, range=(-1.0, 2.0), weight=w, density=True),
       [((10,), (10,))], ("real", "pos"), grad=False, gradcheck=False),
    _o("histogram_edges", lambda L, x, e: x.histogram(L.sort(e).values), [((10,), (5,))], grad=False, gradcheck=False),
    _o("histogramdd", lambda L, x: L.histogramdd(x, [3, 2]), [((10, 2),)], grad=False, gradcheck=False),
    _o("histogramdd_range_density", lambda L, x: L.histogramdd(x, 2, range=[-2.0, 2.0, -1.0, 3.0], density=True),
       [((10, 2),)], grad=False, gradcheck=False),
    # -- distances, shuffles, bilinear
    _o("pdist", lambda L, x: L.pdist(x), [((4, 3),), ((1, 3),), ((2, 0),)], gradgrad=True),
    _o("pdist_p1", lambda L, x: L.pdist(x, 1), [((4, 3),)]),
    _o("channel_shuffle", lambda L, x: L.channel_shuffle(x, 2), [((2, 4, 3),), ((1, 6, 2, 2),)], ints=True),
    _o("bilinear", lambda L, a, b, w, c: L.bilinear(a, b, w, c), [((2, 3), (2, 4), (5, 3, 4), (5,)),
                                                                  ((3,), (4,), (2, 3, 4), (2,))], gradgrad=True),
    _o("isreal", lambda L, x: L.isreal(x), [((2, 3),), ((),)], grad=False, gradcheck=False, ints=True),
    # -- losses at torch's top level: the reduction is an int (0 none, 1 mean, 2 sum)
    _o("kl_div_default_unreduced", lambda L, x, t: L.kl_div(x, t), [((3, 4), (3, 4))], ("real", "pos")),
    _o("kl_div_mean", lambda L, x, t: L.kl_div(x, t, 1), [((3, 4), (3, 4)), ((), ())], ("real", "pos"), gradgrad=True),
    _o("kl_div_none_log_target", lambda L, x, t: L.kl_div(x, t, 0, log_target=True), [((3, 4), (3, 4))]),
    _o("kl_div_sum", lambda L, x, t: L.kl_div(x, t, 2), [((3, 4), (3, 4))], ("real", "pos")),
    _o("cosine_embedding_loss", lambda L, a, b, t: L.cosine_embedding_loss(a, b, _pm(L, t), 0.1, 2),
       [((3, 4), (3, 4), (3,))]),
    _o("hinge_embedding_loss", lambda L, x, t: L.hinge_embedding_loss(x, _pm(L, t), 0.5, 0), [((3, 4), (3, 4))]),
    _o("margin_ranking_loss", lambda L, a, b, t: L.margin_ranking_loss(a, b, _pm(L, t), 0.2), [((5,), (5,), (5,))],
       "distinct"),
    _o("triplet_margin_loss", lambda L, a, p, n: L.triplet_margin_loss(a, p, n, 1.0, 2, 1e-6, True, 2),
       [((3, 4), (3, 4), (3, 4))]),
    _o("poisson_nll_loss", lambda L, x, t: L.poisson_nll_loss(x, t, True, True, 1e-8, 1), [((3, 4), (3, 4))],
       ("real", "pos")),
    _o("poisson_nll_loss_rates", lambda L, x, t: L.poisson_nll_loss(x, t, False, False, 1e-8, 0), [((3, 4), (3, 4))],
       "pos"),
    # -- RNN cells at torch's top level
    _o("rnn_tanh_cell", lambda L, x, h, wi, wh, bi, bh: L.rnn_tanh_cell(x, h, wi, wh, bi, bh),
       [((2, 3), (2, 4), (4, 3), (4, 4), (4,), (4,))], "small"),
    _o("rnn_relu_cell_no_bias", lambda L, x, h, wi, wh: L.rnn_relu_cell(x, h, wi, wh), [((2, 3), (2, 4), (4, 3), (4, 4))],
       "nonzero"),
    _o("gru_cell", lambda L, x, h, wi, wh, bi, bh: L.gru_cell(x, h, wi, wh, bi, bh),
       [((2, 3), (2, 4), (12, 3), (12, 4), (12,), (12,))], "small"),
    _o("lstm_cell", lambda L, x, h, c, wi, wh, bi, bh: L.lstm_cell(x, (h, c), wi, wh, bi, bh),
       [((2, 3), (2, 4), (2, 4), (16, 3), (16, 4), (16,), (16,))], "small"),
]

# -- special functions (``_ops/special2.py``) ------------------------------------------------------------

_UN = [((2, 3),), ((),), ((0, 3),), ((1, 4, 1),), ((5,),)]
_BIN = [((2, 3), (2, 3)), ((3, 1, 4), (2, 4)), ((), (2, 3)), ((2, 3), ()), ((0, 3), (1, 3)), ((), ())]


def _pos_plus(t, c):
    return t + c


SPECIAL2 = [
    _o("special_i1", lambda L, x: L.special.i1(x * 8), _UN, ints=True, gradgrad=True),
    _o("special_i1_asymptotic", lambda L, x: L.special.i1(x * 10 + 30), _UN),
    _o("special_i1e", lambda L, x: L.special.i1e(x * 15), _UN, ints=True, gradgrad=True),
    _o("special_erfcx", lambda L, x: L.special.erfcx(x * 4), _UN, ints=True, gradgrad=True),
    _o("special_log_ndtr", lambda L, x: L.special.log_ndtr(x * 12), _UN, ints=True, gradgrad=True),
    # no gradient in torch: values, dtypes and int promotion only
    *[_o(f"special_{n}", lambda L, x, n=n, s=s: getattr(L.special, n)(x * s), _UN, "pos" if pos else "real",
         grad=False, gradcheck=False, ints=True, rtol=r, atol=a)
      for n, s, pos, r, a in [
          # torch 2.13's J and Y are accurate to ~1e-6 absolute only (checked against mpmath in test_special_functions)
          ("bessel_j0", 6, False, 1e-5, 1e-6), ("bessel_j1", 6, False, 1e-5, 1e-6),
          ("bessel_y0", 6, True, 1e-5, 1e-6), ("bessel_y1", 6, True, 1e-5, 1e-6),
          ("modified_bessel_i0", 10, False, 1e-12, 0), ("modified_bessel_i1", 10, False, 1e-12, 0),
          ("modified_bessel_k0", 5, True, 1e-12, 0), ("modified_bessel_k1", 5, True, 1e-12, 0),
          ("scaled_modified_bessel_k0", 50, True, 1e-12, 0), ("scaled_modified_bessel_k1", 50, True, 1e-12, 0),
          ("spherical_bessel_j0", 9, False, 1e-12, 1e-15)]],
    # torch computes Ai of int64 inputs in float32 (phase errors ~1e-5 at x = -25); ember in float64, then casts
    _o("special_airy_ai", lambda L, x: L.special.airy_ai(x * 5), _UN, grad=False, gradcheck=False, rtol=1e-5, atol=1e-5),
    # gradients only with respect to x / q: torch has no derivative in a / s (gradcheck in test_special_functions)
    _o("igamma", lambda L, a, x: L.igamma(a.detach(), x), _BIN, "pos", rtol=1e-10, gradcheck=False),
    _o("igammac_method", lambda L, a, x: a.detach().igammac(x * 3), _BIN, "pos", rtol=1e-10, gradcheck=False),
    _o("special_gammainc", lambda L, a, x: L.special.gammainc(a.detach() * 5, x * 4), _BIN, "pos", rtol=1e-10, gradcheck=False),
    _o("special_gammaincc", lambda L, a, x: L.special.gammaincc(a.detach(), x), _BIN, "pos", rtol=1e-10, gradcheck=False),
    _o("special_zeta", lambda L, s, q: L.special.zeta(s.detach() + 1.5, q), _BIN, "pos", gradcheck=False),
    _o("special_zeta_scalar_s", lambda L, q: L.special.zeta(3.0, q), _UN, "pos", ints=True),
    *[_o(f"special_{n}", lambda L, x, k, n=n: getattr(L.special, n)(x, k * 2 + 6), _BIN, ("unit", "offint"),
         grad=False, gradcheck=False, rtol=1e-9, atol=1e-12, ints=True)
      for n in ("chebyshev_polynomial_t chebyshev_polynomial_u chebyshev_polynomial_v chebyshev_polynomial_w "
                "shifted_chebyshev_polynomial_t shifted_chebyshev_polynomial_u shifted_chebyshev_polynomial_v "
                "shifted_chebyshev_polynomial_w hermite_polynomial_h hermite_polynomial_he laguerre_polynomial_l "
                "legendre_polynomial_p").split()],
    _o("special_chebyshev_t_scalar_n", lambda L, x: L.special.chebyshev_polynomial_t(x * 2, 5), _UN, ints=True,
       grad=False, gradcheck=False),
]
MISSING += SPECIAL2

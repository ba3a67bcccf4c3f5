"""Recurrent layers: one fused Op per (layer, direction) for the Elman RNN, LSTM and GRU.

Each Op runs the whole sequence. The input projection of every time step is one GEMM
up front (T*B rows); each step then does one (B, H) x (H, G*H) GEMM for all gates, and
backpropagation through time runs in the same Op, collecting the gate gradients of all
steps so that dW_ih, dW_hh and dx are again one GEMM each.

Gate layouts follow PyTorch: LSTM (i, f, g, o), GRU (r, z, n).

LSTM:  i, f, o = sigmoid(.), g = tanh(.), c' = f c + i g, h' = o tanh(c')
GRU:   r, z = sigmoid(.), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h
RNN:   h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh)
"""

from __future__ import annotations

from .._backend import array_module
from .._tensor import Tensor
from ..autograd.function import Op
from ._common import first_order_only
from .shape import flip

__all__: list[str] = []


def _input_projection(x, w_ih, b_ih, b_hh_part=None):
    """x (T, B, I) -> x W_ih^T + b (T, B, G*H), one GEMM."""
    t, b = x.shape[:2]
    xw = array_module(x, w_ih).matmul(x.reshape(t * b, x.shape[-1]), w_ih.T)
    if b_ih is not None:
        xw += b_ih
    if b_hh_part is not None:
        xw += b_hh_part
    return xw.reshape(t, b, w_ih.shape[0])


def _carried(xp, g, shape, dtype):
    """The gradient flowing into the last step's state: a fresh copy of ``g`` (it is updated in place), or zeros."""
    return xp.zeros(shape, dtype=dtype) if g is None else xp.array(g, dtype=dtype)


def _weight_grads(xp, d_in, d_hid, x, hs, w_ih, need):
    """dx, dW_ih, dW_hh, db_ih, db_hh from the pre-activation gradients of all steps, one GEMM each.

    ``d_in`` (T, B, G*H) are the input-side pre-activation gradients and ``d_hid`` the hidden-side ones
    (the same array except for GRU's n gate); ``need`` flags the five results."""
    rows = d_in.shape[0] * d_in.shape[1]
    fi = d_in.reshape(rows, d_in.shape[-1])
    fh = fi if d_hid is d_in else d_hid.reshape(rows, d_hid.shape[-1])
    gx = xp.matmul(fi, w_ih).reshape(x.shape) if need[0] else None
    gw_ih = xp.matmul(fi.T, x.reshape(rows, x.shape[-1])) if need[1] else None
    gw_hh = xp.matmul(fh.T, hs[:-1].reshape(rows, hs.shape[-1])) if need[2] else None
    gb_ih = fi.sum(axis=0) if need[3] else None
    gb_hh = None
    if need[4]:  # the two biases of LSTM and RNN get the same gradient: summed once
        gb_hh = gb_ih if fh is fi and gb_ih is not None else fh.sum(axis=0)
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


class _Layer(Op):
    """What the layer Ops share: gradients left None for unused outputs (no zero-filled h_n or c_n gradient),
    and the opening and closing of a backward that is first order only. (Each names its node itself: a node
    name is a class's own, never inherited.)"""

    kind = ""  # named when create_graph is refused
    n_states = 1  # the inputs between x and the weights: h0 (and c0)

    @staticmethod
    def _begin(ctx, x, w_hh):
        """The forward's opening: the array module, T, B and w_hh's input size (the hidden state's size)."""
        ctx.set_materialize_grads(False)
        return array_module(x, w_hh), x.shape[0], x.shape[1], w_hh.shape[1]

    @classmethod
    def _saved(cls, ctx, *grads):
        """The backward's opening: create_graph refused, then the array module and the saved tensors (x first)."""
        first_order_only(cls.kind, *grads)
        saved = ctx.saved_tensors
        return array_module(*grads, saved[0]), saved

    @classmethod
    def _input_grads(cls, ctx, xp, d_in, d_hid, x, hs, w_ih):
        """dx, dW_ih, dW_hh, db_ih, db_hh (``_weight_grads``), each only if that input needs it."""
        need = ctx.needs_input_grad
        k = 1 + cls.n_states  # x, the states, then w_ih, w_hh, b_ih, b_hh
        return _weight_grads(xp, d_in, d_hid, x, hs, w_ih, (need[0], *need[k : k + 4]))


class LSTMLayer(_Layer):
    """One direction of one LSTM layer over a (T, B, I) sequence: returns (out, h_n, c_n).

    sigmoid(a) = (tanh(a / 2) + 1) / 2: the 1/2 is folded into the i, f, o rows of the weights,
    so one tanh over all 4H gate columns activates every gate. Backward:
    dc_t = dc_{t+1} f_{t+1} + dh_t o (1 - tanh^2 c_t);  da_i = dc g i (1 - i),  da_f = dc c_{t-1} f (1 - f),
    da_g = dc i (1 - g^2),  da_o = dh tanh(c_t) o (1 - o);  dh_{t-1} = da W_hh.
    """

    _node_name = "MkldnnRnnLayerBackward0"
    kind, n_states = "LSTM", 2

    @classmethod
    def forward(cls, ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        xp, t_len, bsz, hid = cls._begin(ctx, x, w_hh)
        dt = x.dtype
        h2, h3 = 2 * hid, 3 * hid
        half = dt.type(0.5)
        scale = xp.full((4 * hid, 1), half, dtype=dt)
        scale[h2:h3] = 1  # g keeps a plain tanh
        bias = None
        if b_ih is not None or b_hh is not None:
            bias = (b_ih if b_ih is not None else 0) + (b_hh if b_hh is not None else 0)
            bias = bias * scale[:, 0]
        gates = _input_projection(x, w_ih * scale, bias)  # pre-activations, overwritten by activations
        whh_t = xp.ascontiguousarray((w_hh * scale).T)
        cs = xp.empty((t_len + 1, bsz, hid), dtype=dt)
        hs = xp.empty((t_len + 1, bsz, hid), dtype=dt)
        tcs = xp.empty((t_len, bsz, hid), dtype=dt)
        cs[0], hs[0] = c0, h0
        rec = xp.empty((bsz, 4 * hid), dtype=dt)
        ig = xp.empty((bsz, hid), dtype=dt)
        for t in range(t_len):
            a = gates[t]
            xp.matmul(hs[t], whh_t, out=rec)
            a += rec
            xp.tanh(a, out=a)
            for s in (a[:, :h2], a[:, h3:]):  # i, f and o: tanh(a/2) -> sigmoid(a)
                s *= half
                s += half
            c = cs[t + 1]
            xp.multiply(a[:, hid:h2], cs[t], out=c)
            xp.multiply(a[:, :hid], a[:, h2:h3], out=ig)
            c += ig
            xp.tanh(c, out=tcs[t])
            xp.multiply(a[:, h3:], tcs[t], out=hs[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh)
        ctx.cache = (gates, cs, hs, tcs)
        return hs[1:].copy(), hs[t_len].copy(), cs[t_len].copy()

    @classmethod
    def backward(cls, ctx, g_out, g_h, g_c):
        xp, (x, w_ih, w_hh) = cls._saved(ctx, g_out, g_h, g_c)
        gates, cs, hs, tcs = ctx.cache
        t_len, bsz, hid = tcs.shape
        dt = x.dtype
        h2, h3 = 2 * hid, 3 * hid
        one = dt.type(1)
        # per-gate factors for all steps at once: dc multiplies (i, f, g) columns, dh the o columns
        fac = xp.subtract(one, gates)
        fac *= gates  # s (1 - s)
        gg = gates[:, :, h2:h3]
        fg = fac[:, :, h2:h3]
        xp.multiply(gg, gg, out=fg)
        xp.subtract(one, fg, out=fg)  # 1 - g^2
        fac[:, :, :hid] *= gg
        fac[:, :, hid:h2] *= cs[:-1]
        fg *= gates[:, :, :hid]
        fac[:, :, h3:] *= tcs
        dtc = xp.multiply(tcs, tcs)
        xp.subtract(one, dtc, out=dtc)
        dtc *= gates[:, :, h3:]  # o (1 - tanh^2 c)
        dgates = xp.empty_like(gates)
        dh = _carried(xp, g_h, (bsz, hid), dt)
        dc = _carried(xp, g_c, (bsz, hid), dt)
        tmp = xp.empty((bsz, hid), dtype=dt)
        for t in range(t_len - 1, -1, -1):
            if g_out is not None:
                dh += g_out[t]
            xp.multiply(dh, dtc[t], out=tmp)
            dc += tmp
            dg = dgates[t]
            xp.multiply(fac[t, :, :h3].reshape(bsz, 3, hid), dc[:, None, :], out=dg[:, :h3].reshape(bsz, 3, hid))
            xp.multiply(dh, fac[t, :, h3:], out=dg[:, h3:])
            dc *= gates[t, :, hid:h2]
            dh = xp.matmul(dg, w_hh)
        need = ctx.needs_input_grad
        gx, gw_ih, gw_hh, gb_ih, gb_hh = cls._input_grads(ctx, xp, dgates, dgates, x, hs, w_ih)
        return gx, dh if need[1] else None, dc if need[2] else None, gw_ih, gw_hh, gb_ih, gb_hh


class GRULayer(_Layer):
    """One direction of one GRU layer over a (T, B, I) sequence: returns (out, h_n)."""

    _node_name = "MkldnnRnnLayerBackward0"
    kind = "GRU"

    @classmethod
    def forward(cls, ctx, x, h0, w_ih, w_hh, b_ih, b_hh):
        xp, t_len, bsz, hid = cls._begin(ctx, x, w_hh)
        dt = x.dtype
        h2 = 2 * hid
        # r and z: sigmoid(a) = (tanh(a / 2) + 1) / 2, the 1/2 folded into their weight rows;
        # b_hr and b_hz join the input projection, b_hn stays inside r * (W_hn h + b_hn).
        half = dt.type(0.5)
        scale = xp.ones((3 * hid, 1), dtype=dt)
        scale[:h2] = half
        bias = b_ih.copy() if b_ih is not None else xp.zeros(3 * hid, dtype=dt)
        if b_hh is not None:
            bias[:h2] += b_hh[:h2]
        xw = _input_projection(x, w_ih * scale, bias * scale[:, 0])
        b_hn = b_hh[h2:] if b_hh is not None else None
        rz = xp.empty((t_len, bsz, h2), dtype=dt)
        ns = xp.empty((t_len, bsz, hid), dtype=dt)
        hn = xp.empty((t_len, bsz, hid), dtype=dt)  # W_hn h + b_hn, needed for dr
        hs = xp.empty((t_len + 1, bsz, hid), dtype=dt)
        hs[0] = h0
        whh_t = xp.ascontiguousarray((w_hh * scale).T)
        hw = xp.empty((bsz, 3 * hid), dtype=dt)
        for t in range(t_len):
            xp.matmul(hs[t], whh_t, out=hw)
            a = rz[t]
            xp.add(xw[t, :, :h2], hw[:, :h2], out=a)
            xp.tanh(a, out=a)
            a *= half
            a += half
            hnt = hn[t]
            if b_hn is not None:
                xp.add(hw[:, h2:], b_hn, out=hnt)
            else:
                hnt[...] = hw[:, h2:]
            n = ns[t]
            xp.multiply(a[:, :hid], hnt, out=n)
            n += xw[t, :, h2:]
            xp.tanh(n, out=n)
            h = hs[t + 1]
            xp.subtract(hs[t], n, out=h)
            h *= a[:, hid:]
            h += n
        ctx.save_for_backward(x, w_ih, w_hh)
        ctx.cache = (rz, ns, hn, hs)
        return hs[1:].copy(), hs[t_len].copy()

    @classmethod
    def backward(cls, ctx, g_out, g_h):
        xp, (x, w_ih, w_hh) = cls._saved(ctx, g_out, g_h)
        rz, ns, hn, hs = ctx.cache
        t_len, bsz, hid = ns.shape
        dt = x.dtype
        h2 = 2 * hid
        one = dt.type(1)
        drz_act = rz * (one - rz)
        dn_act = one - ns * ns
        zs = rz[:, :, hid:]
        dgi = xp.empty((t_len, bsz, 3 * hid), dtype=dt)  # input-side pre-activation gradients (r, z, n)
        dgh = xp.empty((t_len, bsz, 3 * hid), dtype=dt)  # hidden-side: (r, z, W_hn h + b_hn)
        dh = _carried(xp, g_h, (bsz, hid), dt)
        for t in range(t_len - 1, -1, -1):
            if g_out is not None:
                dh += g_out[t]
            z = zs[t]
            gi, gh = dgi[t], dgh[t]
            dan = gi[:, h2:]
            xp.multiply(dh, one - z, out=dan)
            dan *= dn_act[t]  # d pre-activation of n
            xp.multiply(dan, hn[t], out=gi[:, :hid])  # dr
            xp.multiply(dh, hs[t] - ns[t], out=gi[:, hid:h2])  # dz
            gi[:, :h2] *= drz_act[t]
            gh[:, :h2] = gi[:, :h2]
            xp.multiply(dan, rz[t, :, :hid], out=gh[:, h2:])
            dh = dh * z
            dh += xp.matmul(gh, w_hh)
        gx, gw_ih, gw_hh, gb_ih, gb_hh = cls._input_grads(ctx, xp, dgi, dgh, x, hs, w_ih)
        return gx, (dh if ctx.needs_input_grad[1] else None), gw_ih, gw_hh, gb_ih, gb_hh


class RNNLayer(_Layer):
    """One direction of one Elman RNN layer (tanh or relu) over (T, B, I): returns (out, h_n)."""

    _node_name = "MkldnnRnnLayerBackward0"
    kind = "RNN"

    @classmethod
    def forward(cls, ctx, x, h0, w_ih, w_hh, b_ih, b_hh, relu):
        xp, t_len, bsz, hid = cls._begin(ctx, x, w_hh)
        a_all = _input_projection(x, w_ih, b_ih, b_hh)
        hs = xp.empty((t_len + 1, bsz, hid), dtype=x.dtype)
        hs[0] = h0
        whh_t = xp.ascontiguousarray(w_hh.T)
        for t in range(t_len):
            a = a_all[t]
            a += xp.matmul(hs[t], whh_t)
            if relu:
                xp.maximum(a, 0, out=hs[t + 1])
            else:
                xp.tanh(a, out=hs[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh)
        ctx.cache = (hs, relu)
        return hs[1:].copy(), hs[t_len].copy()

    @classmethod
    def backward(cls, ctx, g_out, g_h):
        xp, (x, w_ih, w_hh) = cls._saved(ctx, g_out, g_h)
        hs, relu = ctx.cache
        t_len, bsz, hid = hs.shape[0] - 1, hs.shape[1], hs.shape[2]
        dt = x.dtype
        out = hs[1:]
        dact = (out > 0).astype(dt) if relu else dt.type(1) - out * out
        da = xp.empty((t_len, bsz, hid), dtype=dt)
        dh = _carried(xp, g_h, (bsz, hid), dt)
        for t in range(t_len - 1, -1, -1):
            if g_out is not None:
                dh += g_out[t]
            xp.multiply(dh, dact[t], out=da[t])
            dh = xp.matmul(da[t], w_hh)
        gx, gw_ih, gw_hh, gb_ih, gb_hh = cls._input_grads(ctx, xp, da, da, x, hs, w_ih)
        return gx, (dh if ctx.needs_input_grad[1] else None), gw_ih, gw_hh, gb_ih, gb_hh, None


class LSTMProjLayer(_Layer):
    """One direction of one LSTM layer with a projection (``proj_size``): returns (out, h_n, c_n).

    a = x W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh;  i, f, o = sigmoid, g = tanh;  c_t = f c_{t-1} + i g;
    m_t = o tanh(c_t);  h_t = m_t W_hr^T (P < H features).  Backward: dm = dh W_hr, dW_hr = sum dh^T m;
    do = dm tanh(c), dc += dm o (1 - tanh^2 c), then the gates as in LSTMLayer; dh_{t-1} = da W_hh.
    """

    _node_name = "MkldnnRnnLayerBackward0"
    kind, n_states = "LSTM", 2

    @classmethod
    def forward(cls, ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr):
        xp, t_len, bsz, proj = cls._begin(ctx, x, w_hh)  # w_hh: (4H, P)
        hid = w_hr.shape[1]
        dt = x.dtype
        bias = None
        if b_ih is not None or b_hh is not None:
            bias = (b_ih if b_ih is not None else 0) + (b_hh if b_hh is not None else 0)
        gates = _input_projection(x, w_ih, bias)
        hs = xp.empty((t_len + 1, bsz, proj), dtype=dt)
        cs = xp.empty((t_len + 1, bsz, hid), dtype=dt)
        tcs = xp.empty((t_len, bsz, hid), dtype=dt)
        ms = xp.empty((t_len, bsz, hid), dtype=dt)
        hs[0], cs[0] = h0, c0
        whh_t, whr_t = xp.ascontiguousarray(w_hh.T), xp.ascontiguousarray(w_hr.T)
        h2, h3 = 2 * hid, 3 * hid
        for t in range(t_len):
            a = gates[t]
            a += xp.matmul(hs[t], whh_t)
            for s in (a[:, :h2], a[:, h3:]):
                xp.negative(s, out=s)
                xp.exp(s, out=s)
                s += 1
                xp.reciprocal(s, out=s)
            xp.tanh(a[:, h2:h3], out=a[:, h2:h3])
            xp.multiply(a[:, hid:h2], cs[t], out=cs[t + 1])
            cs[t + 1] += a[:, :hid] * a[:, h2:h3]
            xp.tanh(cs[t + 1], out=tcs[t])
            xp.multiply(a[:, h3:], tcs[t], out=ms[t])
            xp.matmul(ms[t], whr_t, out=hs[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh, w_hr)
        ctx.cache = (gates, cs, hs, tcs, ms)
        return hs[1:].copy(), hs[t_len].copy(), cs[t_len].copy()

    @classmethod
    def backward(cls, ctx, g_out, g_h, g_c):
        xp, (x, w_ih, w_hh, w_hr) = cls._saved(ctx, g_out, g_h, g_c)
        gates, cs, hs, tcs, ms = ctx.cache
        t_len, bsz, hid = tcs.shape
        proj = hs.shape[2]
        dt = x.dtype
        one = dt.type(1)
        h2, h3 = 2 * hid, 3 * hid
        dgates = xp.empty_like(gates)
        dhs = xp.empty((t_len, bsz, proj), dtype=dt)  # dL/dh_t for every step, for dW_hr in one GEMM
        dh = _carried(xp, g_h, (bsz, proj), dt)
        dc = _carried(xp, g_c, (bsz, hid), dt)
        for t in range(t_len - 1, -1, -1):
            if g_out is not None:
                dh = dh + g_out[t]
            dhs[t] = dh
            dm = xp.matmul(dh, w_hr)
            a = gates[t]
            i, f, g, o = a[:, :hid], a[:, hid:h2], a[:, h2:h3], a[:, h3:]
            dc = dc + dm * o * (one - tcs[t] * tcs[t])
            dg = dgates[t]
            dg[:, :hid] = dc * g * i * (one - i)
            dg[:, hid:h2] = dc * cs[t] * f * (one - f)
            dg[:, h2:h3] = dc * i * (one - g * g)
            dg[:, h3:] = dm * tcs[t] * o * (one - o)
            dc = dc * f
            dh = xp.matmul(dg, w_hh)
        need = ctx.needs_input_grad
        gx, gw_ih, gw_hh, gb_ih, gb_hh = cls._input_grads(ctx, xp, dgates, dgates, x, hs, w_ih)
        gw_hr = xp.matmul(dhs.reshape(t_len * bsz, proj).T, ms.reshape(t_len * bsz, hid)) if need[7] else None
        return gx, dh if need[1] else None, dc if need[2] else None, gw_ih, gw_hh, gb_ih, gb_hh, gw_hr


def run_layer(mode: str, x: Tensor, h0: Tensor, c0: Tensor | None, weights, reverse: bool):
    """Run one direction of one layer on a time-major (T, B, I) tensor.

    ``weights`` is (w_ih, w_hh, b_ih, b_hh) (biases may be None), plus w_hr for an LSTM with a
    projection. Returns (out, h_n, c_n or None).
    """
    w_ih, w_hh, b_ih, b_hh = weights[:4]
    if reverse:
        x = flip(x, (0,))
    if mode == "LSTM" and len(weights) == 5:
        out, h, c = LSTMProjLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, weights[4])
    elif mode == "LSTM":
        out, h, c = LSTMLayer.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    elif mode == "GRU":
        out, h = GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh)
        c = None
    else:
        out, h = RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, mode == "RNN_RELU")
        c = None
    if reverse:
        out = flip(out, (0,))
    return out, h, c

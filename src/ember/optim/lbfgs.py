"""L-BFGS: limited-memory quasi-Newton steps, optionally with a strong-Wolfe line search."""

from __future__ import annotations

from .._backend import array_module, errstate, is_array
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad
from ._checks import check_hyperparameters
from .optimizer import Optimizer, _to_float, _wrap

__all__ = ["LBFGS"]

# Scalars (dot products, step lengths) are 0-d results (NumPy scalars) of the parameters' dtype, the way
# torch keeps them as 0-d tensors: float32 parameters give float32 arithmetic, float64 give float64.
# Division by zero and overflow follow IEEE silently, as in torch.


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1, g1) and (x2, f2, g2), clipped to ``bounds``."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    xp = array_module(x1, f1, g1, x2, f2, g2)
    with errstate(xp, divide="ignore", invalid="ignore", over="ignore"):
        d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
        d2_square = d1**2 - g1 * g2
        if d2_square >= 0:
            d2 = xp.sqrt(d2_square)
            if x1 <= x2:
                min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
            else:
                min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
            return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """Line search for a step ``t`` along ``d`` meeting the strong Wolfe conditions (bracketing, then zoom)."""
    d_norm = array_module(d).abs(d).max()
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    bracket = bracket_f = bracket_g = bracket_gtd = None
    while ls_iter < max_ls:
        # sufficient decrease violated, or no longer decreasing: the minimum is bracketed
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point satisfies the conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = obj_func(x, t, d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new.copy(), gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos], bracket_gtd[high_pos] = bracket_g[low_pos], bracket_gtd[low_pos]
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new.copy(), gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _unpack(x):
    """State value -> working value: tensors become arrays (0-d ones NumPy scalars)."""
    if isinstance(x, Tensor):
        return x._data if x._data.ndim else x._data[()]
    if isinstance(x, list):
        return [_unpack(v) for v in x]
    return x


def _pack(x):
    """Working value -> state value: arrays and NumPy scalars (typed, unlike Python floats) become ember tensors."""
    if is_array(x):
        return _wrap(x)
    if hasattr(x, "dtype"):
        return _wrap(array_module(x).asarray(x))
    if isinstance(x, list):
        return [_pack(v) for v in x]
    return x


class LBFGS(Optimizer):
    r"""L-BFGS, PyTorch's ``torch.optim.LBFGS``: ``step(closure)`` runs up to ``max_iter`` iterations.

    .. math::
        d_k = -H_k \nabla f(\theta_k),\quad \theta_{k+1} = \theta_k + t_k d_k

    where :math:`H_k` is the two-loop-recursion inverse-Hessian estimate from the last
    ``history_size`` pairs :math:`(s_i, y_i) = (\theta_{i+1}-\theta_i, \nabla f_{i+1} - \nabla f_i)`, scaled by
    :math:`\frac{s^\top y}{y^\top y}`, and :math:`t_k` is ``lr`` (or the first step
    :math:`\min(1, 1/\lVert g\rVert_1)\,\gamma`) or found by a strong-Wolfe line search.

    Args:
        params: tensors to optimize (one group only).
        lr: step length (default 1).
        max_iter: iterations per ``step`` (default 20).
        max_eval: closure evaluations per ``step`` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when :math:`\lVert g\rVert_\infty \le` this (default 1e-7).
        tolerance_change: stop when the step or the loss change falls below this (default 1e-9).
        history_size: number of curvature pairs kept (default 100).
        line_search_fn: ``None`` or ``"strong_wolfe"``.

    Example:
        >>> opt = ember.optim.LBFGS([w], lr=1, line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad(); loss = f(w); loss.backward(); return loss
        >>> opt.step(closure)
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        check_hyperparameters(lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _numel(self) -> int:
        return sum(p._data.size for p in self._params)

    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            if p.grad is None:
                views.append(array_module(p._data).zeros(p._data.size, dtype=p._data.dtype))
            else:
                views.append(p.grad._data.reshape(-1))
        return array_module(*views).concatenate(views)

    def _add_grad(self, step_size, update) -> None:
        """θ ← θ + t · update (the flat vector split back into the parameters)."""
        offset = 0
        for p in self._params:
            P = p._data
            n = P.size
            xp = array_module(P, update)
            xp.add(P, xp.multiply(update[offset : offset + n].reshape(P.shape), step_size), out=P)
            p._version[0] += 1
            offset += n

    def _clone_param(self) -> list:
        return [p._data.copy() for p in self._params]

    def _set_param(self, params_data) -> None:
        for p, pdata in zip(self._params, params_data):
            array_module(p._data, pdata).copyto(p._data, pdata)
            p._version[0] += 1

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; returns the closure's loss before the first one."""
        if closure is None:
            raise RuntimeError(
                "LBFGS.step() needs a closure: a function that zeroes the gradients, recomputes the loss, "
                "calls loss.backward() and returns the loss"
            )
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        lr = _to_float(group["lr"])
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = closure()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1

        flat_grad = self._gather_flat_grad()
        xp = array_module(flat_grad)
        if xp.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d = _unpack(state.get("d"))
        t = _unpack(state.get("t"))
        old_dirs = _unpack(state.get("old_dirs"))
        old_stps = _unpack(state.get("old_stps"))
        ro = _unpack(state.get("ro"))
        H_diag = _unpack(state.get("H_diag"))
        prev_flat_grad = _unpack(state.get("prev_flat_grad"))
        prev_loss = _unpack(state.get("prev_loss"))
        al = _unpack(state["al"]) if "al" in state else None

        n_iter = 0
        # the closure runs under the caller's floating-point error settings
        user_err = xp.geterr() if hasattr(xp, "geterr") else {}
        with errstate(xp, divide="ignore", over="ignore", invalid="ignore"):
            while n_iter < max_iter:
                n_iter += 1
                state["n_iter"] += 1

                # direction: steepest descent first, then the two-loop recursion
                if state["n_iter"] == 1:
                    d = xp.negative(flat_grad)
                    old_dirs, old_stps, ro = [], [], []
                    H_diag = 1
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = y.dot(s)
                    if ys > 1e-10:
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_stps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_stps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / y.dot(y)
                    num_old = len(old_dirs)
                    if al is None:
                        al = [None] * history_size
                    q = xp.negative(flat_grad)
                    for i in range(num_old - 1, -1, -1):
                        al[i] = old_stps[i].dot(q) * ro[i]
                        q -= old_dirs[i] * al[i]
                    d = r = q * H_diag
                    for i in range(num_old):
                        be_i = old_dirs[i].dot(r) * ro[i]
                        r += old_stps[i] * (al[i] - be_i)

                if prev_flat_grad is None:
                    prev_flat_grad = flat_grad.copy()
                else:
                    xp.copyto(prev_flat_grad, flat_grad)
                prev_loss = loss

                # step length
                if state["n_iter"] == 1:
                    t = min(1.0, 1.0 / xp.abs(flat_grad).sum()) * lr
                else:
                    t = lr
                gtd = flat_grad.dot(d)
                if gtd > -tolerance_change:  # not a descent direction
                    break

                ls_func_evals = 0
                if line_search_fn is not None:
                    if line_search_fn != "strong_wolfe":
                        raise RuntimeError("only 'strong_wolfe' is supported")
                    x_init = self._clone_param()

                    def obj_func(x, t, d):
                        return self._directional_evaluate(closure, x, t, d)

                    with errstate(xp, **user_err):
                        loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                            obj_func, x_init, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                        )
                    self._add_grad(t, d)
                    opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                else:
                    self._add_grad(t, d)
                    if n_iter != max_iter:
                        with errstate(xp, **user_err):
                            loss = float(closure())
                        flat_grad = self._gather_flat_grad()
                        opt_cond = xp.abs(flat_grad).max() <= tolerance_grad
                        ls_func_evals = 1

                current_evals += ls_func_evals
                state["func_evals"] += ls_func_evals

                # stopping conditions
                if n_iter == max_iter:
                    break
                if current_evals >= max_eval:
                    break
                if opt_cond:
                    break
                if xp.abs(d * t).max() <= tolerance_change:
                    break
                if abs(loss - prev_loss) < tolerance_change:
                    break

        state["d"] = _pack(d)
        state["t"] = _pack(t)
        state["old_dirs"] = _pack(old_dirs)
        state["old_stps"] = _pack(old_stps)
        state["ro"] = _pack(ro)
        state["H_diag"] = _pack(H_diag)
        state["prev_flat_grad"] = _pack(prev_flat_grad)
        state["prev_loss"] = prev_loss
        if al is not None:
            state["al"] = _pack(al)
        return orig_loss

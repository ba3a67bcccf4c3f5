"""Optimizer: the base class of every ``ember.optim`` algorithm.

Holds ``param_groups`` (a list of dicts: the tensors plus their hyper-parameters) and
``state`` (a dict keyed by parameter, one dict of ember tensors per parameter), with
PyTorch's ``state_dict`` layout so checkpoints move between the two frameworks.

One loop serves every algorithm (``Optimizer.step``): it evaluates the closure, walks the
groups and their parameters, skips missing gradients, initialises per-parameter state on
the first step, counts steps, applies ``maximize`` and weight decay (coupled, or decoupled
as AdamW's), and bumps each parameter's version. An algorithm supplies small pieces:
``_state_zeros`` (the names of its per-parameter state arrays; ``_init_state`` when it needs
more), ``_hyper(group)`` when it derives anything from the group's hyper-parameters (read as
plain floats once per step) and ``_update(param, grad, owned, state, hp)``, a function on arrays
that updates ``param`` in place with in-place ufuncs of the arrays' own module
(``xp = array_module(param, grad)``), so no autograd graph is ever recorded by an update.
PyTorch splits its optimizers the same way (the class holds groups and state;
``torch.optim._functional`` holds the math). Constructor checks live in ``_checks.py``.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from itertools import chain
from types import SimpleNamespace
from typing import Any

import numbers

import numpy as np

from .._backend import array_module, is_array
from .._dtype import get_default_dtype
from .._tensor import Tensor
from ..autograd.grad_mode import enable_grad

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook", "required"]

_wrap = Tensor._wrap


class _RequiredParameter:
    """Marks a hyper-parameter every param group must give (``lr`` of a bare ``Optimizer``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class _HookHandle:
    """``handle.remove()`` takes a registered hook out of its dict."""

    _next_id = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = _HookHandle._next_id
        _HookHandle._next_id += 1

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


_global_optimizer_pre_hooks: dict[int, Callable] = OrderedDict()
_global_optimizer_post_hooks: dict[int, Callable] = OrderedDict()


def register_optimizer_step_pre_hook(hook: Callable) -> _HookHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's ``step``; it may return new (args, kwargs)."""
    handle = _HookHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook: Callable) -> _HookHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's ``step``."""
    handle = _HookHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


# -- small helpers shared by the algorithms ----------------------------------------------------

_Hyper = SimpleNamespace  # one group's hyper-parameters for one step, as attributes (see Optimizer._hyper)


def _scalar_np_dtype():
    """dtype of the ``step`` counters: float64 when the default dtype is float64, else float32 (like torch)."""
    return np.float64 if get_default_dtype().np == np.float64 else np.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """A 0-d float tensor holding a step count (or another per-parameter scalar).

    It lives with the host library (``array_module()`` of no array), as torch keeps ``step`` on the CPU."""
    return _wrap(array_module().array(value, dtype=_scalar_np_dtype()))


def _zeros_like(P) -> Tensor:
    """A state tensor of zeros shaped, typed and placed like the parameter array ``P``."""
    return _wrap(array_module(P).zeros_like(P))


def _to_float(x) -> float:
    """A hyper-parameter as a Python float (one-element tensors included)."""
    return x if type(x) is float else float(x)


def _plain(value):
    """A group entry as an update reads it: numbers and one-element tensors become floats, tuples of them
    tuples of floats; flags, ``None``, strings and anything else stay as they are."""
    kind = type(value)
    if kind is float or kind is bool or value is None or kind is str:  # the common entries, without ABC checks
        return value
    if kind is int:
        return float(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Real) or (isinstance(value, Tensor) and value.numel() == 1):
        return float(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    return value


def _grad_of(p: Tensor, maximize: bool, weight_decay: float):
    """The gradient array to step with: ``g = ±∇`` (sign by ``maximize``) ``+ λθ`` for L2 weight decay.

    Returns ``(g, owned)``; ``owned`` is True when ``g`` is a fresh array the caller may overwrite.
    """
    g = p.grad._data
    xp = array_module(p._data, g)
    if weight_decay != 0:
        out = xp.multiply(p._data, weight_decay, out=xp.empty_like(g))
        if maximize:
            xp.subtract(out, g, out=out)
        else:
            xp.add(out, g, out=out)
        return out, True
    if maximize:
        return xp.negative(g, out=xp.empty_like(g)), True
    return g, False


def _lerp_(a, b, w: float, tmp) -> None:
    """``a ← (1 − w) a + w b`` in place (torch's ``lerp_``; three passes, the scaled copy reads one array)."""
    xp = array_module(a, b)
    xp.multiply(a, 1.0 - w, out=a)
    xp.multiply(b, w, out=tmp)
    xp.add(a, tmp, out=a)


def _ema_sq_(v, g, beta: float, tmp) -> None:
    """``v ← β v + (1 − β) g²`` in place."""
    xp = array_module(v, g)
    xp.multiply(v, beta, out=v)
    xp.square(g, out=tmp)
    xp.multiply(tmp, 1.0 - beta, out=tmp)
    xp.add(v, tmp, out=v)


def _adam_moments(st, g, beta1: float, beta2: float, tmp) -> tuple:
    """Adam's moments updated in place in the state ``st``: ``m ← β₁ m + (1 − β₁) g`` (its ``exp_avg``) and
    ``v ← β₂ v + (1 − β₂) g²`` (its ``exp_avg_sq``); returns the arrays (m, v). ``tmp``: scratch."""
    m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
    _lerp_(m, g, 1.0 - beta1, tmp)
    _ema_sq_(v, g, beta2, tmp)
    return m, v


def _add_scaled_(param, d, c: float, out=None) -> None:
    """``θ ← θ + c d`` in place; ``c d`` is written to ``out`` (``d`` itself when it is scratch, a new array if None)."""
    xp = array_module(param, d)
    xp.add(param, xp.multiply(d, c, out=out), out=param)


def _typename(obj) -> str:
    t = type(obj)
    mod = t.__module__
    return t.__qualname__ if mod in ("builtins", None) else f"{mod}.{t.__qualname__}"


def _wrap_step(step):
    """Run the global and per-instance step hooks around ``step`` and record that it ran."""
    if getattr(step, "_ember_hooked", False):
        return step

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_stepping"):  # a subclass's step() calling super().step(): hooks already ran
            return step(self, *args, **kwargs)
        self._opt_called = True
        if self._optimizer_step_pre_hooks or _global_optimizer_pre_hooks:
            for pre_hook in chain(_global_optimizer_pre_hooks.values(), self._optimizer_step_pre_hooks.values()):
                result = pre_hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}."
                        )
        self._stepping = True
        try:
            out = step(self, *args, **kwargs)
        finally:
            self._stepping = False
        if self._optimizer_step_post_hooks or _global_optimizer_post_hooks:
            for post_hook in chain(self._optimizer_step_post_hooks.values(), _global_optimizer_post_hooks.values()):
                post_hook(self, args, kwargs)
        return out

    wrapper._ember_hooked = True
    return wrapper


class Optimizer:
    """Base class for all optimizers: parameter groups, per-parameter state, state_dict I/O.

    Args:
        params: an iterable of tensors, of ``(name, tensor)`` pairs, or of dicts (parameter
            groups, each with a ``"params"`` entry and optional per-group hyper-parameters).
        defaults: hyper-parameter values used by groups that do not set them.

    PyTorch's implementation switches, which every algorithm takes where torch's does: ``foreach``,
    ``capturable`` and ``fused`` are stored in the groups and change nothing (ember has one
    implementation, computing with the array library that holds the parameters);
    ``differentiable=True`` raises ``NotImplementedError`` (ember does not differentiate through a step).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _wrap_step(cls.__dict__["step"])

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        if defaults.get("differentiable"):
            raise NotImplementedError(
                f"{type(self).__name__}(differentiable=True) is not supported: ember optimizers update the "
                "parameter arrays in place with NumPy and do not record the step for autograd"
            )
        self.defaults = defaults
        self._init_hooks()
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, but got "
                + _typename(params)
            )
        self.state: defaultdict[Tensor, Any] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def _init_hooks(self) -> None:
        self._optimizer_step_pre_hooks: dict[int, Callable] = OrderedDict()
        self._optimizer_step_post_hooks: dict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_pre_hooks: dict[int, Callable] = OrderedDict()
        self._optimizer_state_dict_post_hooks: dict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: dict[int, Callable] = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: dict[int, Callable] = OrderedDict()

    # -- pickling / printing ----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_optimizer_step_pre_hooks" not in self.__dict__:
            self._init_hooks()
        self.defaults.setdefault("differentiable", False)
        # Groups pickled by an older version may lack options added since: take today's defaults.
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"

    # -- groups -----------------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters (with optional hyper-parameters of its own), e.g. when unfreezing layers."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names

        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)

        if len(tensors) != len({id(p) for p in tensors}):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )

        seen: set[int] = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(id(p) for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients and stepping -------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients: drop them (``set_to_none=True``, the default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                if g._data.flags.writeable:
                    g._data.fill(0)
                    g._bump_version()
                else:
                    p.grad = _wrap(array_module(g._data).zeros_like(g._data))

    def step(self, closure: Callable[[], Any] | None = None):
        """Perform one optimization step (and return the closure's loss when one is given)."""
        if type(self)._update is Optimizer._update:
            raise NotImplementedError
        loss = self._eval_closure(closure)
        state = self.state
        for group in self.param_groups:
            hp = self._hyper(group)
            stateful = self._keeps_state(hp)
            for p in group["params"]:
                if p.grad is None:
                    continue
                st = None
                if stateful:
                    st = state[p]
                    if not st:
                        self._init_state(p, st, group)
                    step_t = st.get("step")
                    if step_t is not None:
                        step_t._data += 1
                self._update(p._data, *self._gradient(p, hp), st, hp)
                p._version[0] += 1
        return loss

    # -- what an algorithm supplies to the loop ---------------------------------------------------

    #: the per-parameter state arrays the base ``_init_state`` creates as zeros like the parameter
    _state_zeros: tuple[str, ...] = ()

    def _hyper(self, group: dict[str, Any]) -> Any:
        """The group's hyper-parameters for this step: its entries as attributes, numbers as plain floats.

        The loop reads ``hp.maximize``, ``hp.weight_decay`` (0 when absent), ``hp.decoupled_weight_decay``
        and ``hp.lr`` from it; an algorithm overrides this to add what it derives once per group."""
        return _Hyper(**{k: _plain(v) for k, v in group.items() if k != "params"})

    def _keeps_state(self, hp: Any) -> bool:
        """Whether this step touches per-parameter state (SGD without momentum keeps none, like torch)."""
        return True

    def _init_state(self, p: Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        """Fill a parameter's empty ``state`` on its first step: a ``step`` counter (counted by the loop)
        and a zero array like the parameter for each name in ``_state_zeros``."""
        state["step"] = _step_tensor()
        for name in self._state_zeros:
            state[name] = _zeros_like(p._data)

    @staticmethod
    def _update(param, grad, owned: bool, state: dict[str, Any] | None, hp: Any) -> None:
        """The algorithm: update ``param`` in place from ``grad`` (``owned``: a scratch copy it may overwrite)."""
        raise NotImplementedError

    @staticmethod
    def _gradient(p: Tensor, hp: Any):
        """``(g, owned)``: the gradient with ``maximize`` and coupled weight decay applied; decoupled decay
        (``θ ← θ(1 − γλ)``, AdamW's) is applied to the parameter here, before the update."""
        wd = getattr(hp, "weight_decay", 0.0)
        if wd != 0 and getattr(hp, "decoupled_weight_decay", False):
            array_module(p._data).multiply(p._data, 1.0 - hp.lr * wd, out=p._data)
            wd = 0
        return _grad_of(p, hp.maximize, wd)

    @staticmethod
    def _eval_closure(closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # -- hooks ------------------------------------------------------------------------------------
    @staticmethod
    def _register(hooks: dict, hook: Callable, prepend: bool = False) -> _HookHandle:
        handle = _HookHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    def register_step_pre_hook(self, hook: Callable) -> _HookHandle:
        """``hook(optimizer, args, kwargs) -> None | (args, kwargs)`` runs before each ``step``."""
        return self._register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook: Callable) -> _HookHandle:
        """``hook(optimizer, args, kwargs)`` runs after each ``step``."""
        return self._register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """``hook(optimizer)`` runs before ``state_dict``."""
        return self._register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """``hook(optimizer, state_dict) -> None | state_dict`` runs after ``state_dict``."""
        return self._register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """``hook(optimizer, state_dict) -> None | state_dict`` runs before ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook: Callable, prepend: bool = False) -> _HookHandle:
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return self._register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # -- state_dict -------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Parameters are referred to by their position across all groups (PyTorch's layout);
        the per-parameter state holds references to the live tensors (deep-copy to snapshot).
        """
        for pre_hook in self._optimizer_state_dict_pre_hooks.values():
            pre_hook(self)
        index_of: dict[int, int] = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(index_of[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": packed_state, "param_groups": param_groups}
        for post_hook in self._optimizer_state_dict_post_hooks.values():
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    @staticmethod
    def _cast_value(param: Tensor, value, key=None):
        """A deep copy of a loaded state value; float tensors (except ``step``) take the parameter's dtype."""
        if isinstance(value, Tensor):
            arr = value._data
            xp = array_module(arr)
            if key != "step" and param._data.dtype.kind == "f" and arr.dtype.kind in "fiub":
                return _wrap(xp.array(arr, dtype=param._data.dtype, copy=True))
            return _wrap(xp.array(arr, copy=True))
        if is_array(value):
            return _wrap(array_module(value).array(value, copy=True))
        if isinstance(value, dict):
            return {k: Optimizer._cast_value(param, v, key=k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_value(param, v) for v in value)
        return copy.deepcopy(value)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a ``state_dict()`` (ember's or a converted PyTorch one) into this optimizer.

        The saved groups must match this optimizer's in number and sizes. State tensors are
        copied and cast to their parameter's dtype; hyper-parameters come from the saved groups.
        """
        state_dict = state_dict.copy()
        for pre_hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError(
                "loaded state dict contains a parameter group that doesn't match the size of optimizer's group"
            )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in groups),
            )
        )
        state: defaultdict[Any, dict] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                cast = self._cast_value(param, v)
                if isinstance(cast, dict) and "step" in cast and not isinstance(cast["step"], Tensor):
                    cast["step"] = _step_tensor(float(cast["step"]))
                state[param] = cast
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
        for post_hook in self._optimizer_load_state_dict_post_hooks.values():
            post_hook(self)


Optimizer.step = _wrap_step(Optimizer.step)

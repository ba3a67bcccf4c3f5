"""``Module``: the base class of every layer and model, with PyTorch's registration model.

Assigning a `Parameter`, a ``Module`` or a registered buffer as an attribute routes
it into ``_parameters``, ``_modules`` or ``_buffers``; ``__getattr__`` consults those dicts
only when normal lookup fails, so attribute access on the hot path costs what it costs on
any Python object. ``state_dict`` keys are PyTorch's dotted names, so checkpoints move
between ember and PyTorch unchanged.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict, namedtuple
from collections.abc import Iterator, Mapping
from typing import Any, Callable

import numpy as np

from ... import _dtype as D
from ... import _memory_format as _MF
from ..._backend import array_module
from ..._device import _check_device
from ..._tensor import Tensor
from ..._to_args import parse_to
from ...autograd import grad_mode as _gm
from ...autograd.function import Function
from ..parameter import Buffer, Parameter, is_lazy

__all__ = ["Module", "RemovableHandle"]

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"

# every per-module hook dict, in the order torch's Module.__init__ creates them
_HOOK_DICTS = (
    "_backward_pre_hooks",
    "_backward_hooks",
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_state_dict_hooks",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it missed and the keys it did not expect."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook (also a context manager)."""

    _next_id = 0

    def __init__(self, hooks_dict: dict, *, extra_dict=None):
        self.hooks_dict_ref = weakref.ref(hooks_dict) if _weakrefable(hooks_dict) else (lambda: hooks_dict)
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        extras = [] if extra_dict is None else extra_dict if isinstance(extra_dict, list) else [extra_dict]
        self.extra_dict_ref = tuple(weakref.ref(d) if _weakrefable(d) else (lambda d=d: d) for d in extras)

    def remove(self) -> None:
        hooks = self.hooks_dict_ref()
        if hooks is not None:
            hooks.pop(self.id, None)
        for ref in self.extra_dict_ref:
            d = ref()
            if d is not None:
                d.pop(self.id, None)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _add_hook(hooks: dict, hook, prepend: bool = False, marks=()) -> RemovableHandle:
    """Store ``hook`` in ``hooks`` under a new handle's id (first if ``prepend``); ``marks`` lists (dict, flag)
    pairs: the id is entered in each dict whose flag is set, and removing the handle clears it from all of them."""
    handle = RemovableHandle(hooks, extra_dict=[d for d, _ in marks] or None)
    hooks[handle.id] = hook
    for d, flag in marks:
        if flag:
            d[handle.id] = True
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _weakrefable(d) -> bool:
    try:
        weakref.ref(d)
        return True
    except TypeError:
        return False


def _typename(obj) -> str:
    """``torch.typename``: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return f"torch.{obj.dtype._legacy}"
    module = getattr(obj, "__module__", "") or ""
    qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if qualname is None:
        module = type(obj).__module__ or ""
        qualname = type(obj).__qualname__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


def _check_new_name(module, kind: str, store: str, name) -> None:
    """torch's checks, in torch's order, on the name of a new ``kind`` ("buffer", "parameter") kept in ``store``."""
    if store not in module.__dict__:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain "."')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if hasattr(module, name) and name not in module.__dict__[store]:
        raise KeyError(f"attribute '{name}' already exists")


def _addindent(s: str, num_spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    rest = [(num_spaces * " ") + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(rest)


def _torch_size_repr(shape) -> str:
    return f"torch.Size({list(shape)})"


def _values(named: Iterator[tuple[str, Any]]) -> Iterator[Any]:
    """The values of ``(name, value)`` pairs, as they come: what ``parameters()`` is to ``named_parameters()``."""
    for _, value in named:
        yield value


def _forward_unimplemented(self, *input: Any) -> None:
    raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')


class Module:
    """Base class for all neural network modules; subclass it and define ``forward``.

    Example:
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)

            def forward(self, x):
                return self.fc(x).relu()
    """

    dump_patches: bool = False
    _version: int = 1
    training: bool
    call_super_init: bool = False

    def __init__(self, *args, **kwargs) -> None:
        if self.call_super_init is False and bool(kwargs):
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument '{next(iter(kwargs))}'")
        if self.call_super_init is False and bool(args):
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} were given")
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        for name in _HOOK_DICTS:
            setattr_(self, name, OrderedDict())
        setattr_(self, "_modules", {})
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    forward: Callable[..., Any] = _forward_unimplemented

    # -- registration -------------------------------------------------------------------------------
    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a tensor that is module state but not a parameter (e.g. BatchNorm's running mean).

        Persistent buffers are part of ``state_dict``; non-persistent ones are not.
        """
        _check_new_name(self, "buffer", "_buffers", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' (torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            plain = Tensor._wrap(tensor._data)
            plain._version = tensor._version
            plain._requires_grad = tensor._requires_grad
            tensor = plain
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``, a declared but absent parameter) under ``name``."""
        _check_new_name(self, "parameter", "_parameters", name)
        if param is None:
            self._parameters[name] = None
        elif not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' (torch.nn.Parameter or None required)"
            )
        elif param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be created explicitly. "
                f"To express '{name}' as a function of another Tensor, compute the value in the forward() method."
            )
        else:
            self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module, reachable as an attribute ``name``."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {_typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias for `add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` ('' is this module)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def _attribute_at(self, target: str):
        """(owning module, name, value) of the attribute at the dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        return mod, name, getattr(mod, name)

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target`` (e.g. ``'net.0.weight'``)."""
        _, name, param = self._attribute_at(target)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target``."""
        mod, name, buffer = self._attribute_at(target)
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return buffer

    def get_extra_state(self) -> Any:
        """Override (with `set_extra_state`) to store non-tensor state in ``state_dict``."""
        raise RuntimeError(
            "Reached a code path in Module.get_extra_state() that should never be called. Please file an issue."
        )

    def set_extra_state(self, state: Any) -> None:
        raise RuntimeError(
            "Reached a code path in Module.set_extra_state() that should never be called. Please file an issue."
        )

    # -- attribute routing --------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails.
        d = self.__dict__
        if "_parameters" in d:
            params = d["_parameters"]
            if name in params:
                return params[name]
        if "_buffers" in d:
            buffers = d["_buffers"]
            if name in buffers:
                return buffers[name]
        if "_modules" in d:
            modules = d["_modules"]
            if name in modules:
                return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            _remove_from(name, d, self._buffers, self._modules, self._non_persistent_buffers_set)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' (torch.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            _remove_from(name, d, self._parameters, self._buffers, self._non_persistent_buffers_set)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' (torch.nn.Module or None expected)"
                )
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' (torch.nn.Buffer, torch.Tensor or None expected)"
                )
            if buffers is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            persistent = value.persistent if isinstance(value, Buffer) else name not in self._non_persistent_buffers_set
            if isinstance(value, Buffer):
                _remove_from(name, d, self._parameters, self._modules)
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(dir(self.__class__)) + list(self.__dict__) + list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in keys if not k[0].isdigit())

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        # a module pickled before a kind of hook existed gets an empty dict for it
        for name in _HOOK_DICTS:
            if name not in self.__dict__:
                object.__setattr__(self, name, OrderedDict())
        if "_non_persistent_buffers_set" not in self.__dict__:
            object.__setattr__(self, "_non_persistent_buffers_set", set())

    # -- calling -------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        # The fast path: no hooks, straight to forward.
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or self._backward_pre_hooks):
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    _call_impl = __call__

    def _call_with_hooks(self, args: tuple, kwargs: dict):
        for hook_id, hook in list(self._forward_pre_hooks.items()):
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            "forward pre-hook must return None or a tuple of (new_args, new_kwargs), but got "
                            f"{result}."
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        backward_state = None
        if self._backward_hooks or self._backward_pre_hooks:
            backward_state = _BackwardHookState(self)
            args = backward_state.wrap_inputs(args)
        called = set()
        try:
            result = self.forward(*args, **kwargs)
            for hook_id, hook in list(self._forward_hooks.items()):
                called.add(hook_id)
                if hook_id in self._forward_hooks_with_kwargs:
                    out = hook(self, args, kwargs, result)
                else:
                    out = hook(self, args, result)
                if out is not None:
                    result = out
        except Exception:
            for hook_id, hook in list(self._forward_hooks.items()):
                if hook_id in self._forward_hooks_always_called and hook_id not in called:
                    try:
                        if hook_id in self._forward_hooks_with_kwargs:
                            hook(self, args, kwargs, None)
                        else:
                            hook(self, args, None)
                    except Exception:  # the original error is the one to report
                        pass
            raise
        if backward_state is not None:
            result = backward_state.wrap_outputs(result)
        return result

    # -- hooks ---------------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` (or ``hook(module, args, kwargs)``) before ``forward``;
        a non-None return value replaces the inputs."""
        return _add_hook(self._forward_pre_hooks, hook, prepend, [(self._forward_pre_hooks_with_kwargs, with_kwargs)])

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after ``forward``; a non-None return value replaces the output."""
        marks = [(self._forward_hooks_with_kwargs, with_kwargs), (self._forward_hooks_always_called, always_call)]
        return _add_hook(self._forward_hooks, hook, prepend, marks)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients with respect to the
        module's tensor inputs are computed; a non-None return value replaces ``grad_input``."""
        return _add_hook(self._backward_hooks, hook, prepend)

    register_backward_hook = register_full_backward_hook

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs arrive;
        a non-None return value replaces ``grad_output``."""
        return _add_hook(self._backward_pre_hooks, hook, prepend)

    def register_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, prefix, keep_vars)`` before this module's ``state_dict`` is built."""
        return _add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after; it must return None."""
        hook._from_public_api = True
        return _add_hook(self._state_dict_hooks, hook)

    def _register_state_dict_hook(self, hook) -> RemovableHandle:
        return _add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``
        before this module's tensors are loaded."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module: bool = False) -> RemovableHandle:
        return _add_hook(self._load_state_dict_pre_hooks, (hook, with_module))

    def register_load_state_dict_post_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, incompatible_keys)`` after ``load_state_dict``; it may edit the key lists in place."""
        return _add_hook(self._load_state_dict_post_hooks, hook)

    # -- traversal ------------------------------------------------------------------------------------
    def _named_members(self, get_members_fn, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        memo = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for k, v in get_members_fn(module):
                if v is None or id(v) in memo:
                    continue
                if remove_duplicate:
                    memo.add(id(v))
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The module's parameters (each shared parameter once); pass them to an optimizer."""
        return _values(self.named_parameters(recurse=recurse))

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        """(dotted name, parameter) pairs."""
        return self._named_members(
            lambda m: m._parameters.items(), prefix=prefix, recurse=recurse, remove_duplicate=remove_duplicate
        )

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        return _values(self.named_buffers(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True):
        return self._named_members(
            lambda m: m._buffers.items(), prefix=prefix, recurse=recurse, remove_duplicate=remove_duplicate
        )

    def children(self) -> Iterator[Module]:
        return _values(self.named_children())

    def named_children(self):
        memo = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def modules(self) -> Iterator[Module]:
        return _values(self.named_modules())

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True):
        """(dotted name, module) pairs for this module and all below it, each module once."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    # -- modes and gradients ---------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (affects Dropout, BatchNorm...) here and in every submodule."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all parameters (to None by default, else to zeros in place)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                g = p.grad
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                g._data[...] = 0
                g._bump_version()

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on this module."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- dtype and device ------------------------------------------------------------------------------
    def _apply(self, fn, recurse: bool = True) -> Module:
        """Replace every parameter's and buffer's values by ``fn(tensor)``; parameters keep their identity."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for param in self._parameters.values():
            if param is None:
                continue
            with _gm.no_grad():
                applied = fn(param)
            if applied is not param and applied._data is not param._data:
                param._data = applied._data
                param._version = [param._version[0] + 1]
            if param.grad is not None:
                with _gm.no_grad():
                    g = fn(param.grad)
                if g is not param.grad:
                    param.grad = Tensor._wrap(g._data)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._buffers[key] = fn(buf)
        return self

    def _lay_out(self, fmt) -> None:
        """``to(memory_format=fmt)``: 4-D and 5-D parameters, their grads and buffers laid out in ``fmt``
        (same values; PyTorch's rule, including its error for a format of the other rank)."""
        if fmt.rank is None:
            return
        tensors = [t for m in self.modules() for t in (*m._parameters.values(), *m._buffers.values()) if t is not None]
        tensors += [p.grad for p in self.parameters() if p.grad is not None]
        for t in tensors:
            if t._data.ndim in (4, 5):
                _MF.check_rank(t._data.shape, fmt)
                if not _MF.is_contiguous_as(t._data, fmt):
                    t._data = _MF.arrange(array_module(t._data), t._data, fmt)

    def to(self, *args, **kwargs) -> Module:
        """``to(dtype)``, ``to(device)``, ``to(device, dtype)`` or ``to(tensor)``: converts floating
        parameters and buffers in place (the Parameter objects stay the same)."""
        device, dtype, _, copy, memory_format = parse_to(args, kwargs)
        if copy:
            raise RuntimeError(".to() does not accept copy argument")
        _check_device(device)
        if memory_format is not None:
            self._lay_out(_MF.check_memory_format(memory_format, "to"))
        if dtype is None:
            return self
        target = D.as_dtype(dtype)
        if target.category != 2:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired dtype={target}")
        return self._cast_floating(target)

    def _cast_floating(self, target: D.dtype) -> Module:
        return self._apply(lambda t: t.to(target) if t._data.dtype.kind == "f" else t)

    def float(self) -> Module:
        """Cast floating parameters and buffers to float32."""
        return self._cast_floating(D.float32)

    def double(self) -> Module:
        """Cast floating parameters and buffers to float64."""
        return self._cast_floating(D.float64)

    def half(self) -> Module:
        """Cast floating parameters and buffers to float16."""
        return self._cast_floating(D.float16)

    def bfloat16(self) -> Module:
        raise TypeError("ember has no bfloat16 dtype (NumPy does not provide one); use float32 or float16")

    def type(self, dst_type) -> Module:
        """Cast all parameters and buffers to ``dst_type``."""
        target = D.as_dtype(dst_type)
        return self._apply(lambda t: t.to(target))

    def cpu(self) -> Module:
        return self

    def cuda(self, device=None) -> Module:
        _check_device("cuda")
        return self

    def mps(self, device=None) -> Module:
        _check_device("mps")
        return self

    def xpu(self, device=None) -> Module:
        _check_device("xpu")
        return self

    def to_empty(self, *, device=None, recurse: bool = True) -> Module:
        _check_device(device)
        return self

    def share_memory(self) -> Module:
        return self

    def compile(self, *args, **kwargs) -> None:
        """Accepted for compatibility (``torch.compile`` in place); ember runs eagerly."""

    # -- state dict ------------------------------------------------------------------------------------
    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        """An ordered dict of every parameter and persistent buffer, keyed by dotted name
        (``'0.weight'``, ``'encoder.fc1.bias'``...), exactly as PyTorch names them.

        Values are detached tensors sharing memory with the module (``keep_vars=True``: the
        Parameters themselves).
        """
        if args:
            destination = args[0] if destination is None else destination
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:
                destination = result
        return destination

    def _load_from_state_dict(
        self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
    ) -> None:
        """Copy this module's own parameters and buffers (not its children's) from ``state_dict``.

        Override to migrate old checkpoint formats (``local_metadata['version']``).
        """
        for hook, with_module in self._load_state_dict_pre_hooks.values():
            if with_module:
                hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
            else:
                hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        persistent_buffers = {k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set}
        local_state = {k: v for k, v in itertools.chain(self._parameters.items(), persistent_buffers.items()) if v is not None}
        assign = local_metadata.get("assign_to_params_buffers", False)
        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            array = _as_array(value)
            if array is None:
                error_msgs.append(
                    f'While copying the parameter named "{key}", expected torch.Tensor or Tensor-like object from '
                    f"checkpoint but received {type(value)}"
                )
                continue
            lazy = is_lazy(param)
            if not lazy and param._data.ndim == 0 and array.shape == (1,):
                array = array.reshape(())
            if not lazy and array.shape != param._data.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {_torch_size_repr(array.shape)} from checkpoint, "
                    f"the shape in current model is {_torch_size_repr(param._data.shape)}."
                )
                continue
            try:
                if assign or lazy:
                    _assign(self, name, param, array, value)
                else:
                    np.copyto(param._data, array, casting="unsafe")
                    param._bump_version()
            except Exception as ex:  # reported like PyTorch, with the key
                error_msgs.append(
                    f'While copying the parameter named "{key}", whose dimensions in the model are '
                    f"{_torch_size_repr(param._data.shape)} and whose dimensions in the checkpoint are "
                    f"{_torch_size_repr(array.shape)}, an exception occurred : {ex.args}."
                )
        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    parts = key[len(prefix):].split(".", 1)
                    if len(parts) > 1:
                        if parts[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif parts[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False):
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Values may be ember tensors, NumPy arrays, or anything array-like (a CPU torch tensor).
        Returns ``(missing_keys, unexpected_keys)``; with ``strict=True`` any mismatch raises
        ``RuntimeError`` with PyTorch's message.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys: list[str] = []
        unexpected_keys: list[str] = []
        error_msgs: list[str] = []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module: Module, local_state_dict, prefix: str = "") -> None:
            local_metadata = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(
                local_state_dict, prefix, local_metadata, True, missing_keys, unexpected_keys, error_msgs
            )
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state = {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)}
                    load(child, child_state, child_prefix)
            incompatible = _IncompatibleKeys(missing_keys, unexpected_keys)
            for hook in module._load_state_dict_post_hooks.values():
                if hook(module, incompatible) is not None:
                    raise AssertionError(
                        "Hooks registered with ``register_load_state_dict_post_hook`` are not expected to return new "
                        "values, if incompatible_keys need to be modified, it should be done inplace."
                    )

        with _gm.no_grad():
            load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(self.__class__.__name__, "\n\t".join(error_msgs))
            )
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # -- printing --------------------------------------------------------------------------------------
    def _get_name(self) -> str:
        return self.__class__.__name__

    def extra_repr(self) -> str:
        """The one-line description inside ``Name(...)``; override in layers."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


def _remove_from(name: str, *containers) -> None:
    for c in containers:
        if name in c:
            if isinstance(c, dict):
                del c[name]
            else:
                c.discard(name)


def _as_array(value) -> np.ndarray | None:
    """The values of a checkpoint entry as an ndarray, or None if it is not tensor-like."""
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "shape") and hasattr(value, "__array__"):
        if hasattr(value, "detach"):  # a torch tensor
            value = value.detach()
        return np.asarray(value)
    return None


def _assign(module: Module, name: str, current: Tensor, array: np.ndarray, value) -> None:
    """``load_state_dict(assign=True)``: take the checkpoint's tensor instead of copying into ours."""
    tensor = value if isinstance(value, Tensor) else Tensor._wrap(np.array(array))
    if name in module._parameters:
        if isinstance(current, Parameter) and is_lazy(current):
            current.materialize(array.shape, dtype=D.from_numpy_dtype(array.dtype))
            np.copyto(current._data, array, casting="unsafe")
            return
        new = tensor if isinstance(tensor, Parameter) else Parameter(tensor.detach(), current._requires_grad)
        new.requires_grad_(current._requires_grad)
        module._parameters[name] = new
    else:
        module._buffers[name] = tensor


# -- backward hooks --------------------------------------------------------------------------------------


class _BackwardHookState:
    """Connects a module's full backward hooks to the graph: identity Functions wrap the
    inputs and the outputs; the outputs' node sees grad_output, the inputs' node grad_input."""

    def __init__(self, module: Module):
        self.module = module
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_positions: list[int] = []

    def wrap_inputs(self, args: tuple) -> tuple:
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(positions)
        self.input_positions = positions
        tensors = [args[i] for i in positions]
        if not tensors or not any(t._requires_grad for t in tensors) or not _gm._state.enabled:
            self.inputs_tracked = False
            return args
        self.inputs_tracked = True
        return self._pass_through(_HookInputs, args, positions)

    def wrap_outputs(self, result):
        single = isinstance(result, Tensor)
        outputs = (result,) if single else result
        if not isinstance(outputs, tuple) or not _gm._state.enabled:
            return result
        tensor_positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor) and o._requires_grad]
        if not tensor_positions:
            return result
        outputs = self._pass_through(_HookOutputs, outputs, tensor_positions)
        return outputs[0] if single else outputs

    def _pass_through(self, fn: type[_HookIdentity], items: tuple, positions: list[int]) -> tuple:
        """``items`` with the tensors at ``positions`` replaced by their images under ``fn`` (one graph node)."""
        wrapped = fn.apply(self, *[items[i] for i in positions])
        if not isinstance(wrapped, tuple):
            wrapped = (wrapped,)
        items = list(items)
        for i, t in zip(positions, wrapped):
            items[i] = t
        return tuple(items)

    def run_pre_hooks(self, grads: tuple) -> tuple:
        return self._run(self.module._backward_pre_hooks, grads)

    def run_hooks(self, grad_inputs: tuple) -> tuple:
        return self._run(self.module._backward_hooks, grad_inputs, self.grad_outputs)

    def _run(self, hooks: dict, grads: tuple, *extra) -> tuple:
        """Call each ``hook(module, grads, *extra)`` in turn; a hook's non-None result replaces ``grads``."""
        for hook in list(hooks.values()):
            out = hook(self.module, grads, *extra)
            if out is not None:
                grads = tuple(out) if isinstance(out, (tuple, list)) else (out,)
        return grads


class _HookIdentity(Function):
    """Identity on tensors (detached copies out, gradients through), carrying the hook state to backward."""

    @staticmethod
    def forward(ctx, state, *tensors):
        ctx.state = state
        return tuple(t.detach() for t in tensors) if len(tensors) > 1 else tensors[0].detach()


class _HookOutputs(_HookIdentity):
    @staticmethod
    def backward(ctx, *grads):
        state = ctx.state
        grads = state.run_pre_hooks(grads)
        state.grad_outputs = grads
        if not state.inputs_tracked:
            state.run_hooks((None,) * max(state.n_inputs, 1))
        return (None, *grads)


class _HookInputs(_HookIdentity):
    @staticmethod
    def backward(ctx, *grads):
        return (None, *ctx.state.run_hooks(grads))

"""``ember.jit``: TorchScript's entry points, with eager execution.

ember has no TorchScript compiler. ``script`` and ``trace`` return the module or function they
are given, which then runs eagerly (for ``trace`` it is first run once on ``example_inputs``, as
tracing does, so a broken forward fails at the same place); the decorators return what they
decorate. ``save``/``load`` of TorchScript archives raise: save a ``state_dict`` instead.
"""

from __future__ import annotations

_FRAMES = "ember runs models eagerly and has no TorchScript format"


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """Returns ``obj`` (a module, function or class) unchanged; it runs eagerly."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace: bool = True, check_inputs=None,
          check_tolerance: float = 1e-5, strict: bool = True, _force_outplace: bool = False, _module_class=None,
          _compilation_unit=None, example_kwarg_inputs=None, _store_inputs: bool = True):
    """Runs ``func`` once on the example inputs (as tracing does) and returns it unchanged."""
    if example_inputs is None and example_kwarg_inputs is None:
        return func
    from ember.autograd import no_grad

    with no_grad():
        if example_kwarg_inputs is not None:
            func(**example_kwarg_inputs)
        else:
            func(*(example_inputs if isinstance(example_inputs, tuple) else (example_inputs,)))
    return func


def trace_module(mod, inputs, **kwargs):
    for method, args in inputs.items():
        getattr(mod, method)(*(args if isinstance(args, tuple) else (args,)))
    return mod


def _identity_decorator(fn=None, **kwargs):
    if fn is None or not callable(fn):
        return lambda f: f
    return fn


ignore = unused = export = interface = _identity_decorator


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def annotate(the_type, the_value):
    return the_value


def freeze(mod, preserved_attrs=None, optimize_numerics: bool = True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def save(m, f, _extra_files=None):
    raise RuntimeError(f"torch.jit.save: {_FRAMES}; save m.state_dict() with ember.save (torch.save) instead")


def load(f, map_location=None, _extra_files=None, _restore_shapes: bool = False):
    raise RuntimeError(f"torch.jit.load: {_FRAMES}; it cannot load a TorchScript archive")


class Final:
    """``torch.jit.Final[int]`` annotations: subscriptable, meaning nothing at run time."""

    def __class_getitem__(cls, item):
        return item


ScriptModule = object
ScriptFunction = object

"""Tracing a forward pass into an ONNX graph.

The model runs twice under ``no_grad`` with a tracer installed at the op door: once on the
given inputs and once on inputs whose dynamic axes (``dynamic_axes``) are one longer and
whose floating values are perturbed. Both runs must call the same ops in the same order;
shape arguments that differ between them (a reshape to ``(N, -1)``) become dynamic in the
graph, and a constant that differs (a value computed from the input outside ember's ops)
is refused rather than baked in, so an exported graph never silently answers for the
example input only.
"""

from __future__ import annotations

import inspect
import os
import threading
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..autograd.tracing import trace
from ..nn.modules.module import Module
from ..serialization._io import atomic_write
from ._errors import OnnxExporterError
from ._graph import GraphBuilder

MIN_OPSET = 13
MAX_OPSET = 21
DEFAULT_OPSET = 18

_exporting = threading.local()


def is_in_onnx_export() -> bool:
    """True while ``ember.onnx.export`` runs the model (in this thread)."""
    return getattr(_exporting, "active", False)


def _require_onnx():
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise ImportError(
            "ember.onnx.export needs the 'onnx' package: pip install 'ember[onnx]' (or pip install onnx)"
        ) from None
    return onnx


class ONNXProgram:
    """What ``export`` returns: the ONNX ``ModelProto`` (``.model_proto``), savable with ``.save(path)``."""

    def __init__(self, model_proto) -> None:
        self.model_proto = model_proto

    def save(self, destination, *, include_initializers: bool = True, keep_initializers_as_inputs: bool = False,
             external_data: bool | None = None) -> None:
        """Write the model to ``destination`` (a path or a binary file object)."""
        onnx = _require_onnx()
        if not include_initializers or keep_initializers_as_inputs:
            raise NotImplementedError("ONNXProgram.save: ember writes the initializers inside the graph only")
        _save(onnx, self.model_proto, destination, bool(external_data))

    def __call__(self, *args):
        """Run the exported model in onnxruntime on ember tensors or arrays; returns a list of arrays."""
        import onnxruntime as ort

        session = ort.InferenceSession(self.model_proto.SerializeToString(), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]
        feeds = {n: (a.numpy() if isinstance(a, Tensor) else np.asarray(a)) for n, a in zip(names, args)}
        return session.run(None, feeds)

    def __repr__(self) -> str:
        graph = self.model_proto.graph
        return f"ONNXProgram(inputs={[i.name for i in graph.input]}, outputs={[o.name for o in graph.output]}, nodes={len(graph.node)})"


def _save(onnx, model, destination, external_data: bool) -> None:
    if isinstance(destination, (str, os.PathLike)):
        big = model.ByteSize() > (1 << 31) - (1 << 20)
        if big:  # protobuf's 2 GiB limit: weights go beside the file
            onnx.save_model(model, os.fspath(destination), save_as_external_data=True,
                            location=os.path.basename(os.fspath(destination)) + ".data")
            return
        with atomic_write(os.fspath(destination)) as fh:
            fh.write(model.SerializeToString())
    else:
        destination.write(model.SerializeToString())


def export(
    model,
    args: Any = (),
    f=None,
    *,
    kwargs: dict | None = None,
    verbose: bool | None = None,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
    opset_version: int | None = None,
    dynamo: bool = True,
    external_data: bool = True,
    dynamic_shapes=None,
    custom_translation_table=None,
    report: bool = False,
    optimize: bool = True,
    verify: bool = False,
    profile: bool = False,
    dump_exported_program: bool = False,
    artifacts_dir=".",
    fallback: bool = False,
    export_params: bool = True,
    keep_initializers_as_inputs: bool = False,
    dynamic_axes: Mapping | None = None,
    training=None,
    operator_export_type=None,
    do_constant_folding: bool = True,
    custom_opsets: Mapping[str, int] | None = None,
    export_modules_as_functions=False,
    autograd_inlining: bool = True,
) -> ONNXProgram:
    """Export ``model`` (an ``nn.Module`` or a function of tensors) called on ``args`` to ONNX.

    Args:
        model: the module or function to export; modules are put in eval mode for the trace
            and restored afterwards (``training`` other than eval is refused).
        args: the example inputs: a tensor or a tuple of them (a trailing dict is taken as kwargs).
        f: where to write the ``.onnx`` file (a path or a binary file object); None writes nothing.
        input_names, output_names: names of the graph's inputs and outputs (defaults: the
            forward's parameter names; ``output`` or ``output_0``, ``output_1``...).
        opset_version: ONNX opset, 13 to 21 (default 18).
        dynamic_axes: ``{name: {axis: "dim_name"}}`` or ``{name: [axis, ...]}``: axes of inputs
            and outputs whose size may change (typically the batch).
        dynamic_shapes: the same for inputs, keyed by forward parameter name or given by position.
        keep_initializers_as_inputs: also list the weights as graph inputs (with defaults).
        verify: run the exported graph in onnxruntime on ``args`` and compare it with ember's output.

    Returns:
        An `ONNXProgram` holding the ``ModelProto``.

    The diagnostic options ``report``, ``profile``, ``dump_exported_program`` and the extension
    points ``custom_translation_table``, ``custom_opsets``, ``export_modules_as_functions``
    are not supported and raise; ``dynamo``, ``optimize``, ``fallback``, ``do_constant_folding``,
    ``autograd_inlining`` and ``artifacts_dir`` are accepted (ember has one exporter and emits no
    foldable constant subgraphs).
    """
    onnx = _require_onnx()
    _refuse_unsupported(report=report, profile=profile, dump_exported_program=dump_exported_program,
                        custom_translation_table=custom_translation_table, custom_opsets=custom_opsets,
                        export_modules_as_functions=export_modules_as_functions, export_params=export_params,
                        training=training, operator_export_type=operator_export_type)
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f"ember.onnx.export: opset_version must be between {MIN_OPSET} and {MAX_OPSET}, got {opset_version}")

    args, kwargs = _split_args(args, kwargs)
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise TypeError(f"ember.onnx.export: args must be tensors, got {type(a).__name__} at position {i}")
    kwargs = dict(kwargs or {})
    in_names = _input_names(model, args, input_names)
    dyn = _dynamic_axes(dynamic_axes, dynamic_shapes, in_names)

    was_training = None
    if isinstance(model, Module):
        was_training = {m: m.training for m in model.modules()}
        model.eval()
    _exporting.active = True
    try:
        calls, out = _run(model, args, kwargs)
        args2 = tuple(_variant(a, dyn.get(n, {})) for a, n in zip(args, in_names))
        calls2, out2 = _run(model, args2, kwargs)
    finally:
        _exporting.active = False
        if was_training is not None:
            for m, mode in was_training.items():
                m.training = mode

    outputs = _flatten_outputs(out)
    outputs2 = _flatten_outputs(out2)
    if len(outputs) != len(outputs2):
        raise OnnxExporterError("ember.onnx.export: the model returned a different number of outputs for another input")
    out_names = list(output_names) if output_names is not None else (
        ["output"] if len(outputs) == 1 else [f"output_{i}" for i in range(len(outputs))])
    if len(out_names) != len(outputs):
        raise ValueError(f"ember.onnx.export: output_names has {len(out_names)} names for {len(outputs)} outputs")

    builder = GraphBuilder(onnx, opset, _parameter_names(model))
    for name, a, a2 in zip(in_names, args, args2):
        builder.add_input(name, a, a2, dyn.get(name, {}))
    if len(calls) != len(calls2) or any(_op_name(c[0]) != _op_name(d[0]) for c, d in zip(calls, calls2)):
        raise OnnxExporterError(
            "ember.onnx.export: the model ran different ops for another input of the same kind; control flow "
            "that depends on input values or sizes cannot be exported to a static graph")
    for call, call2 in zip(calls, calls2):
        builder.add_call(call, call2)
    for name, t, t2 in zip(out_names, outputs, outputs2):
        builder.add_output(name, t, t2, dyn.get(name, {}))
    model_proto = builder.finish(producer_version=_version(), keep_initializers_as_inputs=keep_initializers_as_inputs)
    onnx.checker.check_model(model_proto)
    program = ONNXProgram(model_proto)
    if verbose:
        print(onnx.helper.printable_graph(model_proto.graph))
    if verify:
        got = program(*args)
        for i, (want, have) in enumerate(zip(outputs, got)):
            np.testing.assert_allclose(have, want.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"output {i} differs")
    if f is not None:
        _save(onnx, model_proto, f, bool(external_data))
    return program


def _refuse_unsupported(**options) -> None:
    for name in ("report", "profile", "dump_exported_program"):
        if options[name]:
            raise NotImplementedError(f"ember.onnx.export: {name}=True is not supported (ember writes no export report)")
    for name in ("custom_translation_table", "custom_opsets"):
        if options[name]:
            raise NotImplementedError(f"ember.onnx.export: {name} is not supported (ember translates its own ops only)")
    if options["export_modules_as_functions"]:
        raise NotImplementedError("ember.onnx.export: export_modules_as_functions is not supported (the graph is flat)")
    if not options["export_params"]:
        raise NotImplementedError("ember.onnx.export: export_params=False is not supported (weights are always stored)")
    training = options["training"]
    if training is not None and getattr(training, "name", str(training)).upper() not in ("EVAL", "TRAININGMODE.EVAL"):
        raise NotImplementedError(f"ember.onnx.export: only training=TrainingMode.EVAL is supported, got {training}")
    kind = options["operator_export_type"]
    if kind is not None and getattr(kind, "name", str(kind)).upper() not in ("ONNX", "OPERATOREXPORTTYPES.ONNX"):
        raise NotImplementedError(f"ember.onnx.export: only operator_export_type=ONNX is supported, got {kind}")


def _split_args(args, kwargs):
    if isinstance(args, Tensor):
        return (args,), kwargs
    args = tuple(args)
    if args and isinstance(args[-1], dict):
        kwargs = {**args[-1], **(kwargs or {})}
        args = args[:-1]
    return args, kwargs


def _input_names(model, args, given) -> list[str]:
    if given is not None:
        names = list(given)
        if len(names) < len(args):
            names += [f"input_{i}" for i in range(len(names), len(args))]
        return names[: len(args)]
    fn = model.forward if hasattr(model, "forward") else model
    try:
        params = [p.name for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    if len(params) >= len(args) and len(set(params)) == len(params):
        return params[: len(args)]
    return ["input"] if len(args) == 1 else [f"input_{i}" for i in range(len(args))]


def _dynamic_axes(dynamic_axes, dynamic_shapes, in_names) -> dict[str, dict[int, str]]:
    result: dict[str, dict[int, str]] = {}

    def add(name, spec):
        if spec is None:
            return
        if isinstance(spec, Mapping):
            axes = {int(k): (str(v) if v is not None else f"{name}_dim_{k}") for k, v in spec.items()}
        elif isinstance(spec, (list, tuple)):
            axes = {int(k): f"{name}_dynamic_axes_{j + 1}" for j, k in enumerate(spec)}
        else:
            raise TypeError(f"ember.onnx.export: dynamic axes of {name!r} must be a dict or a list, got {type(spec).__name__}")
        result.setdefault(name, {}).update(axes)

    for name, spec in (dynamic_axes or {}).items():
        add(name, spec)
    if dynamic_shapes is not None:
        if isinstance(dynamic_shapes, Mapping):
            for name, spec in dynamic_shapes.items():
                if name not in in_names:
                    raise ValueError(f"ember.onnx.export: dynamic_shapes names {name!r}, which is not an input ({in_names})")
                add(name, spec)
        else:
            for name, spec in zip(in_names, dynamic_shapes):
                add(name, spec)
    return result


def _variant(a: Tensor, axes: dict[int, str]) -> Tensor:
    """The second trace's input: dynamic axes one longer, floating values perturbed."""
    data = a._data
    for axis in axes:
        ax = axis % data.ndim
        last = np.take(data, [data.shape[ax] - 1], axis=ax) if data.shape[ax] else np.zeros_like(np.take(data, [0], axis=ax))
        data = np.concatenate([data, last], axis=ax)
    if data.dtype.kind == "f":
        rng = np.random.default_rng(12345)
        data = (data + rng.standard_normal(data.shape).astype(data.dtype) * data.dtype.type(0.01)).astype(data.dtype)
    else:
        data = data.copy()
    return Tensor._wrap(data)


def _run(model, args, kwargs):
    calls: list = []
    produced: dict[int, tuple] = {}  # id -> (tensor, checksum when produced, op): also keeps ids from reuse

    def tracer(op, op_args, result):
        for a in op_args if op != "inplace" else ():  # an in-place write reports x after changing it
            seen = produced.get(id(a)) if isinstance(a, Tensor) else None
            if seen is not None and _checksum(a._data) != seen[1]:
                # the graph would feed this op the value as produced, not as it is now
                raise OnnxExporterError(
                    f"ember.onnx.export: {_op_name(op)} reads the result of {_op_name(seen[2])} after it was modified "
                    "in place through memory it shares with another tensor (or its raw array), which the exported "
                    "graph would not reproduce")
        calls.append((op, op_args, result))
        for r in result if isinstance(result, tuple) else (result,):
            if isinstance(r, Tensor):
                produced[id(r)] = (r, _checksum(r._data), op)

    with no_grad(), trace(tracer):
        out = model(*args, **kwargs)
    tracer("output", tuple(_flatten_outputs(out)), ())
    calls.pop()
    return calls, out


def _checksum(a: np.ndarray) -> int:
    return zlib.crc32(np.ascontiguousarray(a).view(np.uint8).reshape(-1)) if a.size else 0


def _flatten_outputs(out) -> list[Tensor]:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(_flatten_outputs(o))
        return flat
    if isinstance(out, Mapping):
        return _flatten_outputs(list(out.values()))
    raise OnnxExporterError(f"ember.onnx.export: the model returned {type(out).__name__}; expected tensors (or tuples of them)")


def _parameter_names(model) -> dict[int, str]:
    """Arrays of the model's parameters and buffers, by identity, with their state_dict names."""
    names: dict[int, str] = {}
    if hasattr(model, "named_parameters"):
        for name, p in model.named_parameters():
            names.setdefault(id(p._data), name)
        for name, b in model.named_buffers():
            if b is not None:
                names.setdefault(id(b._data), name)
    return names


def _op_name(op) -> str:
    return op if isinstance(op, str) else op.__name__


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("ember")
    except Exception:  # noqa: BLE001 - running from a source tree
        return "0"

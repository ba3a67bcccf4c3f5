"""The ONNX graph under construction: names for traced values, initializers, nodes.

A traced tensor is known by identity (the Tensor object a call returned), or, when some
code re-wrapped the same memory in a new Tensor (``detach()``, a view made without an op),
by its array's address, shape, strides and dtype. A tensor that shares memory with a known
value in any other way was computed outside the op door and is refused.
"""

from __future__ import annotations

import numpy as np

from .._tensor import Tensor
from ._errors import OnnxExporterError
from ._symbolic import translate

_ONNX_DTYPES = {
    np.dtype(np.float32): "FLOAT", np.dtype(np.float64): "DOUBLE", np.dtype(np.float16): "FLOAT16",
    np.dtype(np.int64): "INT64", np.dtype(np.int32): "INT32", np.dtype(np.int16): "INT16",
    np.dtype(np.int8): "INT8", np.dtype(np.uint8): "UINT8", np.dtype(np.bool_): "BOOL",
}


def _key(a: np.ndarray):
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


class GraphBuilder:
    def __init__(self, onnx, opset: int, param_names: dict[int, str]) -> None:
        self.onnx = onnx
        self.opset = opset
        self.param_names = param_names
        self.nodes: list = []
        self.initializers: dict[str, object] = {}
        self.inputs: list = []
        self.outputs: list = []
        self._by_id: dict[int, str] = {}
        self._by_key: dict[tuple, str] = {}
        self._dtypes: dict[str, np.dtype] = {}
        self._shapes: dict[str, tuple] = {}  # example shape of each value (from the first trace)
        self._arrays: list[np.ndarray] = []  # arrays of known values, to refuse memory shared otherwise
        self._keep: list = []
        self._counter = 0
        self.current = "the model"
        self._param_arrays: dict[str, str] = {}  # initializer name by parameter name

    # -- names ------------------------------------------------------------------------------------

    def fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}_{self._counter}"

    def bind(self, t: Tensor, name: str) -> None:
        self._by_id[id(t)] = name
        self._by_key[_key(t._data)] = name  # the latest value held by this memory (in-place writes rebind it)
        self._dtypes[name] = t._data.dtype
        self._shapes[name] = t._data.shape
        self._arrays.append(t._data)
        self._keep.append(t)

    def known(self, x) -> str | None:
        """The value name of a traced tensor, or None for a constant (or a parameter)."""
        if not isinstance(x, Tensor):
            return None
        name = self._by_id.get(id(x))
        if name is None:
            name = self._by_key.get(_key(x._data))
        return name

    def value(self, x, other=None, dtype=None, what: str | None = None) -> str:
        """The name that stands for argument ``x`` of a call: a traced value, a parameter (an
        initializer named as in the state_dict), or a constant (checked against ``other``, the
        same argument in the second trace: a constant that changed is data-dependent)."""
        what = what or f"the op {self.current}"
        if isinstance(x, Tensor):
            name = self.known(x)
            if name is not None:
                return self.cast(name, dtype) if dtype is not None else name
            array = x._data
        elif isinstance(x, np.ndarray):
            array = x
        else:
            array = np.asarray(x, dtype=dtype)
        pname = self.param_names.get(id(array))
        if pname is not None:
            if pname not in self.initializers:
                self.initializers[pname] = self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), pname)
                self._dtypes[pname] = array.dtype
                self._shapes[pname] = array.shape
            return self.cast(pname, dtype) if dtype is not None and dtype != array.dtype else pname
        if array.size and any(np.shares_memory(array, a) for a in self._arrays if a.size):
            raise OnnxExporterError(
                f"ember.onnx.export: {what} reads a tensor computed from the input outside ember's ops "
                "(e.g. through .numpy() or a raw array), which the exported graph cannot reproduce")
        if other is not None:
            # a Python number is compared as it was stored: in ``dtype`` (0.3 as float32 is not 0.3)
            plain = not isinstance(x, (Tensor, np.ndarray))
            other_array = other._data if isinstance(other, Tensor) else \
                np.asarray(other, dtype=dtype if plain else None)
            if other_array.shape != array.shape or not np.array_equal(other_array, array, equal_nan=True):
                raise OnnxExporterError(
                    f"ember.onnx.export: {what} uses a tensor of shape {tuple(array.shape)} that is not a weight, a "
                    "constant or computed by ember ops from the input: its value changes with the input, so it "
                    "cannot be stored in the graph")
        if isinstance(x, Tensor) and (dtype is None or array.dtype == dtype):
            name = self.const(array)
            self.bind(x, name)  # later reads of this constant (and of its views) are the same initializer
            return name
        if dtype is not None and array.dtype != dtype:
            array = array.astype(dtype)
        return self.const(array)

    def const(self, array, hint: str = "const") -> str:
        array = np.ascontiguousarray(np.asarray(array))
        name = self.fresh(hint)
        self.initializers[name] = self.onnx.numpy_helper.from_array(array, name)
        self._dtypes[name] = array.dtype
        self._shapes[name] = array.shape
        return name

    def ints(self, values, hint: str = "shape") -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def dtype_of(self, name: str) -> np.dtype:
        return self._dtypes[name]

    def shape_of(self, name: str) -> tuple:
        return self._shapes[name]

    # -- nodes ------------------------------------------------------------------------------------

    def node(self, op_type: str, inputs, n_out: int = 1, dtype=None, shape=None, **attrs):
        """Add a node; returns its output name (or names, when ``n_out`` > 1). ``dtype``/``shape``
        describe the (first) output for later casts and dynamic-shape decisions."""
        outs = [self.fresh(op_type.lower()) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), outs, **attrs))
        if dtype is not None:
            self._dtypes[outs[0]] = np.dtype(dtype)
        if shape is not None:
            self._shapes[outs[0]] = tuple(shape)
        return outs[0] if n_out == 1 else outs

    def cast(self, name: str, dtype) -> str:
        dtype = np.dtype(dtype)
        if self._dtypes.get(name) == dtype:
            return name
        return self.node("Cast", [name], to=self.onnx_type(dtype), dtype=dtype, shape=self._shapes.get(name))

    def onnx_type(self, dtype) -> int:
        try:
            return getattr(self.onnx.TensorProto, _ONNX_DTYPES[np.dtype(dtype)])
        except KeyError:
            raise OnnxExporterError(f"ember.onnx.export: dtype {np.dtype(dtype)} has no ONNX equivalent here") from None

    # -- graph ------------------------------------------------------------------------------------

    def _value_info(self, name: str, t: Tensor, t2: Tensor, axes: dict[int, str]):
        shape = []
        for i, (a, b) in enumerate(zip(t._data.shape, t2._data.shape)):
            if i in axes or (i - t._data.ndim) in axes:
                shape.append(axes.get(i, axes.get(i - t._data.ndim)))
            elif a != b:
                shape.append(f"{name}_dim_{i}")
            else:
                shape.append(int(a))
        return self.onnx.helper.make_tensor_value_info(name, self.onnx_type(t._data.dtype), shape)

    def add_input(self, name: str, t: Tensor, t2: Tensor, axes: dict[int, str]) -> None:
        for axis in axes:
            if not -t._data.ndim <= axis < t._data.ndim:
                raise ValueError(f"ember.onnx.export: dynamic axis {axis} of input {name!r} is out of range for shape {tuple(t.shape)}")
        self.inputs.append(self._value_info(name, t, t2, axes))
        self.bind(t, name)

    def add_call(self, call, call2) -> None:
        op, args, result = call
        self.current = op if isinstance(op, str) else op.__name__
        results = list(result) if isinstance(result, tuple) else [result]
        if all(not isinstance(r, Tensor) or self.known(r) is not None for r in results) and not isinstance(op, str) \
                and getattr(op, "_tensor_io", False):
            return  # a user Function whose outputs its inner ops already produced
        if isinstance(op, str) and op != "inplace" and not any(self.known(a) is not None for a in args):
            return  # a comparison or predicate of constants and weights only: its result is a constant too
        names = translate(self, op, args, result, call2[1])
        if names is None or isinstance(names, str):
            names = [names]
        for r, n in zip(results, names):
            if isinstance(r, Tensor) and n is not None:
                self._dtypes.setdefault(n, r._data.dtype)
                self._shapes[n] = r._data.shape
                self.bind(r, n)

    def add_output(self, name: str, t: Tensor, t2: Tensor, axes: dict[int, str]) -> None:
        source = self.value(t, t2, what="the model's output")
        self.nodes.append(self.onnx.helper.make_node("Identity", [source], [name]))
        self.outputs.append(self._value_info(name, t, t2, axes))

    def finish(self, producer_version: str, keep_initializers_as_inputs: bool = False):
        helper = self.onnx.helper
        inits = list(self.initializers.values())
        inputs = list(self.inputs)
        if keep_initializers_as_inputs:
            for init in inits:
                inputs.append(helper.make_tensor_value_info(init.name, init.data_type, list(init.dims)))
        graph = helper.make_graph(self.nodes, "ember", inputs, self.outputs, initializer=inits)
        model = helper.make_model(graph, producer_name="ember", producer_version=producer_version,
                                  opset_imports=[helper.make_opsetid("", self.opset)])
        model.ir_version = min(model.ir_version, 8 if self.opset <= 18 else 9 if self.opset <= 20 else 10)
        return model

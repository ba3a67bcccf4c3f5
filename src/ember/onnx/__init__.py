"""``ember.onnx``: export a model to ONNX, with ``torch.onnx.export``'s signature.

The graph is recorded from one forward pass through the door every op goes through
(``ember.autograd.tracing``), so each layer has one implementation: the exporter only
translates the primitive ops it sees into ONNX nodes (``_symbolic.py``). Building and
checking the protobuf is the ``onnx`` package's job (``pip install ember[onnx]``).
"""

from __future__ import annotations

from ._export import ONNXProgram, OnnxExporterError, export, is_in_onnx_export

__all__ = ["ONNXProgram", "OnnxExporterError", "export", "is_in_onnx_export"]

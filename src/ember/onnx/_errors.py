"""The exporter's error, in a module of its own so that every stage of the export can raise it."""


class OnnxExporterError(RuntimeError):
    """The model could not be exported (an op with no ONNX translation, data-dependent control flow...)."""

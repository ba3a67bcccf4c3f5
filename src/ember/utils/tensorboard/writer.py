"""``SummaryWriter``: TensorBoard event files with ``torch.utils.tensorboard``'s API.

The files are written by the ``tensorboard`` package itself (its ``EventFileWriter`` frames
the records and its protobuf classes describe the summaries), so anything TensorBoard can
read, it reads here: ``pip install "ember[tensorboard]"``.
"""

from __future__ import annotations

import io
import os
import socket
import time
from datetime import datetime
from typing import Any

import numpy as np


def _tb():
    try:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError:
        raise ImportError(
            "ember.utils.tensorboard needs the 'tensorboard' package: pip install 'ember[tensorboard]'"
        ) from None
    return EventFileWriter, event_pb2, summary_pb2


def _array(x) -> np.ndarray:
    from ..._tensor import Tensor

    if isinstance(x, Tensor):
        return x.detach().numpy()
    return np.asarray(x)


def _scalar(x) -> float:
    a = _array(x)
    if a.size != 1:
        raise ValueError(f"scalar should be 0D, got an array of shape {tuple(a.shape)}")
    return float(a.reshape(()))


def _tensorflow_bins() -> list[float]:
    """TensorFlow's default histogram buckets: ±1e-12 · 1.1^k up to 1e20, and 0."""
    edges = []
    v = 1e-12
    while v < 1e20:
        edges.append(v)
        v *= 1.1
    return [-e for e in reversed(edges)] + [0.0] + edges


class SummaryWriter:
    """Writes scalars, histograms, images, figures, text and hyper-parameters for TensorBoard.

    Args:
        log_dir: the run's directory (default ``runs/<date>_<host><comment>``).
        comment: appended to the default ``log_dir``; ignored when ``log_dir`` is given.
        purge_step: events from a crashed run at steps >= this are hidden by TensorBoard.
        max_queue: events buffered before a write.
        flush_secs: seconds between flushes to disk.
        filename_suffix: appended to the event file's name.

    Example:
        >>> with SummaryWriter("runs/exp1") as w:
        ...     for step in range(100):
        ...         w.add_scalar("loss", 1 / (step + 1), step)
    """

    def __init__(self, log_dir: str | None = None, comment: str = "", purge_step: int | None = None,
                 max_queue: int = 10, flush_secs: int = 120, filename_suffix: str = "") -> None:
        EventFileWriter, self._event_pb2, self._summary_pb2 = _tb()
        if not log_dir:
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")
        self.log_dir = os.fspath(log_dir)
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self._make_writer = lambda d: EventFileWriter(d, max_queue, flush_secs, filename_suffix)
        self.file_writer = self._make_writer(self.log_dir)
        self.all_writers = {self.log_dir: self.file_writer}
        self.default_bins = _tensorflow_bins()
        self._closed = False
        if purge_step is not None:
            # TensorBoard discards events after the last step of a crashed run from this marker on
            event = self._event_pb2.Event(step=purge_step, wall_time=time.time(),
                                          session_log=self._event_pb2.SessionLog(status=self._event_pb2.SessionLog.START))
            self.file_writer.add_event(event)
            self.file_writer.flush()

    def get_logdir(self) -> str:
        """The directory the event files are written to."""
        return self.log_dir

    # -- writing -----------------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("SummaryWriter: this writer was closed")

    def _add(self, summary, global_step, walltime, writer=None) -> None:
        self._check_open()
        event = self._event_pb2.Event(summary=summary, wall_time=time.time() if walltime is None else float(walltime))
        if global_step is not None:
            event.step = int(_scalar(global_step))
        (writer or self.file_writer).add_event(event)

    def _value(self, tag: str, **fields):
        return self._summary_pb2.Summary(value=[self._summary_pb2.Summary.Value(tag=tag, **fields)])

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None, new_style: bool = False,
                   double_precision: bool = False) -> None:
        """Record one number (a Python number or a one-element tensor) at ``global_step``."""
        value = _scalar(scalar_value)
        if new_style:
            from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

            dtype = types_pb2.DT_DOUBLE if double_precision else types_pb2.DT_FLOAT
            field = "double_val" if double_precision else "float_val"
            tensor = tensor_pb2.TensorProto(dtype=dtype, tensor_shape=tensor_shape_pb2.TensorShapeProto(), **{field: [value]})
            meta = self._summary_pb2.SummaryMetadata(
                plugin_data=self._summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
            self._add(self._value(tag, tensor=tensor, metadata=meta), global_step, walltime)
        else:
            self._add(self._value(tag, simple_value=value), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        """Several curves on one chart: each ``tag`` goes to its own run ``<log_dir>/<main_tag>_<tag>``."""
        self._check_open()
        walltime = time.time() if walltime is None else walltime
        for tag, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag.replace('/', '_')}_{tag}")
            writer = self.all_writers.get(path)
            if writer is None:
                writer = self.all_writers[path] = self._make_writer(path)
            self._add(self._value(main_tag, simple_value=_scalar(value)), global_step, walltime, writer)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow", walltime=None,
                      max_bins: int | None = None) -> None:
        """Histogram of ``values``; ``bins`` as NumPy's ``histogram`` takes it, or 'tensorflow' (exponential buckets)."""
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        self._add(self._value(tag, histo=self._histogram(_array(values).astype(np.float64), bins, max_bins)),
                  global_step, walltime)

    def _histogram(self, values: np.ndarray, bins, max_bins):
        values = values.reshape(-1)
        if values.size == 0:
            raise ValueError("The input has no element.")
        if not np.isfinite(values).all():
            raise ValueError("add_histogram: values must be finite (got NaN or inf)")
        counts, edges = np.histogram(values, bins=bins)
        if max_bins is not None and len(counts) > max_bins:
            group = -(-len(counts) // max_bins)  # merge neighbouring bins, group at a time
            pad = (-len(counts)) % group
            counts = np.pad(counts, (0, pad)).reshape(-1, group).sum(axis=1)
            edges = np.append(edges[:-1][::group], edges[-1])
        # TensorBoard stores right edges only: keep the occupied range plus one empty bin on its left,
        # whose right edge is the leftmost limit
        occupied = np.flatnonzero(counts)
        first, last = int(occupied[0]), int(occupied[-1])
        if first > 0:
            kept_counts, kept_limits = counts[first - 1:last + 1], edges[first:last + 2]
        else:
            kept_counts, kept_limits = np.concatenate([[0], counts[:last + 1]]), edges[:last + 2]
        return self._summary_pb2.HistogramProto(
            min=float(values.min()), max=float(values.max()), num=int(values.size), sum=float(values.sum()),
            sum_squares=float(values.dot(values)), bucket_limit=kept_limits.tolist(), bucket=kept_counts.tolist())

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "CHW") -> None:
        """One image: float values in [0, 1] or uint8 in [0, 255], laid out as ``dataformats`` says (CHW, HWC, HW...)."""
        image = _to_hwc(_array(img_tensor), dataformats)
        self._add(self._value(tag, image=self._encode(image)), global_step, walltime)

    def add_images(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "NCHW") -> None:
        """A batch of images shown as one grid (``dataformats`` NCHW, NHWC, NHW...)."""
        batch = _array(img_tensor)
        dataformats = dataformats.upper()
        if "N" not in dataformats or len(dataformats) != batch.ndim:
            raise ValueError(f"add_images: dataformats {dataformats!r} does not fit an array of shape {tuple(batch.shape)}")
        n_axis = dataformats.index("N")
        images = [_to_hwc(np.take(batch, i, axis=n_axis), dataformats.replace("N", "")) for i in range(batch.shape[n_axis])]
        self._add(self._value(tag, image=self._encode(_grid(images))), global_step, walltime)

    def add_figure(self, tag: str, figure, global_step=None, close: bool = True, walltime=None) -> None:
        """A matplotlib figure (or a list of them, shown as a grid), rendered to an image."""
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        images = [_render(f, close) for f in figures]
        image = images[0] if len(images) == 1 else _grid(images)
        self._add(self._value(tag, image=self._encode(image)), global_step, walltime)

    def _encode(self, hwc: np.ndarray):
        """A PNG of an (H, W, C) uint8 array, as TensorBoard's Image summary holds it (Pillow encodes)."""
        try:
            from PIL import Image
        except ImportError:
            raise ImportError("SummaryWriter images need Pillow: pip install 'ember[image]'") from None
        height, width, channels = hwc.shape
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[channels]
        buf = io.BytesIO()
        Image.fromarray(hwc[:, :, 0] if channels == 1 else hwc, mode=mode).save(buf, format="PNG")
        return self._summary_pb2.Summary.Image(height=height, width=width, colorspace=channels,
                                               encoded_image_string=buf.getvalue())

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        """Markdown text, shown in TensorBoard's Text tab."""
        from tensorboard.compat.proto import tensor_pb2, tensor_shape_pb2, types_pb2

        meta = self._summary_pb2.SummaryMetadata(
            plugin_data=self._summary_pb2.SummaryMetadata.PluginData(plugin_name="text"))
        tensor = tensor_pb2.TensorProto(
            dtype=types_pb2.DT_STRING, string_val=[str(text_string).encode("utf-8")],
            tensor_shape=tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=1)]))
        self._add(self._value(f"{tag}/text_summary", metadata=meta, tensor=tensor), global_step, walltime)

    def add_hparams(self, hparam_dict: dict, metric_dict: dict, hparam_domain_discrete: dict | None = None,
                    run_name: str | None = None, global_step=None) -> None:
        """One trial for TensorBoard's HParams tab: its hyper-parameters and final metrics.

        Like torch, it writes the trial to a sub-run (``run_name``, default the current time) of this log_dir.
        """
        self._check_open()
        if not isinstance(hparam_dict, dict) or not isinstance(metric_dict, dict):
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        from tensorboard.plugins.hparams import api_pb2, plugin_data_pb2

        def meta(content):
            data = plugin_data_pb2.HParamsPluginData(version=0, **content)
            return self._summary_pb2.SummaryMetadata(plugin_data=self._summary_pb2.SummaryMetadata.PluginData(
                plugin_name="hparams", content=data.SerializeToString()))

        domains = hparam_domain_discrete or {}
        infos, start = [], plugin_data_pb2.SessionStartInfo()
        for name, value in hparam_dict.items():
            info = api_pb2.HParamInfo(name=name)
            if isinstance(value, bool):
                start.hparams[name].bool_value = value
                info.type = api_pb2.DATA_TYPE_BOOL
            elif isinstance(value, (int, float)) or _is_number(value):
                start.hparams[name].number_value = float(_scalar(value))
                info.type = api_pb2.DATA_TYPE_FLOAT64
            elif isinstance(value, str):
                start.hparams[name].string_value = value
                info.type = api_pb2.DATA_TYPE_STRING
            elif value is None:
                start.hparams[name].string_value = "None"
                info.type = api_pb2.DATA_TYPE_STRING
            else:
                raise ValueError(f"value should be one of int, float, str, bool, or torch.Tensor; got {type(value).__name__} for {name!r}")
            if name in domains:
                info.domain_discrete.extend(domains[name])
            infos.append(info)
        metrics = [api_pb2.MetricInfo(name=api_pb2.MetricName(tag=k)) for k in metric_dict]
        experiment = api_pb2.Experiment(hparam_infos=infos, metric_infos=metrics)
        run_dir = os.path.join(self.log_dir, run_name or str(time.time()))
        writer = self.all_writers.get(run_dir)
        if writer is None:
            writer = self.all_writers[run_dir] = self._make_writer(run_dir)
        for tag, content in (("_hparams_/experiment", {"experiment": experiment}),
                             ("_hparams_/session_start_info", {"session_start_info": start})):
            summary = self._summary_pb2.Summary(value=[self._summary_pb2.Summary.Value(tag=tag, metadata=meta(content))])
            self._add(summary, None, None, writer)
        for key, value in metric_dict.items():
            self._add(self._value(key, simple_value=_scalar(value)), global_step, None, writer)
        end = plugin_data_pb2.SessionEndInfo(status=api_pb2.STATUS_SUCCESS)
        summary = self._summary_pb2.Summary(value=[self._summary_pb2.Summary.Value(
            tag="_hparams_/session_end_info", metadata=meta({"session_end_info": end}))])
        self._add(summary, None, None, writer)

    # -- lifecycle -------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write every pending event to disk."""
        for writer in self.all_writers.values():
            writer.flush()

    def close(self) -> None:
        """Flush and close every event file; later ``add_*`` calls raise."""
        if self._closed:
            return
        for writer in self.all_writers.values():
            writer.flush()
            writer.close()
        self._closed = True

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _is_number(value) -> bool:
    a = _array(value) if not isinstance(value, (str, bytes)) else np.asarray([])
    return a.dtype.kind in "biuf" and a.size == 1


def _to_hwc(image: np.ndarray, dataformats: str) -> np.ndarray:
    """An image as (H, W, C) uint8 with C in {1, 3, 4}: floats are taken in [0, 1], integers in [0, 255]."""
    fmt = dataformats.upper()
    if len(fmt) != image.ndim or set(fmt) - set("CHW") or len(set(fmt)) != len(fmt):
        raise ValueError(f"dataformats {dataformats!r} does not fit an image of shape {tuple(image.shape)}")
    if "C" not in fmt:
        image, fmt = image[..., None], fmt + "C"
    image = np.transpose(image, [fmt.index(a) for a in "HWC"])
    if image.shape[2] == 2 or image.shape[2] > 4:
        raise ValueError(f"images need 1, 3 or 4 channels, got {image.shape[2]}")
    if image.dtype.kind == "f":
        image = (np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return image


def _grid(images: list[np.ndarray]) -> np.ndarray:
    """Images of one size tiled in a near-square grid (channels unified to the largest count)."""
    channels = max(i.shape[2] for i in images)
    images = [np.repeat(i, 3, axis=2) if i.shape[2] == 1 and channels >= 3 else i for i in images]
    if channels == 4:
        images = [np.concatenate([i, np.full(i.shape[:2] + (1,), 255, np.uint8)], axis=2) if i.shape[2] == 3 else i
                  for i in images]
    h = max(i.shape[0] for i in images)
    w = max(i.shape[1] for i in images)
    cols = int(np.ceil(np.sqrt(len(images))))
    rows = -(-len(images) // cols)
    grid = np.zeros((rows * h, cols * w, channels), np.uint8)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        grid[r * h:r * h + img.shape[0], c * w:c * w + img.shape[1]] = img
    return grid


def _render(figure, close: bool) -> np.ndarray:
    """A matplotlib figure as an (H, W, 4) uint8 array."""
    canvas = figure.canvas
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba(), dtype=np.uint8).copy()
    if close:
        import matplotlib.pyplot as plt

        plt.close(figure)
    return rgba

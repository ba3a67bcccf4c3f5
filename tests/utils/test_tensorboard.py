"""SummaryWriter's event files, read back with TensorBoard's own reader."""

import numpy as np
import pytest

import ember

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from ember.utils.tensorboard import SummaryWriter  # noqa: E402


def _load(path, **sizes):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0, "images": 0, "tensors": 0, **sizes})
    acc.Reload()
    return acc


def test_scalars_read_back_with_steps_and_values(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss/train", 1.0 / (step + 1), step)
        w.add_scalar("acc", ember.tensor(0.75), global_step=ember.tensor(9))
    events = _load(tmp_path).Scalars("loss/train")
    assert [e.step for e in events] == [0, 1, 2, 3, 4]
    np.testing.assert_allclose([e.value for e in events], [1.0, 0.5, 1 / 3, 0.25, 0.2], rtol=1e-6)
    (acc,) = _load(tmp_path).Scalars("acc")
    assert acc.step == 9 and acc.value == pytest.approx(0.75)


def test_add_scalar_refuses_a_tensor_with_several_elements(tmp_path):
    with SummaryWriter(tmp_path) as w, pytest.raises(ValueError, match="0D"):
        w.add_scalar("x", ember.ones(3), 0)


def test_add_scalars_writes_one_run_per_curve(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("loss", {"train": 1.0 - step * 0.1, "val": 2.0 - step * 0.2}, step)
    train = _load(tmp_path / "loss_train").Scalars("loss")
    val = _load(tmp_path / "loss_val").Scalars("loss")
    np.testing.assert_allclose([e.value for e in train], [1.0, 0.9, 0.8], rtol=1e-6)
    np.testing.assert_allclose([e.value for e in val], [2.0, 1.8, 1.6], rtol=1e-6)


def test_histogram_counts_and_statistics(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=1000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("w", ember.tensor(values), 3)
        w.add_histogram("fixed", values, 4, bins=10)
    acc = _load(tmp_path)
    (h,) = acc.Histograms("w")
    v = h.histogram_value
    assert h.step == 3 and v.num == 1000 and sum(v.bucket) == 1000
    assert v.min == pytest.approx(values.min()) and v.max == pytest.approx(values.max())
    assert v.sum == pytest.approx(values.sum()) and v.sum_squares == pytest.approx((values**2).sum())
    (f,) = acc.Histograms("fixed")
    counts, edges = np.histogram(values, bins=10)
    assert list(f.histogram_value.bucket)[1:] == counts.tolist()  # an empty bucket holds the left edge
    np.testing.assert_allclose(f.histogram_value.bucket_limit, edges, rtol=1e-12)
    with SummaryWriter(tmp_path / "bad") as w, pytest.raises(ValueError, match="finite"):
        w.add_histogram("nan", np.array([1.0, np.nan]), 0)


def test_images_round_trip_as_png(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image
    import io

    chw = np.zeros((3, 4, 5), np.float32)
    chw[0] = 1.0  # red
    batch = np.stack([chw, chw * 0.5])
    with SummaryWriter(tmp_path) as w:
        w.add_image("one", ember.tensor(chw), 0)
        w.add_image("gray_hw", np.full((4, 5), 128, np.uint8), 0, dataformats="HW")
        w.add_images("many", batch, 1)
    acc = _load(tmp_path)
    (one,) = acc.Images("one")
    img = np.asarray(Image.open(io.BytesIO(one.encoded_image_string)))
    assert img.shape == (4, 5, 3) and (img[..., 0] == 255).all() and (img[..., 1:] == 0).all()
    (gray,) = acc.Images("gray_hw")
    assert np.asarray(Image.open(io.BytesIO(gray.encoded_image_string))).max() == 128
    (many,) = acc.Images("many")
    grid = np.asarray(Image.open(io.BytesIO(many.encoded_image_string)))
    assert grid.shape == (4, 10, 3)  # two images side by side
    assert grid[0, 0, 0] == 255 and grid[0, 5, 0] == 128
    with SummaryWriter(tmp_path / "bad") as w:
        with pytest.raises(ValueError, match="channels"):
            w.add_image("x", chw, 0, dataformats="HWC")  # 5 channels
        with pytest.raises(ValueError, match="dataformats"):
            w.add_image("x", chw, 0, dataformats="NCHW")


def test_figure_and_text_and_hparams(tmp_path):
    pytest.importorskip("PIL")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 1), dpi=50)
    plt.plot([0, 1], [1, 0])
    with SummaryWriter(tmp_path) as w:
        w.add_figure("curve", fig, 0)
        w.add_text("notes", "**bold** words", 2)
        w.add_hparams({"lr": 0.1, "opt": "sgd", "bn": True}, {"hparam/acc": 0.9}, run_name="trial")
    acc = _load(tmp_path)
    (img,) = acc.Images("curve")
    assert (img.width, img.height) == (100, 50)
    (text,) = acc.Tensors("notes/text_summary")
    assert text.step == 2 and text.tensor_proto.string_val[0].decode() == "**bold** words"
    trial = _load(tmp_path / "trial")
    (metric,) = trial.Scalars("hparam/acc")
    assert metric.value == pytest.approx(0.9)
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = trial.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    assert start.hparams["lr"].number_value == pytest.approx(0.1)
    assert start.hparams["opt"].string_value == "sgd" and start.hparams["bn"].bool_value is True
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert [m.name.tag for m in experiment.metric_infos] == ["hparam/acc"]
    with SummaryWriter(tmp_path / "bad") as w, pytest.raises(TypeError, match="dictionary"):
        w.add_hparams([("lr", 1)], {})


def test_closed_writer_refuses_and_default_log_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp")
    assert w.get_logdir().startswith("runs") and w.get_logdir().endswith("_exp")
    w.close()
    w.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        w.add_scalar("x", 1.0, 0)

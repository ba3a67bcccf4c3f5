"""ember.training.callbacks: early stopping, checkpoints, the CSV log, the progress bar, the scheduler callback."""

import csv
import io

import numpy as np
import pytest

import ember
from ember import nn
from ember.training import CSVLogger, EarlyStopping, History, ModelCheckpoint, ProgressBar, Trainer
from ember.training.callbacks import Callback
from ember.utils.data import DataLoader, TensorDataset


def _data(n=48, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return DataLoader(TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), batch_size=16)


class _ScriptedLogs(Callback):
    """Overwrites the monitored value with a script, so early stopping sees a known curve."""

    order = 15  # after the scheduler, before early stopping and checkpoints

    def __init__(self, key, values):
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def _trainer(callbacks, seed=0):
    ember.manual_seed(seed)
    model = nn.Linear(4, 2)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    return model, Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=callbacks, progress=False)


def _weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    snapshots = []

    class Snap(Callback):
        order = 16

        def on_epoch_end(self, epoch, logs=None):
            snapshots.append(_weights(self.trainer.model))

    es = EarlyStopping(monitor="val_loss", patience=2)
    model, t = _trainer([_ScriptedLogs("val_loss", [1.0, 0.5, 0.7, 0.6, 0.4, 0.3]), Snap(), es])
    h = t.fit(_data(), _data(), epochs=6)
    assert h.epoch == [1, 2, 3, 4]  # best at 2, no improvement in 3 and 4: stop
    assert h.stopped_epoch == 4 and es.stopped_epoch == 4
    assert es.best == 0.5 and es.best_epoch == 2
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, snapshots[1][k])  # the weights after epoch 2
        assert not np.array_equal(v, snapshots[3][k])


def test_early_stopping_min_delta_mode_and_no_restore():
    es = EarlyStopping(monitor="val_accuracy", patience=1, min_delta=0.05, restore_best_weights=False)
    assert es.mode == "max"
    model, t = _trainer([_ScriptedLogs("val_accuracy", [0.5, 0.52, 0.9]), es])
    h = t.fit(_data(), _data(), epochs=3)
    assert h.epoch == [1, 2]  # +0.02 is below min_delta
    assert EarlyStopping(monitor="val_loss").mode == "min"
    assert EarlyStopping(monitor="val_top5_accuracy").mode == "max"
    with pytest.raises(ValueError, match="patience must be >= 0"):
        EarlyStopping(patience=-1)


def test_early_stopping_state_round_trips():
    es = EarlyStopping(patience=3)
    es.best, es.best_epoch, es.wait = 0.25, 4, 2
    es2 = EarlyStopping(patience=3)
    es2.load_state_dict(es.state_dict())
    assert (es2.best, es2.best_epoch, es2.wait) == (0.25, 4, 2)


def test_model_checkpoint_writes_loadable_last_and_best_files(tmp_path):
    ck = ModelCheckpoint(tmp_path / "ck", monitor="val_loss", extra={"config": {"lr": 0.1}})
    model, t = _trainer([_ScriptedLogs("val_loss", [1.0, 0.5, 0.8]), ck])
    t.fit(_data(), _data(), epochs=3)
    names = sorted(p.name for p in (tmp_path / "ck").iterdir())
    assert names == ["checkpoint-best.pt", "checkpoint-last.pt"]  # no temporary files left behind
    last, best = ember.load(ck.last_path), ember.load(ck.best_path)
    assert last["epoch"] == 3 and best["epoch"] == 2
    assert best["callbacks"]["ModelCheckpoint"] == {"best": 0.5, "best_epoch": 2}
    assert last["config"] == {"lr": 0.1}
    for key in ("model", "optimizer", "scheduler", "rng", "data_rng", "history"):
        assert key in last
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(last["model"][k].numpy(), v)
    fresh = nn.Linear(4, 2)
    fresh.load_state_dict(best["model"])
    assert History.from_dict(last["history"]).epoch == [1, 2, 3]


def test_model_checkpoint_saves_the_starting_point_so_an_interrupt_in_epoch_one_can_resume(tmp_path):
    ck = ModelCheckpoint(tmp_path, monitor="loss")

    class Interrupt(Callback):
        def on_batch_end(self, batch, logs=None):
            self.trainer.request_stop()

    _, t = _trainer([ck, Interrupt()])
    h = t.fit(_data(), epochs=2)
    assert h.interrupted and h.epoch == []
    assert ember.load(ck.last_path)["epoch"] == 0
    assert not ck.best_path.exists()


def test_model_checkpoint_failed_save_keeps_the_previous_file(tmp_path):
    ck = ModelCheckpoint(tmp_path, monitor="loss")
    model, t = _trainer([ck])
    t.fit(_data(), epochs=1)
    before = ck.last_path.read_bytes()
    ck.extra = {"bad": lambda: 0}  # ember.save (like torch.save) can't pickle a lambda
    with pytest.raises(Exception):  # noqa: B017 - the serializer's own error type
        t.fit(_data(), epochs=2)
    assert ck.last_path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint-best.pt", "checkpoint-last.pt"]


def test_csv_logger_writes_a_row_per_epoch_and_truncates_on_resume(tmp_path):
    path = tmp_path / "metrics.csv"
    _, t = _trainer([CSVLogger(path)])
    t.fit(_data(), _data(), epochs=3)
    rows = list(csv.DictReader(path.open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    # A resumed run continuing after epoch 2 drops the row of the abandoned epoch 3 first.
    log = CSVLogger(path, append=True)
    _, t2 = _trainer([log])
    t2.epoch = 2
    t2.fit(_data(), _data(), epochs=4)
    assert [r["epoch"] for r in csv.DictReader(path.open())] == ["1", "2", "3", "4"]
    log.log({"epoch": 99, "loss": 1.0})  # the plain csvlog API still works
    assert path.read_text().splitlines()[-1].startswith("99,1.0")


def test_progress_bar_callback_is_silent_when_quiet():
    stream = io.StringIO()
    _, t = _trainer([ProgressBar(stream=stream, quiet=True)])
    t.fit(_data(), epochs=2)
    assert stream.getvalue() == ""


def test_checkpoint_callback_states_resume_with_the_trainer(tmp_path):
    es = EarlyStopping(monitor="val_loss", patience=5)
    ck = ModelCheckpoint(tmp_path, monitor="val_loss")
    _, t = _trainer([_ScriptedLogs("val_loss", [1.0, 0.5]), es, ck])
    t.fit(_data(), _data(), epochs=2)
    es2, ck2 = EarlyStopping(monitor="val_loss", patience=5), ModelCheckpoint(tmp_path, monitor="val_loss")
    _, t2 = _trainer([es2, ck2])
    assert t2.load_checkpoint(ck.last_path) == 2
    assert (es2.best, es2.best_epoch, ck2.best) == (0.5, 2, 0.5)
    assert es2.best_weights is not None

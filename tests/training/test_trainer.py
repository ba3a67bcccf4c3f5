"""ember.training.Trainer: fit/evaluate/predict, metrics, L1, clipping, schedulers, seeding, checkpoints."""

import io

import numpy as np
import pytest

import ember
from ember import nn
from ember.training import History, LRSchedulerCallback, Trainer, epoch_seed
from ember.training.callbacks import Callback
from ember.utils.data import DataLoader, TensorDataset


def _blobs(n=120, d=4, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(classes, d))
    y = rng.integers(0, classes, size=n)
    x = centers[y] + rng.normal(0, 0.5, size=(n, d))
    return x.astype(np.float32), y.astype(np.int64)


def _loader(x, y, bs=16, shuffle=False, seed=0):
    gen = ember.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(TensorDataset(ember.from_numpy(x), ember.from_numpy(y)), batch_size=bs, shuffle=shuffle,
                      generator=gen)


def _setup(seed=0, lr=0.05, **kwargs):
    ember.manual_seed(seed)
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = ember.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    kwargs.setdefault("progress", False)
    return model, opt, Trainer(model, opt, nn.CrossEntropyLoss(), **kwargs)


def _weights(model):
    return {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}


def test_fit_learns_separable_blobs_and_records_history():
    x, y = _blobs()
    model, _, trainer = _setup()
    history = trainer.fit(_loader(x, y, shuffle=True), _loader(x, y), epochs=5)
    assert isinstance(history, History)
    assert history.epoch == [1, 2, 3, 4, 5]
    assert list(history.keys()) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr", "time"]
    assert history["loss"][-1] < history["loss"][0]
    assert history["val_accuracy"][-1] > 0.95
    assert len(history.lr_steps) == 5 * 8  # 120 samples / 16 per batch = 8 steps per epoch
    assert all(t > 0 for t in history["time"])
    logs = trainer.evaluate(_loader(x, y))
    assert set(logs) == {"loss", "accuracy"}
    assert logs["accuracy"] == pytest.approx(history["val_accuracy"][-1])
    assert logs["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-6)


def test_evaluate_is_the_sample_weighted_epoch_value_not_a_mean_of_batch_means():
    x, y = _blobs(n=37)
    model, _, trainer = _setup()
    logs = trainer.evaluate(_loader(x, y, bs=16))  # batches of 16, 16, 5
    with ember.no_grad():
        full = nn.functional.cross_entropy(model(ember.from_numpy(x)), ember.from_numpy(y)).item()
    assert logs["loss"] == pytest.approx(full, rel=1e-5)


def test_predict_returns_outputs_in_order_and_restores_train_mode():
    x, y = _blobs(n=20)
    model, _, trainer = _setup()
    model.train()
    out = trainer.predict(_loader(x, y, bs=6))
    assert tuple(out.shape) == (20, 3)
    with ember.no_grad():
        np.testing.assert_allclose(out.numpy(), model(ember.from_numpy(x)).numpy(), rtol=1e-6)
    assert model.training
    only_x = DataLoader(TensorDataset(ember.from_numpy(x)), batch_size=7)
    assert tuple(trainer.predict(only_x).shape) == (20, 3)


def test_metrics_by_name_function_and_default():
    x, y = _blobs(n=40)
    _, _, t = _setup(metrics=["accuracy", "top2", lambda yt, out: float((out.argmax(1) == yt).mean())])
    logs = t.evaluate(_loader(x, y))
    assert set(logs) == {"loss", "accuracy", "top2_accuracy", "<lambda>"}
    assert logs["<lambda>"] == pytest.approx(logs["accuracy"])
    assert logs["top2_accuracy"] >= logs["accuracy"]
    model = nn.Linear(4, 1)
    mse = Trainer(model, ember.optim.SGD(model.parameters(), lr=0.1), nn.MSELoss(), progress=False)
    assert mse.metrics == []  # no accuracy for a regression loss
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        _setup(metrics=["acuracy"])


def test_same_seed_same_weights_and_data_order_derives_from_seed_and_epoch():
    x, y = _blobs()
    runs = []
    for _ in range(2):
        ember.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
        opt = ember.optim.Adam(model.parameters(), lr=0.01)
        Trainer(model, opt, nn.CrossEntropyLoss(), progress=False, seed=11).fit(_loader(x, y, shuffle=True), epochs=3)
        runs.append(_weights(model))
    for k in runs[0]:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])
    assert epoch_seed(11, 0) != epoch_seed(11, 1) != epoch_seed(12, 1)
    assert epoch_seed(11, 2, 0) != epoch_seed(11, 2, 1)


def test_checkpoint_and_resume_give_the_weights_of_an_uninterrupted_run(tmp_path):
    x, y = _blobs()

    def make():
        ember.manual_seed(5)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
        opt = ember.optim.Adam(model.parameters(), lr=0.01)
        sched = ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.02, total_steps=4 * 8)
        return model, Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=sched, progress=False, seed=7)

    model_a, ta = make()
    ta.fit(_loader(x, y, shuffle=True), epochs=4)

    model_b, tb = make()
    loader_b = _loader(x, y, shuffle=True)
    tb.fit(loader_b, epochs=2)
    ember.save(tb.checkpoint(), tmp_path / "ck.pt")
    ember.manual_seed(999)  # disturb the global generator: resuming must not depend on it

    model_c, tc = make()
    loader_c = _loader(x, y, shuffle=True, seed=123)
    assert tc.load_checkpoint(tmp_path / "ck.pt", loader_c) == 2
    history = tc.fit(loader_c, epochs=4)
    assert history.epoch == [1, 2, 3, 4]
    wa, wc = _weights(model_a), _weights(model_c)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wc[k], err_msg=k)
    assert history["loss"] == ta.history["loss"]


def test_checkpoint_holds_everything_needed_to_resume():
    x, y = _blobs(n=32)
    _, _, t = _setup(seed=0, scheduler=None)
    t.fit(_loader(x, y, shuffle=True), epochs=1)
    ck = t.checkpoint(extra={"note": "hi"})
    assert {"epoch", "model", "optimizer", "scheduler", "rng", "data_rng", "history", "callbacks", "note"} <= set(ck)
    assert ck["epoch"] == 1 and ck["data_rng"] is not None


def test_l1_adds_sign_of_weights_to_the_gradient_only_for_weights():
    x, y = _blobs(n=16)
    grads = {}
    for l1 in (0.0, 0.5):
        ember.manual_seed(0)
        model = nn.Linear(4, 3)
        opt = ember.optim.SGD(model.parameters(), lr=0.0)  # lr 0: weights stay, gradients are kept
        t = Trainer(model, opt, nn.CrossEntropyLoss(), l1=l1, progress=False)
        opt.zero_grad = lambda set_to_none=True: None  # keep grads after step for inspection
        t.fit(_loader(x, y, bs=16), epochs=1)
        grads[l1] = (model.weight.grad.numpy().copy(), model.bias.grad.numpy().copy(), model.weight.detach().numpy())
    w = grads[0.5][2]
    np.testing.assert_allclose(grads[0.5][0] - grads[0.0][0], 0.5 * np.sign(w), atol=1e-6)
    np.testing.assert_allclose(grads[0.5][1], grads[0.0][1])


def test_grad_clip_bounds_the_gradient_norm():
    x, y = _blobs(n=16)
    ember.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = ember.optim.SGD(model.parameters(), lr=0.0)
    opt.zero_grad = lambda set_to_none=True: None
    Trainer(model, opt, nn.CrossEntropyLoss(), grad_clip=1e-3, progress=False).fit(_loader(x, y, bs=16), epochs=1)
    norm = np.sqrt(sum(float((p.grad.numpy() ** 2).sum()) for p in model.parameters()))
    assert norm <= 1e-3 * 1.001


def test_scheduler_per_epoch_and_per_step_and_plateau():
    x, y = _blobs(n=32)
    model, opt, _ = _setup()
    step = ember.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    t = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=step, progress=False)
    h = t.fit(_loader(x, y), epochs=3)
    assert h["lr"] == pytest.approx([0.05, 0.025, 0.0125])
    assert LRSchedulerCallback(ember.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)).interval == "step"
    model, opt, _ = _setup()
    plateau = ember.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, factor=0.1)
    t = Trainer(model, opt, nn.CrossEntropyLoss(), scheduler=plateau, progress=False)
    with pytest.warns(UserWarning, match="no 'val_loss' in the logs.*monitoring 'loss' instead"):
        t.fit(_loader(x, y), epochs=2)  # no validation: monitors 'loss' instead of failing
    assert t.scheduler is plateau


def test_callback_hooks_run_in_order_with_logs():
    calls = []

    class Spy(Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch {batch} {sorted(logs)}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    x, y = _blobs(n=20)
    _, _, t = _setup(callbacks=[Spy()])
    t.fit(_loader(x, y, bs=10), epochs=1)
    assert calls == [
        "train_begin",
        "epoch_begin 0",
        "batch 0 ['loss', 'size']",
        "batch 1 ['loss', 'size']",
        "epoch_end 0 ['accuracy', 'loss', 'lr', 'time']",
        "train_end",
    ]


def test_stop_training_from_a_callback_and_request_stop_abandons_the_epoch():
    x, y = _blobs(n=32)

    class StopAfterFirst(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.trainer.stop_training = True

    _, _, t = _setup(callbacks=[StopAfterFirst()])
    h = t.fit(_loader(x, y), epochs=5)
    assert h.epoch == [1] and h.stopped_epoch == 1 and not h.interrupted

    class Interrupt(Callback):
        def on_batch_end(self, batch, logs=None):
            if self.trainer.epoch == 1 and batch == 0:
                self.trainer.request_stop()

    _, _, t = _setup(callbacks=[Interrupt()])
    h = t.fit(_loader(x, y), epochs=5)
    assert h.interrupted and h.epoch == [1] and t.epoch == 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises_a_clear_error():
    x, y = _blobs(n=32)
    x[0, 0] = np.inf
    _, _, t = _setup()
    with pytest.raises(FloatingPointError, match="training loss became nan in epoch 1, batch 1.*smaller learning rate"):
        t.fit(_loader(x, y), epochs=1)


def test_progress_prints_one_line_per_epoch_when_not_a_tty():
    from ember.training import ProgressBar

    x, y = _blobs(n=32)
    stream = io.StringIO()
    _, _, t = _setup(progress=ProgressBar(stream=stream))
    t.fit(_loader(x, y), _loader(x, y), epochs=2)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2: 32/32 samples in ")
    assert "val_accuracy=" in lines[1] and "\r" not in stream.getvalue()


def test_fit_rejects_bad_arguments():
    model, opt, _ = _setup()
    with pytest.raises(ValueError, match="grad_clip must be > 0"):
        Trainer(model, opt, nn.CrossEntropyLoss(), grad_clip=0)
    with pytest.raises(TypeError, match="callbacks must be Callback instances"):
        Trainer(model, opt, nn.CrossEntropyLoss(), callbacks=[print])
    empty = DataLoader(TensorDataset(ember.zeros(0, 4), ember.zeros(0, dtype=ember.int64)), batch_size=4)
    with pytest.raises(ValueError, match="training loader produced no batches"):
        Trainer(model, opt, nn.CrossEntropyLoss(), progress=False).fit(empty)


def test_the_pieces_work_in_a_plain_loop_without_the_trainer(tmp_path):
    from ember.training import Accuracy, CSVLogger, RunningMean

    x, y = _blobs(n=64)
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = ember.optim.Adam(model.parameters(), lr=0.05)
    history, log = History(), CSVLogger(tmp_path / "m.csv")
    loss_mean, acc = RunningMean(), Accuracy()
    for epoch in range(1, 4):
        loss_mean.reset()
        acc.reset()
        for xb, yb in _loader(x, y, shuffle=True, seed=epoch):
            opt.zero_grad()
            out = model(xb)
            loss = nn.functional.cross_entropy(out, yb)
            loss.backward()
            opt.step()
            loss_mean.update(loss, len(xb))
            acc.update(yb, out)
        row = {"loss": loss_mean.compute(), "accuracy": acc.compute()}
        history.append(epoch, row)
        log.log({"epoch": epoch, **row})
    assert history.epoch == [1, 2, 3] and history["accuracy"][-1] > 0.9
    assert history.best("loss") == (3, history["loss"][-1])
    assert len((tmp_path / "m.csv").read_text().splitlines()) == 4

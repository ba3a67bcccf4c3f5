"""Train a configured model end to end into a run directory, or resume it: what ``ember train`` calls.

It is usable from Python too::

    from ember.training.run import train_run
    result = train_run({"dataset": "digits", "epochs": 5}, run_dir="runs/try")

The run directory's files are listed in `ember.training.rundir`; ``ember evaluate | predict | export | report``
use a finished run through `ember.training.evaluate`, `.predict`, `.export` and `.run_report`.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ember
from ember import nn
from ember.utils import summary as model_summary

from .callbacks import CSVLogger, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, ProgressBar, TensorBoard
from .config import ConfigError, dump_config, resolve_defaults, validate_config
from .data import load_data, make_loader
from .distributed import DataParallelRun, unwrap
from .errors import Log, RunError, UsageError, stderr_log
from .factories import blas_threads, build_model, build_optimizer, build_scheduler, check_forward
from .run_report import make_plots, run_summary, write_run_report
from .rundir import (
    CONFIG_FILE,
    LAST,
    METRICS_FILE,
    MODEL_SUMMARY_FILE,
    SUMMARY_FILE,
    default_run_dir,
    is_complete,
    read_config,
    read_summary,
    repair_best,
    write_json,
    write_text,
)
from .trainer import Trainer

__all__ = ["RunResult", "train_run"]


@dataclass
class RunResult:
    """What ``train_run`` did: ``status`` is ``'finished'``, ``'stopped_early'`` or ``'interrupted'``."""

    run_dir: Path
    status: str
    summary: dict[str, Any]
    history: Any = None
    model: Any = None


def _tensorboard(cfg: Mapping[str, Any], run_dir: Path, writer: bool) -> list:
    """With ``tensorboard = true``, the TensorBoard callback of the process that writes the run directory.
    Made before the data is loaded, so that a missing ``tensorboard`` package stops the run at once."""
    if not (cfg.get("tensorboard") and writer):
        return []
    try:
        return [TensorBoard(run_dir / "tensorboard")]
    except ImportError as e:
        raise UsageError(str(e)) from None


def _summary(run_dir: Path, model: Any, meta: Mapping[str, Any], log: Log | None) -> None:
    """The model summary, printed and kept for the report in ``model_summary.txt``."""
    # the plain module: a DistributedDataParallel wrapper's forward would start collectives on this rank alone
    stats = model_summary(unwrap(model), input_size=(1, *meta["input_shape"]),
                          col_names=("output_size", "num_params", "mult_adds"), depth=2, verbose=0)
    write_text(run_dir / MODEL_SUMMARY_FILE, str(stats) + "\n")
    if log is not None:
        log(str(stats))


def train_run(
    config: Mapping[str, Any] | None = None,
    run_dir: str | os.PathLike | None = None,
    *,
    resume: bool = False,
    quiet: bool = False,
    explicit: Sequence[str] = (),
    log: Log = stderr_log,
    progress_stream: Any = None,
    threads: int | str | None = "auto",
    nproc: int | None = None,
) -> RunResult:
    """Train as configured and write the run directory; with ``resume=True`` continue ``run_dir``.

    Args:
        config: keys of `ember.training.config.FIELDS` (missing ones take defaults). When
            resuming, the run's ``config.toml`` is read and ``config`` may only change ``epochs``
            and ``data_dir``.
        run_dir: where to write (default `default_run_dir`); the run to continue when resuming.
        resume: continue from ``run_dir/checkpoint-last.pt``.
        quiet: no progress output.
        explicit: the keys the user set explicitly (for warnings about options a model ignores).
        log: where messages go (default: stderr).
        progress_stream: where the progress bar writes (default: stderr).
        threads: BLAS threads while training: a number, ``None`` to leave the setting alone, or
            ``'auto'``: one thread for models under a million parameters, whose small matrix
            products only lose time to thread hand-offs (and a lot of it on a busy machine).
        nproc: train data-parallel in this many MPI processes (this is one of them; see
            `ember.training.distributed`); ``None`` trains in this process alone.
    """
    ddp = None
    if nproc is not None:
        ddp = DataParallelRun(nproc)
        threads = ddp.threads(threads)
        if not ddp.writer:
            quiet, log = True, (lambda _m: None)
    writer = ddp is None or ddp.writer
    if resume:
        if run_dir is None:
            raise UsageError("resume needs the run directory")
        run_dir = Path(run_dir)
        cfg = read_config(run_dir)
        overrides = dict(config or {})
        bad = sorted(set(overrides) - {"epochs", "data_dir", "download"})
        if bad:
            raise UsageError(
                f"cannot change {', '.join(bad)} when resuming (the run continues with its own config.toml); "
                "only --epochs and --data-dir may be given"
            )
        if "epochs" in overrides and overrides["epochs"] != cfg["epochs"] and cfg["scheduler"] in ("onecycle", "cosine"):
            raise UsageError(
                f"cannot change epochs from {cfg['epochs']} when resuming a run with scheduler {cfg['scheduler']!r}: "
                "its schedule is laid out over the original number of epochs. To train for "
                f"{overrides['epochs']} epochs, start a new run with the same settings: "
                f"`ember train --config {run_dir / CONFIG_FILE} --epochs {overrides['epochs']} --run-dir NEW_DIR` "
                "(runs with --scheduler step, plateau or none can be extended with --resume --epochs)"
            )
        try:
            cfg = validate_config(overrides, cfg)
        except ConfigError as e:
            raise UsageError(str(e)) from None
    else:
        try:
            cfg = validate_config(config or {})
        except ConfigError as e:
            raise UsageError(str(e)) from None
        cfg = resolve_defaults(cfg)
        run_dir = Path(run_dir) if run_dir is not None else default_run_dir(cfg)
        if ddp is not None:  # rank 0's choice (a default name holds a timestamp)
            run_dir = Path(ddp.broadcast(str(run_dir)))
        if (run_dir / CONFIG_FILE).exists():
            raise UsageError(
                f"{str(run_dir)!r} already holds a run; continue it with `ember train --resume {run_dir}` "
                "or choose another --run-dir"
            )
    cfg = resolve_defaults(cfg)
    tensorboard = _tensorboard(cfg, run_dir, bool(writer))

    data = load_data(cfg)
    meta = data.meta
    ember.manual_seed(cfg["seed"])
    model = build_model(cfg, meta, explicit=explicit, log=log)
    check_forward(model, data.x_train, meta["num_classes"], cfg["model"], cfg["dataset"])
    if ddp is not None:  # also a barrier: every rank has checked the run directory before rank 0 writes it
        model = ddp.wrap(model)
        train_loader = ddp.loader(data.x_train, data.y_train, cfg["batch_size"], cfg["seed"])
    else:
        train_loader = make_loader(data.x_train, data.y_train, cfg["batch_size"], shuffle=True, seed=cfg["seed"])
    eval_bs = max(256, cfg["batch_size"])
    val_loader = make_loader(data.x_val, data.y_val, eval_bs) if data.x_val is not None else None
    test_loader = make_loader(data.x_test, data.y_test, eval_bs)
    try:
        optimizer = build_optimizer(cfg, model.parameters())
        scheduler = build_scheduler(cfg, optimizer, len(train_loader))
    except ValueError as e:
        raise UsageError(f"optimizer/scheduler settings: {e}") from None

    monitor = "val_loss" if val_loader is not None else "loss"
    callbacks: list[Any] = []
    if writer:
        run_dir.mkdir(parents=True, exist_ok=True)
        checkpoint = ModelCheckpoint(run_dir, monitor=monitor, extra={"config": dict(cfg), "meta": dict(meta)})
        callbacks = [checkpoint, CSVLogger(run_dir / METRICS_FILE, append=resume)]
    if scheduler is not None:
        callbacks.append(LRSchedulerCallback(scheduler, monitor=monitor))
    if cfg["early_stopping"]:
        callbacks.append(EarlyStopping(monitor=monitor, patience=cfg["early_stopping"]))
    callbacks.append(ProgressBar(stream=progress_stream, quiet=quiet))
    if writer:
        _summary(run_dir, model, meta, log=None if quiet or resume else log)
    callbacks += tensorboard
    trainer = Trainer(
        model,
        optimizer,
        nn.CrossEntropyLoss(),
        callbacks=callbacks,
        scheduler=scheduler,
        l1=cfg["l1"],
        grad_clip=cfg["grad_clip"] or None,
        seed=cfg["seed"],
    )
    trainer.train_loader = train_loader
    finishing, stopped = False, None
    if resume and not (run_dir / LAST).is_file():
        # Killed after config.toml and before the first checkpoint: nothing was trained, start over.
        if not quiet:
            log(f"{run_dir} has no checkpoint yet; starting its training from the beginning")
    elif resume:
        try:
            epoch = trainer.load_checkpoint(run_dir / LAST, train_loader)
        except Exception as e:  # noqa: BLE001 - a checkpoint that does not fit is the user's to fix
            raise RunError(f"cannot resume from {run_dir / LAST}: {e}") from None
        if writer:  # only the process that writes the run directory repairs it
            repair_best(run_dir, checkpoint, epoch, log)
        stopped = next((c.stopped_epoch for c in callbacks if isinstance(c, EarlyStopping)), None)
        finishing = epoch >= cfg["epochs"] or stopped is not None
        if finishing and is_complete(run_dir, epoch):
            raise UsageError(
                f"{str(run_dir)!r} already completed {epoch} of {cfg['epochs']} epochs; "
                + ("it stopped early, so training longer would not change it" if stopped is not None else
                   "pass --epochs with a larger number to train longer")
            )
        if stopped is not None:
            trainer.history.stopped_epoch = stopped
        if not finishing:
            (run_dir / "report.html").unlink(missing_ok=True)  # derived from a summary this run will replace
        if not quiet:
            log(f"finishing {run_dir}: writing its summary, plots and report" if finishing
                else f"resuming {run_dir} after epoch {epoch} of {cfg['epochs']}")
    else:
        comments = (
            f"ember {ember.__version__} training run, created {_dt.datetime.now().isoformat(timespec='seconds')}",
            f"reproduce with: ember train --config {run_dir / CONFIG_FILE}",
        )
        if writer:
            write_text(run_dir / CONFIG_FILE, dump_config(cfg, comments))

    n_params = sum(p.numel() for p in model.parameters())
    if not quiet and not resume:
        shape = "x".join(map(str, meta["input_shape"]))
        log(
            f"training {cfg['model']} ({n_params:,} parameters) on {cfg['dataset']}: {meta['n_train']} train / "
            f"{meta['n_val']} validation / {meta['n_test']} test samples of {shape}, {meta['num_classes']} classes; "
            f"run directory {run_dir}"
        )
    start = time.perf_counter()
    with blas_threads(threads, n_params):
        try:
            # Finishing a run whose epochs are all done: fit trains nothing, but its end (restoring the
            # early-stopping best weights) is what the summary's test metrics are computed after.
            history = trainer.fit(train_loader, val_loader, epochs=trainer.epoch if finishing else cfg["epochs"])
        except FloatingPointError as e:
            raise RunError(str(e)) from None
    train_time = time.perf_counter() - start
    prev = read_summary(run_dir) if resume else {}
    train_time += float(prev.get("train_time_s", 0.0) or 0.0)

    if history.interrupted:
        status = "interrupted"
        summary = run_summary(cfg, meta, history, status, train_time, None, n_params)
        summary["resume_with"] = f"ember train --resume {run_dir}"
        if writer:
            write_json(run_dir / SUMMARY_FILE, summary)
        return RunResult(run_dir, status, summary, history, unwrap(model))

    status = "stopped_early" if history.stopped_epoch is not None and history.stopped_epoch < cfg["epochs"] else "finished"
    with blas_threads(threads, n_params):
        test_logs, out, y = trainer.evaluate(test_loader, return_outputs=True)
    summary = run_summary(cfg, meta, history, status, train_time, test_logs, n_params)
    if ddp is not None:
        summary["processes"] = ddp.world
    if writer:
        write_json(run_dir / SUMMARY_FILE, summary)
        make_plots(run_dir, history, meta, unwrap(model), (data.x_test, y, out), log=log)
        write_run_report(run_dir)
    return RunResult(run_dir, status, summary, history, unwrap(model))

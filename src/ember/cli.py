"""The ``ember`` command: ``train``, ``evaluate``, ``predict``, ``datasets``, ``models``, ``report``.

``ember train`` with no arguments trains a small MLP on the digits that ship with ember (offline,
a few seconds). Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted by Ctrl-C (a
checkpoint is saved and the resume command printed).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_TRAIN_EPILOG = """\
examples:
  ember train                                   # MLP on the shipped 8x8 digits, ~97% test accuracy
  ember train --dataset mnist --data-dir DIR --model lenet --epochs 3
  ember train --config runs/X/config.toml --seed 1   # rerun a run with another seed
  ember train --resume runs/X                   # continue an interrupted run exactly
"""


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(p) for p in text.replace(" ", "").split(",") if p]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes such as 256,128, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"layer sizes must be positive, got {text!r}")
    return sizes


class _Parser(argparse.ArgumentParser):
    """Keeps the command line it parsed as ``args.argv``: ``ember train --nproc N`` re-runs it in each process."""

    def parse_args(self, args=None, namespace=None):
        parsed = super().parse_args(args, namespace)
        parsed.argv = list(sys.argv[1:] if args is None else args)
        return parsed


def _parser() -> argparse.ArgumentParser:
    from ember.training.config import FIELDS, OPTIMIZERS, SCHEDULERS

    def h(key: str) -> str:
        f = FIELDS[key]
        if key in ("data_dir", "lr", "momentum"):  # their help explains the default
            return f.help
        default = ",".join(map(str, f.default)) if isinstance(f.default, list) else f.default
        return f"{f.help} (default: {default})"

    p = _Parser(
        prog="ember", description="Train, evaluate and use ember models from the command line."
    )
    p.add_argument("--version", action="version", version=f"ember {_version()}")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error (anywhere on the line)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    S = argparse.SUPPRESS
    t = sub.add_parser(
        "train", help="train a model and write a run directory", epilog=_TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a model. Settings come from the defaults, then --config FILE, then the flags.",
    )
    t.add_argument("--dataset", default=S, help=h("dataset"))
    t.add_argument("--data-dir", dest="data_dir", default=S, metavar="DIR", help=h("data_dir"))
    t.add_argument("--download", action="store_true", default=S, help=h("download"))
    t.add_argument("--model", default=S, help=h("model"))
    t.add_argument("--hidden", type=_hidden, default=S, metavar="SIZES", help=h("hidden"))
    t.add_argument("--activation", default=S, help=h("activation"))
    t.add_argument("--dropout", type=float, default=S, help=h("dropout"))
    t.add_argument("--optimizer", default=S, metavar="{" + ",".join(OPTIMIZERS) + "}", help=h("optimizer"))
    t.add_argument("--lr", type=float, default=S, help=h("lr"))
    t.add_argument("--momentum", type=float, default=S, help=h("momentum"))
    t.add_argument("--weight-decay", dest="weight_decay", type=float, default=S, help=h("weight_decay"))
    t.add_argument("--l1", type=float, default=S, help=h("l1"))
    t.add_argument("--grad-clip", dest="grad_clip", type=float, default=S, help=h("grad_clip"))
    t.add_argument("--batch-size", dest="batch_size", type=int, default=S, help=h("batch_size"))
    t.add_argument("--epochs", type=int, default=S, help=h("epochs"))
    t.add_argument("--scheduler", default=S, metavar="{" + ",".join(SCHEDULERS) + "}", help=h("scheduler"))
    t.add_argument("--early-stopping", dest="early_stopping", type=int, default=S, metavar="PATIENCE",
                   help=h("early_stopping"))
    t.add_argument("--val-split", dest="val_split", type=float, default=S, help=h("val_split"))
    t.add_argument("--seed", type=int, default=S, help=h("seed"))
    t.add_argument("--tensorboard", action="store_true", default=S, help=h("tensorboard"))
    t.add_argument("--run-dir", dest="run_dir", default=None, metavar="DIR",
                   help="the run directory to write (default: runs/<dataset>-<model>-<timestamp>)")
    t.add_argument("--config", default=None, metavar="FILE.toml", help="read settings from a TOML file (flags override it)")
    t.add_argument("--resume", default=None, metavar="RUN_DIR", help="continue an interrupted run where it stopped")
    t.add_argument("--quiet", action="store_true", help="print nothing but errors")
    t.add_argument("--threads", default="auto", metavar="N",
                   help="BLAS threads: a number, or auto (1 for models under 1M parameters; the default)")
    t.add_argument("--nproc", type=int, default=None, metavar="N",
                   help="train data-parallel in N processes (MPI; the global batch is split among them)")
    t.add_argument("--hosts", default=None, help="with --nproc: comma-separated machines to run on")
    t.add_argument("--hostfile", default=None, metavar="FILE", help="with --nproc: a file listing the machines")

    la = sub.add_parser("launch", help="run a Python script in N processes (MPI) for ember.distributed",
                        description="Start N processes of a script with the MPI launcher (mpiexec); "
                                    "each calls ember.distributed.init_process_group().")
    la.add_argument("-n", "--nproc", type=int, required=True, metavar="N", help="number of processes")
    la.add_argument("--hosts", default=None, help="comma-separated machines (default: this one)")
    la.add_argument("--hostfile", default=None, metavar="FILE", help="a file listing the machines")
    la.add_argument("-m", dest="module", default=None, metavar="MODULE", help="run a module, like python -m")
    la.add_argument("script", nargs="?", default=None, help="the script to run")
    la.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")

    e = sub.add_parser("evaluate", help="loss and accuracy of a trained run on a test set")
    e.add_argument("run_dir", metavar="RUN_DIR")
    e.add_argument("--dataset", default=None, help="evaluate on another dataset of the same shape (default: the run's)")
    e.add_argument("--data-dir", dest="data_dir", default=None, metavar="DIR", help="folder with the dataset files")
    e.add_argument("--split", choices=("test", "train"), default="test", help="which split (default: test)")
    e.add_argument("--checkpoint", default="auto",
                   help="best, last, a file, or auto (best with early stopping, else last; the default)")

    pr = sub.add_parser("predict", help="top-k classes of images or .npy arrays")
    pr.add_argument("run_dir", metavar="RUN_DIR")
    pr.add_argument("files", nargs="+", metavar="IMAGE_OR_NPY")
    pr.add_argument("--top-k", dest="top_k", type=int, default=3, help="how many classes to show (default: 3)")
    pr.add_argument("--invert", action="store_true", help="invert images (dark digits on light paper)")
    pr.add_argument("--checkpoint", default="auto", help="best, last, a file, or auto (default)")

    sub.add_parser("datasets", help="list the dataset names")
    sub.add_parser("models", help="list the model names")
    sub.add_parser("run", help="run a PyTorch script unchanged on ember: ember run script.py [args...]", add_help=False)
    r = sub.add_parser("report", help="re-render a run's report.html")
    r.add_argument("run_dir", metavar="RUN_DIR")
    x = sub.add_parser("export", help="export a trained run's model to ONNX (needs ember[onnx])")
    x.add_argument("run_dir", metavar="RUN_DIR")
    x.add_argument("output", metavar="OUT.onnx")
    x.add_argument("--checkpoint", default="auto", help="best, last, a file, or auto (default)")
    x.add_argument("--opset", type=int, default=None, help="ONNX opset version (13-21; default 18)")
    return p


def _version() -> str:
    import ember

    return ember.__version__


def _err(msg: str) -> None:
    print(f"ember: error: {msg}", file=sys.stderr, flush=True)


def _cmd_train(args: argparse.Namespace) -> int:
    from ember.training.config import FIELDS, ConfigError, load_config
    from ember.training.run import train_run
    from ember.training.rundir import LAST

    given = {k: v for k, v in vars(args).items() if k in FIELDS}
    for flag, path in (("--run-dir", args.run_dir), ("--resume", args.resume)):
        if path and os.path.exists(path) and not os.path.isdir(path):
            _err(f"{flag} {path!r} is a file; it must name a directory (a new one, or a run to continue with --resume)")
            return EXIT_USAGE
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr, flush=True))
    threads: int | str = args.threads
    if threads != "auto":
        if not str(threads).isdigit() or int(threads) < 1:
            _err(f"--threads: expected a positive number or auto, got {threads!r}")
            return EXIT_USAGE
        threads = int(threads)
    if args.nproc is not None:
        from ember.distributed.launch import LaunchError, in_mpi_job, launch

        if args.nproc < 1:
            _err(f"--nproc: expected a positive number, got {args.nproc}")
            return EXIT_USAGE
        if args.nproc > 1 and not in_mpi_job():  # start the N processes, each running this same command
            try:
                return launch(args.nproc, ["-m", "ember", *args.argv], hosts=args.hosts, hostfile=args.hostfile)
            except LaunchError as ex:
                _err(str(ex))
                return EXIT_USAGE
    elif args.hosts or args.hostfile:
        _err("--hosts and --hostfile go with --nproc N")
        return EXIT_USAGE
    nproc = args.nproc
    if args.resume:
        if args.config or args.run_dir:
            _err("--resume continues a run with its own config.toml; do not combine it with --config or --run-dir")
            return EXIT_USAGE
        result = train_run(given, args.resume, resume=True, quiet=args.quiet, log=say, threads=threads, nproc=nproc)
    else:
        config: dict[str, Any] = {}
        explicit = set(given)
        if args.config:
            try:
                config = load_config(args.config)
            except ConfigError as ex:
                _err(str(ex))
                return EXIT_USAGE
            from ember.training.config import parse_toml

            with open(args.config, encoding="utf-8") as f:
                explicit |= set(parse_toml(f.read(), args.config))
        config.update(given)
        result = train_run(config, args.run_dir, quiet=args.quiet, explicit=sorted(explicit), log=say, threads=threads,
                           nproc=nproc)
    if nproc is not None:
        from ember.training.distributed import process_rank

        if process_rank() != 0:
            return EXIT_OK if result.status != "interrupted" else EXIT_INTERRUPTED

    s = result.summary
    if result.status == "interrupted":
        done = s.get("epochs_completed", 0)
        print(
            f"Training stopped during epoch {done + 1}; the checkpoint after epoch {done} of {s['epochs']} is "
            f"{result.run_dir / LAST}.\nResume with: ember train --resume {result.run_dir}",
            file=sys.stderr, flush=True,
        )
        return EXIT_INTERRUPTED
    if not args.quiet:
        line = f"test accuracy {s['test_accuracy']:.4f}, test loss {s['test_loss']:.4f}" if "test_accuracy" in s \
            else f"test loss {s.get('test_loss', float('nan')):.4f}"
        stopped = f", stopped early at epoch {s['stopped_early_at_epoch']}" if "stopped_early_at_epoch" in s else ""
        n = s["epochs_completed"]
        print(f"{line} ({n} epoch{'' if n == 1 else 's'} in {s['train_time_s']:.1f}s{stopped})")
        print(f"run directory: {result.run_dir}  (report: {result.run_dir / 'report.html'})")
    return EXIT_OK


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from ember.training.evaluate import evaluate_run

    logs = evaluate_run(args.run_dir, dataset=args.dataset, data_dir=args.data_dir, checkpoint=args.checkpoint,
                        split=args.split)
    parts = [f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, float)]
    print(f"{logs['dataset']} {logs['split']} ({logs['samples']} samples): " + ", ".join(parts))
    return EXIT_OK


def _cmd_predict(args: argparse.Namespace) -> int:
    from ember.training.predict import predict_files

    for r in predict_files(args.run_dir, args.files, top_k=args.top_k, checkpoint=args.checkpoint, invert=args.invert):
        name = r["file"] if r["index"] is None else f"{r['file']}[{r['index']}]"
        print(f"{name}: " + ", ".join(f"{c} ({p:.3f})" for c, p in r["top"]))
    return EXIT_OK


def _cmd_launch(args: argparse.Namespace) -> int:
    from ember.distributed.launch import LaunchError, launch

    if args.module:
        program = ["-m", args.module] + ([args.script] if args.script else []) + list(args.args)
    elif args.script:
        program = [args.script, *args.args]
    else:
        _err("launch: give a script to run (or -m MODULE)")
        return EXIT_USAGE
    try:
        return launch(args.nproc, program, hosts=args.hosts, hostfile=args.hostfile)
    except LaunchError as ex:
        _err(str(ex))
        return EXIT_USAGE


def _cmd_datasets(args: argparse.Namespace) -> int:
    from ember.vision.datasets import available

    notes = {
        "digits": "1,797 8x8 handwritten digits, shipped with ember (offline)",
        "mnist": "70,000 28x28 handwritten digits (files in --data-dir, or --download)",
        "fashion-mnist": "70,000 28x28 clothing images (files in --data-dir, or --download)",
        "kmnist": "70,000 28x28 Kuzushiji characters (files in --data-dir, or --download)",
        "emnist": "28x28 handwritten letters and digits (files in --data-dir, or --download)",
    }
    for name in available():
        print(f"{name:16s} {notes.get(name, 'synthetic 2-D toy problem (generated)')}")
    return EXIT_OK


def _cmd_models(args: argparse.Namespace) -> int:
    from ember.vision import models

    for name in models.available_models():
        doc = (getattr(models, name).__doc__ or "").strip().splitlines()
        line = doc[0].replace("``", "").replace("`", "") if doc else ""  # code spans read as plain text here
        print(f"{name:12s} {line}")
    print("path/to/file.py:ClassName  a model of your own")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from ember.training.run_report import write_run_report

    print(write_run_report(args.run_dir))
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    from ember.training.export import export_run

    path, shape = export_run(args.run_dir, args.output, checkpoint=args.checkpoint, opset_version=args.opset)
    print(f"wrote {path} (input 'input' of shape (batch, {', '.join(map(str, shape))}), output 'logits')")
    return EXIT_OK


_COMMANDS = {
    "export": _cmd_export,
    "train": _cmd_train,
    "launch": _cmd_launch,
    "evaluate": _cmd_evaluate,
    "predict": _cmd_predict,
    "datasets": _cmd_datasets,
    "models": _cmd_models,
    "report": _cmd_report,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ember`` command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["run"]:  # everything after `run` belongs to the script, untouched by argparse (--debug too)
        from ember.compat._run import main as run_main

        return run_main(argv[1:])
    parser = _parser()
    # --debug may stand anywhere on the line: errors then show their Python traceback
    debug = "--debug" in argv or os.environ.get("EMBER_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    if not argv:
        parser.print_help()  # a bare `ember` lists the commands
        return EXIT_OK
    args = parser.parse_args(argv)  # exits with 2 on a usage error, like every argparse program
    from ember.training.config import ConfigError
    from ember.training.errors import RunError, UsageError

    try:
        return _COMMANDS[args.command](args)
    except (UsageError, ConfigError) as ex:
        if debug:
            raise
        _err(str(ex))
        return EXIT_USAGE
    except RunError as ex:
        if debug:
            raise
        _err(str(ex))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("\nember: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `ember models | head`
        return EXIT_OK
    except Exception as ex:  # noqa: BLE001 - a newcomer gets one line; --debug shows the traceback
        if debug:
            raise
        _err(f"{_describe(ex)} (run again with --debug for the traceback)")
        return EXIT_FAILURE


def _describe(ex: BaseException) -> str:
    """One line for an unexpected error: the message, named by its kind when that helps."""
    text = [line.strip() for line in str(ex).strip().splitlines() if line.strip()]
    if type(ex).__name__ == "DownloadError" and len(text) > 1:  # mirror-by-mirror details: --debug shows them
        reasons = {line.rsplit(": ", 1)[-1] for line in text[1:-1]}
        return f"{text[0].rstrip(':')} ({'; '.join(sorted(reasons))}). {text[-1]}"
    first = "; ".join(text)[:500] or type(ex).__name__
    if isinstance(ex, OSError) and ex.filename is not None and ex.strerror:
        return f"{ex.strerror}: {ex.filename!r}"
    return first if type(ex).__name__ in ("DownloadError", "ImportError", "ModuleNotFoundError") else \
        f"{type(ex).__name__}: {first}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

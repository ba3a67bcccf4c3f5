"""The configuration of a training run: its keys, defaults and checks, and TOML in and out.

A run's ``config.toml`` is flat ``key = value`` lines (strings, numbers, booleans, lists of
integers), which is all ``ember train --config FILE`` reads. It is parsed with ``tomllib`` on
Python 3.11+ and with a small parser for that subset on 3.10.
"""

from __future__ import annotations

import difflib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FIELDS",
    "ConfigError",
    "default_config",
    "dump_config",
    "load_config",
    "parse_toml",
    "validate_config",
]

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad")
SCHEDULERS = ("none", "step", "cosine", "onecycle", "plateau")


class ConfigError(ValueError):
    """A configuration key or value is not valid; the message names the key."""


@dataclass(frozen=True)
class Field:
    """One configuration key: its type, default, allowed values and help text."""

    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    check: Callable[[Any], bool] | None = None
    requirement: str = ""


def _positive(v: Any) -> bool:
    return v > 0


def _non_negative(v: Any) -> bool:
    return v >= 0


FIELDS: dict[str, Field] = {
    "dataset": Field(str, "digits", "dataset name (see `ember datasets`)"),
    "data_dir": Field(str, "", "folder with the dataset files ('' = $EMBER_DATA or ~/.cache/ember)"),
    "download": Field(bool, False, "download a missing dataset"),
    "model": Field(str, "mlp", "zoo model name (see `ember models`) or path/to/file.py:ClassName"),
    "hidden": Field(list, [512, 256], "hidden layer sizes of an MLP"),
    "activation": Field(str, "relu", "activation of an MLP"),
    "dropout": Field(float, 0.0, "dropout probability of an MLP", check=lambda v: 0 <= v < 1, requirement="in [0, 1)"),
    "optimizer": Field(str, "adam", "optimizer", choices=OPTIMIZERS),
    "lr": Field(float, 0.0, "learning rate (0 = the optimizer's default: sgd 0.05, adam/adamw 0.003, "
                "rmsprop 0.001, adagrad 0.01)", check=_non_negative, requirement=">= 0"),
    "momentum": Field(float, -1.0, "momentum for sgd and rmsprop (-1 = default: sgd 0.9, rmsprop 0)"),
    "weight_decay": Field(float, 0.0, "L2 weight decay", check=_non_negative, requirement=">= 0"),
    "l1": Field(float, 0.0, "L1 penalty on the weights", check=_non_negative, requirement=">= 0"),
    "grad_clip": Field(float, 0.0, "clip the gradient norm to this value (0 = off)", check=_non_negative,
                       requirement=">= 0"),
    "batch_size": Field(int, 32, "training batch size", check=_positive, requirement="> 0"),
    "epochs": Field(int, 30, "epochs to train", check=_positive, requirement="> 0"),
    "scheduler": Field(str, "onecycle", "learning-rate schedule", choices=SCHEDULERS),
    "early_stopping": Field(int, 0, "patience in epochs (0 = off)", check=_non_negative, requirement=">= 0"),
    "val_split": Field(float, 0.1, "share of the training data held out for validation",
                       check=lambda v: 0 <= v < 1, requirement="in [0, 1)"),
    "seed": Field(int, 0, "random seed (data split, initialisation, data order, dropout)"),
    "tensorboard": Field(bool, False, "log the run for TensorBoard in RUN_DIR/tensorboard (needs ember[tensorboard])"),
}

# Names people reach for that difflib would not connect to ours.
_SYNONYMS = {
    "learning_rate": "lr",
    "learning-rate": "lr",
    "lr_scheduler": "scheduler",
    "schedule": "scheduler",
    "bs": "batch_size",
    "batch": "batch_size",
    "batch-size": "batch_size",
    "n_epochs": "epochs",
    "num_epochs": "epochs",
    "max_epochs": "epochs",
    "patience": "early_stopping",
    "hidden_sizes": "hidden",
    "hidden_layers": "hidden",
    "layers": "hidden",
    "wd": "weight_decay",
    "l2": "weight_decay",
    "data": "data_dir",
    "root": "data_dir",
    "data_root": "data_dir",
    "arch": "model",
    "optim": "optimizer",
    "clip": "grad_clip",
    "max_grad_norm": "grad_clip",
    "validation_split": "val_split",
}

_OPTIMIZER_LR = {"sgd": 0.05, "adam": 0.003, "adamw": 0.003, "rmsprop": 0.001, "adagrad": 0.01}
_OPTIMIZER_MOMENTUM = {"sgd": 0.9, "rmsprop": 0.0}


def default_config() -> dict[str, Any]:
    """Every key with its default value."""
    return {k: (list(f.default) if isinstance(f.default, list) else f.default) for k, f in FIELDS.items()}


def _number(key: str, value: Any, expected: str) -> float:
    """``value`` (a number, or a string of one, never a bool) as a float; else a ConfigError naming ``expected``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ConfigError(f"config key {key!r}: expected {expected}, got {value!r}")
    try:
        return float(value)
    except ValueError:
        raise ConfigError(f"config key {key!r}: expected {expected}, got {value!r}") from None


def _coerce(key: str, value: Any) -> Any:
    field = FIELDS[key]
    t = field.type
    if t is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "1", "0"):
            return value.lower() in ("true", "yes", "1")
        raise ConfigError(f"config key {key!r}: expected true or false, got {value!r}")
    if t is int:
        f = _number(key, value, "an integer")
        if not f.is_integer():
            raise ConfigError(f"config key {key!r}: expected an integer, got {value!r}")
        return int(f)
    if t is float:
        f = _number(key, value, "a number")
        if math.isnan(f):
            raise ConfigError(f"config key {key!r}: expected a number, got nan")
        return f
    if t is list:  # hidden sizes: [256, 128], "256,128", 256 or "" / [] for none
        if isinstance(value, str):
            parts = [p for p in value.replace(" ", "").split(",") if p]
        elif isinstance(value, (list, tuple)):
            parts = list(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            parts = [value]
        else:
            raise ConfigError(f"config key {key!r}: expected a list of integers such as [256, 128], got {value!r}")
        out = []
        for p in parts:
            try:
                n = int(p)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"config key {key!r}: expected a list of integers such as [256, 128], got {value!r}"
                ) from None
            if isinstance(p, float) and not p.is_integer() or isinstance(p, bool) or n < 1:
                raise ConfigError(f"config key {key!r}: sizes must be positive integers, got {value!r}")
            out.append(n)
        return out
    if not isinstance(value, str):
        raise ConfigError(f"config key {key!r}: expected a string, got {value!r}")
    return value


def validate_config(values: Mapping[str, Any], base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``base`` (default: the defaults) updated with ``values``, every key known and every value checked.

    Raises:
        ConfigError: an unknown key (with the closest valid one) or a value of the wrong type or range.
    """
    out = dict(base) if base is not None else default_config()
    for key, value in values.items():
        if isinstance(value, Mapping):
            raise ConfigError(f"config key {key!r}: sections ([{key}]) are not supported; write flat key = value lines")
        if key not in FIELDS:
            close = [_SYNONYMS[key]] if key in _SYNONYMS else difflib.get_close_matches(str(key), list(FIELDS), n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown config key {key!r}.{hint} Valid keys: {', '.join(FIELDS)}")
        v = _coerce(key, value)
        field = FIELDS[key]
        if field.choices is not None:
            v = v.lower()
            if v not in field.choices:
                close = difflib.get_close_matches(v, field.choices, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ConfigError(f"unknown {key} {value!r}.{hint} Choose from: {', '.join(field.choices)}")
        if field.check is not None and not field.check(v):
            raise ConfigError(f"config key {key!r}: must be {field.requirement}, got {value!r}")
        out[key] = v
    return out


def resolve_defaults(config: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the optimizer-dependent values (``lr`` 0, ``momentum`` -1) with the optimizer's defaults."""
    out = dict(config)
    if not out["lr"]:
        out["lr"] = _OPTIMIZER_LR[out["optimizer"]]
    if out["momentum"] < 0:
        out["momentum"] = _OPTIMIZER_MOMENTUM.get(out["optimizer"], 0.0)
    return out


# ---------------------------------------------------------------------------------------------- TOML
def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string: JSON's escapes are a subset of TOML's
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"dump_config: cannot write {type(v).__name__} values to TOML")


def dump_config(config: Mapping[str, Any], comments: tuple[str, ...] = ()) -> str:
    """``config`` as flat TOML (``key = value`` per line), ``None`` values left out."""
    lines = [f"# {c}" for c in comments]
    for key, value in config.items():
        if value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


class _MiniTOML:
    """The flat subset of TOML that ``dump_config`` writes: ``key = value`` with strings, numbers,
    booleans and one-line arrays of those; comments; no tables. For Python 3.10 (no ``tomllib``)."""

    def __init__(self, text: str, source: str) -> None:
        self.text, self.source = text, source

    def error(self, lineno: int, msg: str) -> ConfigError:
        return ConfigError(f"{self.source}, line {lineno}: {msg}")

    def parse(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for lineno, raw in enumerate(self.text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                raise self.error(lineno, "sections ([table]) are not supported; write flat key = value lines")
            key, eq, rest = line.partition("=")
            key = key.strip().strip('"')
            if not eq or not key:
                raise self.error(lineno, f"expected key = value, got {raw!r}")
            value, end = self.value(rest.strip(), lineno)
            tail = rest.strip()[end:].strip()
            if tail and not tail.startswith("#"):
                raise self.error(lineno, f"unexpected text after the value: {tail!r}")
            if key in out:
                raise self.error(lineno, f"key {key!r} is defined twice")
            out[key] = value
        return out

    def value(self, s: str, lineno: int) -> tuple[Any, int]:
        if not s:
            raise self.error(lineno, "missing value after '='")
        if s[0] == '"':
            i = 1
            while i < len(s):
                if s[i] == "\\":
                    i += 2
                    continue
                if s[i] == '"':
                    try:
                        return json.loads(s[: i + 1]), i + 1
                    except json.JSONDecodeError as e:
                        raise self.error(lineno, f"bad string {s[: i + 1]}: {e}") from None
                i += 1
            raise self.error(lineno, "unterminated string")
        if s[0] == "'":
            end = s.find("'", 1)
            if end < 0:
                raise self.error(lineno, "unterminated string")
            return s[1:end], end + 1
        if s[0] == "[":
            items, i = [], 1
            while True:
                while i < len(s) and s[i] in " \t":
                    i += 1
                if i >= len(s):
                    raise self.error(lineno, "unterminated array (arrays must fit on one line)")
                if s[i] == "]":
                    return items, i + 1
                v, n = self.value(s[i:], lineno)
                items.append(v)
                i += n
                while i < len(s) and s[i] in " \t":
                    i += 1
                if i < len(s) and s[i] == ",":
                    i += 1
        end = 0
        while end < len(s) and s[end] not in ",]# \t":
            end += 1
        token = s[:end]
        if token in ("true", "false"):
            return token == "true", end
        if token in ("inf", "+inf", "-inf", "nan", "+nan", "-nan"):
            return float(token), end
        clean = token.replace("_", "")
        try:
            return int(clean, 0) if clean.lstrip("+-")[:2] in ("0x", "0o", "0b") else int(clean), end
        except ValueError:
            pass
        try:
            return float(clean), end
        except ValueError:
            raise self.error(lineno, f"cannot read the value {token!r} (strings need quotes)") from None


def parse_toml(text: str, source: str = "<config>") -> dict[str, Any]:
    """Parse TOML text: ``tomllib`` when available (3.11+), else the flat subset ember writes."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return _MiniTOML(text, source).parse()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from None


def load_config(path: str | os.PathLike, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read and validate a TOML config file; keys it leaves out come from ``base`` (default: the defaults)."""
    path = os.fspath(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ConfigError(f"config file {path!r} not found") from None
    try:
        return validate_config(parse_toml(text, path), base)
    except ConfigError as e:
        msg = str(e)
        raise ConfigError(msg if msg.startswith(path) else f"{path}: {msg}") from None

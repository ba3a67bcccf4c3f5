"""``ember run script.py [args...]``: run a PyTorch program unchanged, with ``torch`` aliased to ember.

The script runs as ``python script.py`` would run it (through ``runpy``): ``__name__`` is
``"__main__"``, ``sys.argv`` is ``[script, *args]``, ``sys.path[0]`` is the script's directory,
``sys.exit(n)`` exits with ``n`` and an uncaught exception prints its traceback and exits with 1.
When the program reaches a PyTorch name ember lacks, one line on stderr names the torch API and
the line of the program that used it, before the traceback.
"""

from __future__ import annotations

import linecache
import os
import re
import runpy
import sys
import traceback

from ._alias import alias_torch, torch_name

USAGE = "usage: ember run script.py [args...]   (or: ember run -m module [args...])"


def _frames(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _ember_dir() -> str:
    import ember

    return os.path.dirname(os.path.abspath(ember.__file__)) + os.sep


def _user_line(exc: BaseException) -> str | None:
    """``file:line: code`` of the innermost frame outside ember, importlib and runpy."""
    skip = (_ember_dir(), os.path.dirname(os.__file__) + os.sep)
    best = None
    for tb in _frames(exc.__traceback__):
        filename = os.path.abspath(tb.tb_frame.f_code.co_filename)
        if filename.startswith(skip) or filename.startswith("<frozen"):
            continue
        best = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
    if best is None:
        return None
    code = linecache.getline(best[0], best[1]).strip()
    return f"{best[0]}:{best[1]}: {code}"


def missing_api(exc: BaseException) -> str | None:
    """The PyTorch API ``exc`` says ember lacks (``torch.foo.bar``), or None if it isn't about that."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        if top in ("torch", "torchvision"):
            return exc.name
        if top == "ember":
            return torch_name(exc.name)
        return None
    if isinstance(exc, ImportError) and exc.name and exc.name.split(".")[0] == "ember":
        # "cannot import name 'X' from 'ember.nn'": the name is in the message
        text = str(exc)
        if text.startswith("cannot import name '"):
            return f"{torch_name(exc.name)}.{text.split(chr(39))[1]}"
        return torch_name(exc.name)
    if isinstance(exc, AttributeError):
        match = re.fullmatch(r"module '(ember(?:\.[\w.]+)?)' has no attribute '(\w+)'", str(exc))
        if match:
            return f"{torch_name(match.group(1))}.{match.group(2)}"
        obj = getattr(exc, "obj", None)
        name = getattr(exc, "name", None)
        module_name = getattr(obj, "__name__", None) if type(obj).__name__ == "module" else None
        if module_name and name and module_name.split(".")[0] == "ember":
            return f"{torch_name(module_name)}.{name}"
        owner = type(obj)
        if name and obj is not None and owner.__module__.split(".")[0] == "ember" and module_name is None:
            from ember import Tensor

            if isinstance(obj, Tensor):  # Parameters too: the method would be torch.Tensor's
                return f"torch.Tensor.{name}"
            return f"{torch_name(owner.__module__)}.{owner.__qualname__}.{name}"
    return None


def report_missing(exc: BaseException, stream=None) -> bool:
    """Print the one-line ``ember run: <torch API> is not available in ember`` note; True if printed."""
    api = missing_api(exc)
    if api is None:
        return False
    where = _user_line(exc)
    stream = stream or sys.stderr
    print(f"ember run: {api} is not available in ember" + (f" (used at {where})" if where else ""), file=stream)
    return True


def _trim(tb, script: str | None):
    """Drop the frames of ember run itself (and runpy) so the traceback starts in the program."""
    first = tb
    if script is not None:
        target = os.path.abspath(script)
        for frame in _frames(tb):
            if os.path.abspath(frame.tb_frame.f_code.co_filename) == target:
                return frame
    runpy_file = os.path.abspath(runpy.__file__)
    here = os.path.abspath(__file__)
    while first is not None and os.path.abspath(first.tb_frame.f_code.co_filename) in (runpy_file, here):
        first = first.tb_next
    return first or tb


def _path0(script: str | None) -> str:
    """What python puts first on sys.path (in place of where the interpreter started): the script's
    directory; a directory or zip given as the script itself; the current directory for ``-m``."""
    import zipfile

    if script is None:
        return os.getcwd()
    if os.path.isdir(script) or (not script.endswith(".py") and zipfile.is_zipfile(script)):
        return script
    return os.path.dirname(script)


def _alias_in_spawned_children() -> None:
    """Processes started with the ``spawn`` method re-run the script in a fresh interpreter; have that
    interpreter install the alias first, so the script's ``import torch`` gives ember there too."""
    import multiprocessing.spawn as mp_spawn

    original = mp_spawn.get_command_line
    if getattr(original, "_ember_alias", False):
        return

    def get_command_line(**kwds):
        cmd = original(**kwds)
        if "-c" in cmd:
            i = cmd.index("-c") + 1
            cmd[i] = "import ember.compat; ember.compat.alias_torch(); " + cmd[i]
        return cmd

    get_command_line._ember_alias = True
    mp_spawn.get_command_line = get_command_line


def main(argv: list[str] | None = None) -> int:
    """Run ``argv[0]`` (a script path, or ``-m module``) with ``argv[1:]`` as its arguments; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    as_module = argv[0] == "-m"
    if as_module:
        if len(argv) < 2:
            print(USAGE, file=sys.stderr)
            return 2
        target, args = argv[1], argv[2:]
    else:
        target, args = argv[0], argv[1:]
        if not os.path.exists(target):
            print(f"ember run: can't open file {os.path.abspath(target)!r}: [Errno 2] No such file or directory",
                  file=sys.stderr)
            return 2
    alias_torch()
    _alias_in_spawned_children()
    saved_argv, saved_path = sys.argv, list(sys.path)
    script = None if as_module else os.path.abspath(target)
    sys.argv = [target, *args]  # as typed, like python's argv[0]; __file__ is absolute (python >= 3.9)
    first = _path0(script)
    if sys.path:
        sys.path[0] = first
    else:
        sys.path.insert(0, first)
    try:
        if as_module:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(script, run_name="__main__")
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:  # python prints the traceback and the shell sees 128 + SIGINT
        traceback.print_exception(type(exc), exc, _trim(exc.__traceback__, script))
        return 130
    except BaseException as exc:  # noqa: BLE001 - the program's own error: report it like Python does
        report_missing(exc)
        sys.stderr.flush()
        traceback.print_exception(type(exc), exc, _trim(exc.__traceback__, script))
        return 1
    finally:
        sys.argv = saved_argv
        sys.path[:] = saved_path
    return 0

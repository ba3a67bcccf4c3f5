"""The import hook behind ``ember run``: ``torch`` -> ``ember``, ``torchvision`` -> ``ember.vision``.

A meta-path finder answers for the aliased names only, and only when they are imported: its
loader imports the ember module and puts that very module object in ``sys.modules`` under the
torch name, so ``torch.nn is ember.nn`` and classes keep a single identity. Nothing is imported
ahead of use, and undoing the alias removes exactly the entries the hook added.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading

# torch name prefix -> ember module name prefix (the longest matching prefix wins).
ALIASES = {"torch": "ember", "torchvision": "ember.vision"}
_lock = threading.Lock()
_state = {"finder": None, "added": set(), "saved": {}}


def ember_name(fullname: str) -> str | None:
    """The ember module a torch module name stands for (``torch.nn.functional`` -> ``ember.nn.functional``)."""
    top, _, rest = fullname.partition(".")
    if top not in ALIASES:
        return None
    return ALIASES[top] + ("." + rest if rest else "")


def torch_name(name: str) -> str:
    """The PyTorch spelling of an ember module name, for messages (``ember.vision.x`` -> ``torchvision.x``)."""
    for torch_prefix, ember_prefix in sorted(ALIASES.items(), key=lambda kv: -len(kv[1])):
        if name == ember_prefix or name.startswith(ember_prefix + "."):
            return torch_prefix + name[len(ember_prefix):]
    return name


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        return None  # a throwaway module; exec_module swaps the real one in

    def exec_module(self, module) -> None:
        real = importlib.import_module(self.target)
        sys.modules[module.__name__] = real  # the import system returns whatever is here now
        _state["added"].add(module.__name__)


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``torch``/``torchvision`` (and their submodules) as ember modules."""

    def find_spec(self, fullname, path=None, target=None):
        target_name = ember_name(fullname)
        if target_name is None:
            return None
        try:
            found = importlib.util.find_spec(target_name)
        except (ImportError, ValueError):
            found = None
        if found is None:
            parent, _, child = target_name.rpartition(".")
            owner = sys.modules.get(parent)
            if owner is None or not hasattr(owner, child) or type(getattr(owner, child)).__name__ != "module":
                raise ModuleNotFoundError(f"No module named '{fullname}' (ember has no {target_name})", name=fullname)
            target_name = getattr(owner, child).__name__
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(target_name))


def alias_torch() -> None:
    """Make ``import torch`` / ``import torchvision`` (and their submodules) give ember's modules.

    Any already-imported real ``torch``/``torchvision`` modules are set aside (restored by
    ``unalias_torch``), so code imported afterwards sees ember. Calling it twice is harmless.

    Example:
        >>> import ember.compat; ember.compat.alias_torch()
        >>> import torch; torch.nn.Linear is ember.nn.Linear
        True
    """
    with _lock:
        if _state["finder"] is not None:
            return
        for name in list(sys.modules):
            if ember_name(name) is not None:
                _state["saved"][name] = sys.modules.pop(name)
        finder = _AliasFinder()
        sys.meta_path.insert(0, finder)
        _state["finder"] = finder


def unalias_torch() -> None:
    """Undo ``alias_torch``: remove the hook and the aliased entries, restore any real torch modules."""
    with _lock:
        finder = _state["finder"]
        if finder is None:
            return
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
        for name in list(sys.modules):
            if ember_name(name) is not None and (name in _state["added"] or
                                                  getattr(sys.modules[name], "__name__", "").startswith("ember")):
                del sys.modules[name]
        sys.modules.update(_state["saved"])
        _state.update(finder=None, added=set(), saved={})


def is_aliased() -> bool:
    """True while ``alias_torch`` is in effect."""
    return _state["finder"] is not None

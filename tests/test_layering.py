"""The import graph of ``src/ember`` points one way (docs/internals.md, "Layout").

Edges are read from the source with the AST, imports inside functions included: an import
moved into a function to dodge a circle is still a circle. One exception: a package's
``__init__`` importing its own submodules from ``__getattr__`` (the lazy-submodule maps) is
how the package defers loading, not a dependency of the package on its parts.
"""

from __future__ import annotations

import ast
import pathlib

import pytest

SRC = pathlib.Path(__file__).resolve().parents[1] / "src"
ROOT = SRC / "ember"



def _module_names() -> dict[str, pathlib.Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _targets(node, module: str, is_package: bool, mods) -> list[str]:
    """The ember modules an import statement in ``module`` names."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in mods]
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - node.level + 1]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        if sub in mods:
            out.append(sub)
        elif target in mods:
            out.append(target)
    return out


def _is_type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(node, module: str, is_package: bool, mods, lazy_map: bool = False):
    """The ember modules imported anywhere under ``node`` (functions included, TYPE_CHECKING blocks not)."""
    for child in ast.iter_child_nodes(node):
        if _is_type_checking(child):
            continue
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            if isinstance(child, ast.ImportFrom) and child.module == "__future__":
                continue
            for target in _targets(child, module, is_package, mods):
                if not (lazy_map and target.startswith(module + ".")):
                    yield target
            continue
        in_getattr = is_package and isinstance(child, ast.FunctionDef) and child.name == "__getattr__"
        yield from _imports(child, module, is_package, mods, lazy_map or in_getattr)


def import_graph() -> dict[str, set[str]]:
    """module -> the ember modules it imports (at module level or inside functions)."""
    mods = _module_names()
    graph = {}
    for module, path in mods.items():
        tree = ast.parse(path.read_text())
        graph[module] = set(_imports(tree, module, path.name == "__init__.py", mods)) - {module}
    return graph


def strongly_connected(graph) -> list[list[str]]:
    """Tarjan's components of more than one module (iterative: the graph is a few hundred nodes deep)."""
    index, low, on_stack, stack, comps = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        comps.append(sorted(comp))
    return comps


def a_cycle(graph, comp) -> list[str]:
    """One import circle inside the component ``comp``: a -> b -> ... -> a."""
    members = set(comp)
    start = comp[0]
    parent = {start: None}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & members):
            if w == start:
                path = [v]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return [start, *reversed(path[:-1]), start] if len(path) > 1 else [start, v, start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    return comp


GRAPH = import_graph()


def test_the_graph_is_read_from_the_source():
    # Sanity: edges the layering relies on are seen, in-function ones and relative ones included.
    assert "ember._tensor" in GRAPH["ember._ops._common"]
    assert "ember.autograd.function" in GRAPH["ember._ops._common"]
    assert "ember._ops.shape" in GRAPH["ember._ops.index"]
    assert len(GRAPH) > 100


def test_a_circle_is_found_and_printed(tmp_path):
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    comps = strongly_connected(graph)
    assert comps == [["a", "b", "c"]]
    assert a_cycle(graph, comps[0]) == ["a", "b", "c", "a"]


def test_there_is_no_import_circle():
    circles = strongly_connected(GRAPH)
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(a_cycle(GRAPH, c)) for c in circles)


def _imports_from(module: str, prefixes) -> list[str]:
    return sorted(t for t in GRAPH[module] if any(t == p or t.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("module", ["ember._backend", "ember._dtype", "ember._device", "ember._memory_format"])
def test_the_bottom_layer_imports_nothing_from_ember(module):
    assert GRAPH[module] == set(), f"{module} imports {sorted(GRAPH[module])}"


def test_the_tensor_imports_only_the_bottom_layer():
    assert not _imports_from("ember._tensor", ["ember._ops", "ember.autograd", "ember.nn", "ember._creation"])
    assert GRAPH["ember._tensor"] <= {"ember._backend", "ember._dtype", "ember._device", "ember._memory_format", "ember._format"}


@pytest.mark.parametrize("module", ["ember.autograd.function", "ember.autograd.engine", "ember.autograd.grad_mode"])
def test_autograd_sits_below_the_ops(module):
    assert not _imports_from(module, ["ember._ops", "ember._creation", "ember.nn", "ember._tensor_methods"])


def test_common_is_the_bottom_of_ops():
    assert not _imports_from("ember._ops._common", ["ember._ops", "ember._creation"])


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m.startswith("ember._ops.")))
def test_ops_know_nothing_of_the_layers_above(module):
    # (``_tensor_surface``, the mechanism that attaches methods, sits just above the Tensor: ops may use it.)
    above = ["ember.nn", "ember.optim", "ember.training", "ember.vision", "ember.cli", "ember._tensor_methods"]
    assert not _imports_from(module, above), f"{module} imports {_imports_from(module, above)}"
    assert "ember" not in GRAPH[module], f"{module} imports the ember package (everything) instead of what it uses"


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if m == "ember.nn" or m.startswith("ember.nn.")))
def test_nn_knows_nothing_of_training_or_the_cli(module):
    assert not _imports_from(module, ["ember.training", "ember.cli"])

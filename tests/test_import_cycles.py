"""No import cycles between first-party modules, computed from the AST (nothing is imported).

Every import counts: at module level, inside functions and under `if TYPE_CHECKING:`. A
function-level import only hides a cycle from the interpreter, and on main before the
split every cycle under brokers/ ran through a TYPE_CHECKING import, so a graph without
them would have seen none. A part that needs its owner for an annotation declares a
`Protocol` of what it uses instead. `from pkg import name` is an edge to `pkg.name` when
that is a module, else to `pkg`.

brokers/, sandbox/ and playground/ are each held to zero. Inside a package, a module
imports its siblings by their full dotted name (`import sandbox.runtime.spec as specs`,
`from sandbox.runtime.core import SandboxRuntime`): `from sandbox.runtime import spec`
is also an edge to the package, whose `__init__` assembles the runtime.
"""

from __future__ import annotations

import ast
import functools
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", "tests", "node_modules", "migrations", "bench", "artifacts", "scripts"}


def first_party_modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every package or module under root."""
    mods = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP and not d.startswith((".", "_")))
        for file in files:
            if not file.endswith(".py"):
                continue
            path = Path(folder) / file
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                mods[".".join(parts)] = path
    return mods


def _imported(module: str, is_package: bool, node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    return [base] + [f"{base}.{a.name}" for a in node.names]


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the first-party modules it imports anywhere in its text."""
    mods = first_party_modules(root)
    tops = {m.split(".")[0] for m in mods}
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for module, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            for target in _imported(module, is_package, node):
                if target.split(".")[0] not in tops:
                    continue
                while target and target not in mods:  # pkg.name that is not a module
                    target = target.rpartition(".")[0]
                if target and target != module:
                    graph[module].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


@functools.cache
def repo_graph() -> dict[str, set[str]]:
    return import_graph(ROOT)


def cycles_in(package: str) -> list[list[str]]:
    inside = package + "."
    return [c for c in cycles(repo_graph()) if any(m.startswith(inside) for m in c)]


def test_there_is_no_import_cycle_under_brokers():
    assert cycles_in("brokers") == []


def test_brokers_imports_nothing_first_party_outside_brokers():
    """The engine is the bottom layer: it imports no sandbox and no playground module."""
    graph = repo_graph()
    upward = {
        m: sorted(t for t in targets if t.split(".")[0] != "brokers")
        for m, targets in graph.items()
        if m.split(".")[0] == "brokers"
    }
    assert {m: ts for m, ts in upward.items() if ts} == {}


def test_the_sandbox_core_imports_no_playground_module():
    """The sandbox core sits under the web app: it imports brokers/, never playground/."""
    graph = repo_graph()
    upward = {
        m: sorted(t for t in targets if t.split(".")[0] == "playground")
        for m, targets in graph.items()
        if m.split(".")[0] == "sandbox"
    }
    assert {m: ts for m, ts in upward.items() if ts} == {}


@pytest.mark.parametrize("package", ["sandbox", "playground"])
def test_there_is_no_import_cycle_under_the_sandbox_core_nor_the_web_app(package):
    assert cycles_in(package) == []


def test_the_runtime_core_imports_no_command_module():
    """Commands register themselves (`sandbox.runtime.commands`): the core reads the table
    and imports none of the modules that fill it."""
    handlers = {
        "sandbox.runtime.ops.amqp",
        "sandbox.runtime.ops.kafka",
        "sandbox.runtime.ops.producers",
        "sandbox.runtime.ops.control",
        "sandbox.runtime.ops.inspector",
        "sandbox.scenarios.commands",
    }
    assert repo_graph()["sandbox.runtime.core"] & handlers == set()


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # a part importing its owner only for an annotation is still a cycle
        (
            {
                "pkg/__init__.py": "",
                "pkg/model.py": "from pkg.part import Part\n",
                "pkg/part.py": "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.model import Model\n",
            },
            [["pkg.model", "pkg.part"]],
        ),
        # so is one deferred into a function, and a relative `from . import x`
        (
            {
                "pkg/__init__.py": "",
                "pkg/a.py": "from . import b\n",
                "pkg/b.py": "def f():\n    from pkg.a import g\n",
            },
            [["pkg.a", "pkg.b"]],
        ),
        # a Protocol in the part breaks it: the owner imports the part, not the reverse
        (
            {
                "pkg/__init__.py": "",
                "pkg/model.py": "from pkg.part import Part\n",
                "pkg/part.py": "from typing import Protocol\nclass Host(Protocol): ...\n",
            },
            [],
        ),
        # `from pkg import name` where name is not a module is an edge to the package
        (
            {
                "pkg/__init__.py": "from pkg.impl import thing\n",
                "pkg/impl.py": "from pkg import other\n",
            },
            [["pkg", "pkg.impl"]],
        ),
    ],
)
def test_the_cycle_finder_sees_cycles_through_every_kind_of_import(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cycles(import_graph(tmp_path)) == expected

"""The package's layers run one way (constants and data, config, models / losses / metrics, the engine,
experiments, notebooks and the command line) and no import cycle hides behind an import inside a function.

The layers are an import-linter contract in pyproject.toml; the cycles are read here from the source with `ast`.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rankseg"

# Cycles tolerated for now; each entry must still be a cycle (the test says when it can go). None today.
KNOWN_CYCLES: set[frozenset[str]] = set()


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def import_graph() -> dict[str, set[str]]:
    """module → the rankseg modules it imports anywhere in its source (at the top or inside a function)."""
    modules = module_names()

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rankseg"):
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names if alias.name.startswith("rankseg")]
            else:
                continue
            graph[module] |= {t for t in map(resolve, targets) if t and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

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
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_layers_contract():
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_import_cycles_not_even_through_imports_inside_functions():
    found = {frozenset(c) for c in cycles(import_graph())}
    assert found - KNOWN_CYCLES == set(), f"import cycles: {[sorted(c) for c in found - KNOWN_CYCLES]}"
    assert KNOWN_CYCLES <= found, f"no longer cycles, drop them from KNOWN_CYCLES: {KNOWN_CYCLES - found}"


def test_the_cycle_check_sees_an_import_inside_a_function():
    graph = {"a": {"b"}, "b": set()}
    assert cycles(graph) == []
    graph["b"].add("a")  # what `def f(): from a import x` in b adds
    assert cycles(graph) == [{"a", "b"}]
    mods = import_graph()
    assert "rankseg.data.panoptic" in mods["rankseg.engine.mask_classification"]

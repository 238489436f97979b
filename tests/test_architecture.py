"""The import structure: `agents/` stays pure, and no import cycle exists between modules or apps.

Imports are read with `ast`, those inside functions included (an import moved into a function
to dodge a cycle is still the cycle). An edge lies on a cycle when its target imports its
source back, directly or not. The apps' order is written in the README ("How the code is
organised"); a lower app that must hear of a higher one offers a hook (a signal, a registry,
a task queued by name) instead of importing it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("apps", "agents", "config")
PURE = "agents"
FORBIDDEN_IN_PURE = ("apps", "config", "django")

def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[module_name(path)] = path
    return found


def imports_of(path: Path, module: str) -> list[tuple[str, tuple[str, ...]]]:
    """Every import in the file, anywhere in it (functions included): (module, names from it)."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, ()) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((target, tuple(alias.name for alias in node.names)))
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports (`from pkg import mod` is an edge to pkg.mod)."""
    known = modules()
    graph = {}
    for module, path in known.items():
        targets = set()
        for target, names in imports_of(path, module):
            submodules = {f"{target}.{name}" for name in names} & known.keys()
            if submodules:
                targets |= submodules
            if not names or len(submodules) < len(names):
                targets.add(target)
        graph[module] = {t for t in targets if t in known and t != module}
    return graph


def all_imports(module: str, path: Path) -> set[str]:
    return {target for target, _ in imports_of(path, module)}


def app_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "apps" and len(parts) > 1 else parts[0]


def app_edges(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """App → the apps its modules import (apps.* only; agents and config are not apps)."""
    apps: dict[str, set[str]] = defaultdict(set)
    for module, targets in graph.items():
        if module.startswith("apps."):
            for target in targets:
                if target.startswith("apps.") and app_of(target) != app_of(module):
                    apps[app_of(module)].add(app_of(target))
    return dict(apps)


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def cycle_edges(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The edges u → v where v leads back to u."""
    reach = {node: reachable(graph, node) for node in graph}
    return {(u, v) for u, targets in graph.items() for v in targets if u in reach.get(v, ())}


def test_agents_import_nothing_from_apps_config_or_django():
    offending = sorted(
        f"{module} imports {name}" for module, path in modules().items() if module.startswith(PURE)
        for name in all_imports(module, path) if name.split(".")[0] in FORBIDDEN_IN_PURE)
    assert offending == []


def test_no_module_import_cycle():
    edges = sorted(cycle_edges(import_graph()))
    assert edges == [], "import cycle(s); break them (a service must not import its tasks):\n" + \
        "\n".join(f"  {u} -> {v}" for u, v in edges)


def test_no_app_import_cycle():
    edges = sorted(cycle_edges(app_edges(import_graph())))
    assert edges == [], "cycle(s) between apps:\n" + "\n".join(f"  {u} -> {v}" for u, v in edges)


def test_the_checker_sees_imports_inside_functions_and_the_cycles_they_close(tmp_path):
    source = tmp_path / "services.py"
    source.write_text("def launch():\n    from . import tasks\n    from apps.lab.tasks import run\n")
    assert imports_of(source, "apps.lab.services") == [("apps.lab", ("tasks",)), ("apps.lab.tasks", ("run",))]
    graph = {"a.services": {"a.tasks"}, "a.tasks": {"a.services", "a.models"}, "a.models": set()}
    assert cycle_edges(graph) == {("a.services", "a.tasks"), ("a.tasks", "a.services")}

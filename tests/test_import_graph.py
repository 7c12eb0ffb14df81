"""The import graph of webapp/ (issue 18): no cycles between modules, and nothing imports upward
(domain ← models ← queries and services ← routes). Read from the source, so a cycle is caught
even where import order happens to hide it at run time."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.db_independent

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(WEBAPP.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in WEBAPP.rglob("*.py")
            if "migrations" not in path.parts}


def _imports(name: str, path: Path, modules: dict[str, Path], top_level_only: bool):
    """Modules of webapp that `name` imports (with `from . import x`, x if it is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            targets = [f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules
                       else origin for alias in node.names]
        else:
            continue
        found.update(target for target in targets if target in modules)
    return found


def _edges(top_level_only: bool) -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        targets = set()
        for target in _imports(name, path, modules, top_level_only):
            # Importing a module runs its packages' __init__ first (webapp's own excepted: the
            # app factory imports everything and is always loaded first).
            parts = target.split(".")
            targets.update(".".join(parts[:n]) for n in range(2, len(parts) + 1))
        # A blueprint's modules import `bp` from their own package: Flask's standard layout.
        graph[name] = {t for t in targets if t != name and not name.startswith(t + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, result = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                result.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return result


def test_no_module_level_import_cycles():
    assert _cycles(_edges(top_level_only=True)) == []


def test_the_cycle_finder_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_domain_imports_only_domain_and_no_flask():
    graph = _edges(top_level_only=False)
    for name, targets in graph.items():
        if name.startswith("webapp.domain"):
            assert {t for t in targets if not t.startswith("webapp.domain")} == set(), name
            # Pure rules: lazy translation markers (flask_babel) at most, never Flask itself.
            tree = ast.parse(_modules()[name].read_text(encoding="utf-8"))
            roots = {alias.name.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.Import) for alias in node.names}
            roots |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                      if isinstance(node, ast.ImportFrom) and not node.level}
            assert not roots & {"flask", "flask_login", "flask_wtf", "sqlalchemy"}, name


def test_models_import_only_models_the_database_and_domain():
    allowed = ("webapp.models", "webapp.extensions", "webapp.domain")
    for name, targets in _edges(top_level_only=False).items():
        if name.startswith("webapp.models"):
            assert [t for t in targets if not t.startswith(allowed)] == [], name


def test_nothing_below_the_routes_imports_a_routes_module():
    """Routes are the top: shared code (queries, services, forms, domain, models) never
    imports a view module."""
    for name, targets in _edges(top_level_only=False).items():
        if name.rpartition(".")[2].endswith("routes") or name.endswith("__init__"):
            continue
        if name.count(".") == 1 and name.split(".")[1] in {
                "admin", "auth", "checklists", "housing", "main", "me", "push", "pwa",
                "social", "staff"}:
            continue  # a blueprint package registers its routes
        routes = [t for t in targets if t.rpartition(".")[2].endswith("routes")]
        assert routes == [], f"{name} imports {routes}"

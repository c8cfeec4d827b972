"""The app's modules import each other in one direction only: no module imports, directly or through others, a module
that imports it back. Read from the import statements (at any depth of a module, so a function-level import cannot
hide a loop)."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "commitments"


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
    return {module_name(path): path for path in APP.rglob("*.py") if "migrations" not in path.parts}


def imported_modules(path: Path, modules: dict[str, Path]) -> set[str]:
    """The app modules a file imports: `from . import x`, `from .x import y`, `import commitments.x`, at any depth."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            candidates = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(candidate for candidate in candidates if candidate in modules and candidate != name)
    return found


def import_loops(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, loops = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                loops.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return loops


def dependency_graph() -> dict[str, set[str]]:
    modules = app_modules()
    graph = {name: imported_modules(path, modules) for name, path in modules.items()}
    # A package is not a loop with its own modules: importing `commitments.admin` runs its __init__, which imports them.
    for name in graph:
        graph[name] = {target for target in graph[name] if not name.startswith(target + ".")}
    return graph


def test_no_module_of_the_app_imports_one_that_imports_it_back():
    assert import_loops(dependency_graph()) == []


def test_the_check_finds_a_loop_when_there_is_one():
    assert import_loops({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_layers_point_one_way():
    """The engine knows nothing of the app; models know only the engine; actions sit above jobs and tasks."""
    graph = dependency_graph()
    assert graph["commitments.status"] == set()
    # Models kept in modules of their own (imported at the end of models.py) are of the same layer: they too know
    # only the engine (and each other).
    split_out = {name for name in graph["commitments.models"] if name != "commitments.status"}
    for name in {"commitments.models", *split_out}:
        assert graph[name] <= {"commitments.status"} | split_out, name
    assert "commitments.actions" not in graph["commitments.jobs"] | graph["commitments.tasks"]

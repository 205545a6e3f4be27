"""The package's modules import one way: cells -> spec -> derive -> lower -> kernel, no cycle.

Every import is read from the source (module level and inside functions alike), so a lazy
import that closes a cycle is caught too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gated_ref"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The gated_ref modules that ``path`` imports, resolved to module names."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("gated_ref"):
                found.add(target)
                found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gated_ref"))
    return found


def graph() -> dict[str, set[str]]:
    """Edges between the package's own modules (names that are not modules are dropped)."""
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {m: {t for t in imports(p) if t in modules and t != m} for m, p in modules.items()}


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                return stack[stack.index(n) :] + [n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(edges):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_no_import_cycle_in_the_package() -> None:
    edges = {m: {t for t in ts if t != "gated_ref"} for m, ts in graph().items()}
    assert cycle(edges) is None, cycle(edges)


def test_stages_import_downstream_only() -> None:
    edges = graph()
    assert "gated_ref.lower" not in edges["gated_ref.kernel"]
    assert not {"gated_ref.derive", "gated_ref.lower"} & edges["gated_ref.spec"]
    cells = [m for m in edges if m.startswith("gated_ref.cells.")]
    assert cells
    for m in cells:
        assert edges[m] <= {"gated_ref.spec", "gated_ref.functions"}, (m, edges[m])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None

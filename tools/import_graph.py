"""The shape of lakeshelf's import graph: cycles, the longest chain, module sizes.

``python -m tools.import_graph`` prints every import cycle and the longest import chain of the
package, counting imports inside functions (a lazy import must not hide a cycle) and leaving out
imports under ``if TYPE_CHECKING:``. It exits 1 when there is a cycle or the longest chain is
longer than ``--max-chain`` modules; ``make lint`` runs it. ``--modules`` lists module sizes.

A room's ``__init__`` is a door that re-exports names: ``from lakeshelf.table import read`` is an
import of the module that defines ``read``, so edges into a door are resolved, name by name, to
the modules behind it. import-linter's contracts (``pyproject.toml``) say which rooms may import
which; this adds the two measures a layers contract cannot state.
"""

from __future__ import annotations

import argparse
import ast
import functools
import re
import sys
from pathlib import Path

import grimp

PACKAGE = "lakeshelf"
SRC = Path(__file__).resolve().parent.parent / "src"


def module_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, doors resolved to the modules behind them."""
    graph = grimp.build_graph(PACKAGE, exclude_type_checking_imports=True)
    modules = set(graph.modules)
    doors = {m: _door_names(m) for m in modules if _is_package(m)}
    edges: dict[str, set[str]] = {}
    for module in sorted(modules):
        targets: set[str] = set()
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in doors and imported != PACKAGE:
                details = graph.get_import_details(importer=module, imported=imported)
                targets |= _behind_door(imported, doors[imported], details, modules)
            else:
                targets.add(imported)
        edges[module] = targets - {module}
    return edges


def _is_package(module: str) -> bool:
    return (SRC / module.replace(".", "/") / "__init__.py").is_file()


def _door_names(package: str) -> dict[str, str]:
    """Name -> defining module for the names a package's ``__init__`` imports from its modules."""
    tree = ast.parse((SRC / package.replace(".", "/") / "__init__.py").read_text("utf-8"))
    names = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package + "."):
            for alias in node.names:
                names[alias.asname or alias.name] = node.module
    return names


_FROM = re.compile(r"from\s+(\S+)\s+import\s+\(?(.*)")


def _behind_door(
    package: str, names: dict[str, str], details: list[dict], modules: set[str]
) -> set[str]:
    targets: set[str] = set()
    for detail in details:
        match = _FROM.match(detail["line_contents"])
        if not match or match.group(1) != package:
            targets.add(package)  # "import lakeshelf.table" uses the door itself
            continue
        for part in match.group(2).strip(" ()").split(","):
            name = part.strip().split(" as ")[0].strip()
            if not name:
                continue
            submodule = f"{package}.{name}"
            targets.add(names.get(name) or (submodule if submodule in modules else package))
    return targets


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
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
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in graph:
        if node not in index:
            visit(node)
    return found


def longest_chain(graph: dict[str, set[str]]) -> list[str]:
    """The longest path of imports between modules (the graph must be acyclic)."""

    @functools.cache
    def longest_from(node: str) -> tuple[str, ...]:
        best: tuple[str, ...] = ()
        for target in graph[node]:
            candidate = longest_from(target)
            if len(candidate) > len(best):
                best = candidate
        return (node, *best)

    return list(max((longest_from(node) for node in graph), key=len, default=()))


def module_lines() -> list[tuple[int, str]]:
    """(lines, module path) of every module in the package, longest first."""
    sizes = [
        (len(path.read_text(encoding="utf-8").splitlines()), str(path.relative_to(SRC)))
        for path in sorted((SRC / PACKAGE).rglob("*.py"))
    ]
    return sorted(sizes, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-chain", type=int, default=8, help="longest chain allowed")
    parser.add_argument("--modules", action="store_true", help="list modules and line counts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(SRC))
    graph = module_graph()
    if args.modules:
        for lines, path in module_lines():
            print(f"{lines:6d}  {path}")
    found = cycles(graph)
    for group in found:
        print(f"import cycle: {' <-> '.join(group)}")
    if found:
        return 1
    chain = longest_chain(graph)
    print(f"{len(graph)} modules, no import cycles; longest import chain ({len(chain)} modules):")
    print("  " + " -> ".join(chain))
    if len(chain) > args.max_chain:
        print(f"longer than {args.max_chain} modules: flatten the rooms' dependencies")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The import graph of `scillm/` points one way and has no cycles.

Layers, lowest first: the leaf (`errors`, `config`, `names`, `completion_protocol`, `sync`, `jsonmode`)
-> engines (`scillm.integrations.*`) -> adapters (`scillm.llms` for LiteLLM,
`scillm.bridges`) -> `scillm.paved` -> `scillm.cli`. Every import statement
counts, at module level or inside a function, and so does
`importlib.import_module("a.literal.name")`: an import deferred into a
function still makes the importer depend on the imported module, it only
hides the cycle from Python. A string that is a module path
(`"scillm.llms.completion:litellm_completion"`) counts for the layer rules too. Imports under `if TYPE_CHECKING:` count for the
layer rules (the code still names the adapter) but not for cycles (they never
run).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "scillm"

LEAF = ("scillm.errors", "scillm.config", "scillm.names", "scillm.completion_protocol", "scillm.sync", "scillm.jsonmode",
        "scillm.settings", "scillm.engine_protocol", "scillm.engine_base", "scillm.boundedjson")
ENGINES = "scillm.integrations"
ADAPTERS = ("scillm.llms", "scillm.bridges", "scillm.paved", "scillm.cli", "scillm.proxy", "scillm.batch_cli",
            "scillm.doctor", "scillm.extras")
# what a layer may never import, besides the layers above it
FOREIGN_ADAPTERS = ("litellm", "fastapi", "uvicorn", "starlette", "openai")


@dataclass(frozen=True)
class Edge:
    """One import statement: `source` (a module of scillm) imports `target` at `line`."""

    source: str
    target: str
    line: int
    type_checking: bool


def _modules() -> dict[str, tuple[Path, bool]]:
    out: dict[str, tuple[Path, bool]] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        out[".".join(parts)] = (path, is_package)
    return out


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _literal_import_module(node: ast.AST) -> ast.Import | None:
    """`importlib.import_module("x.y")` as the `import x.y` it is."""
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)):
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name != "import_module":
        return None
    return ast.Import(names=[ast.alias(name=node.args[0].value)], lineno=node.lineno, col_offset=0)


def _imports(tree: ast.AST, under_type_checking: bool = False) -> list[tuple[ast.Import | ast.ImportFrom, bool]]:
    found: list[tuple[ast.Import | ast.ImportFrom, bool]] = []
    for node in ast.iter_child_nodes(tree):
        dynamic = _literal_import_module(node)
        if dynamic is not None:
            found.append((dynamic, under_type_checking))
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append((node, under_type_checking))
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.body:
                found.extend(_imports(ast.Module(body=[child], type_ignores=[]), True))
            for child in node.orelse:
                found.extend(_imports(ast.Module(body=[child], type_ignores=[]), under_type_checking))
        else:
            found.extend(_imports(node, under_type_checking))
    return found


def _edges() -> list[Edge]:
    edges: list[Edge] = []
    for module, (path, is_package) in MODULES.items():
        package = module if is_package else module.rpartition(".")[0]
        for node, type_checking in _imports(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
            edges.extend(Edge(module, t, node.lineno, type_checking) for t in targets)
    return edges


EDGES = _edges()


def _within(module: str, prefixes: str | tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in ((prefixes,) if isinstance(prefixes, str)
                                                                    else prefixes))


def _resolve(target: str) -> str | None:
    """The scillm module an import name loads (`scillm.a.b.name` -> `scillm.a.b`), None outside scillm."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _where(edge: Edge) -> str:
    return f"{edge.source} line {edge.line} imports {edge.target}"


def test_the_graph_is_read() -> None:
    assert len(MODULES) > 100
    assert any(e.source == "scillm.llms.registry" and e.target == "litellm" for e in EDGES)
    deferred = ast.parse("def f():\n    import litellm\n    importlib.import_module('scillm.paved')\n")
    assert [type(n).__name__ for n, _ in _imports(deferred)] == ["Import", "Import"]
    guarded = ast.parse("if TYPE_CHECKING:\n    from scillm.llms import registry\n")
    assert [flag for _, flag in _imports(guarded)] == [True]


def test_engines_never_import_adapters() -> None:
    bad = [_where(e) for e in EDGES
           if _within(e.source, ENGINES) and _within(e.target, (*ADAPTERS, *FOREIGN_ADAPTERS))]
    assert bad == [], "engines import an adapter layer:\n" + "\n".join(bad)


def test_the_leaf_imports_only_the_leaf() -> None:
    bad = [_where(e) for e in EDGES if _within(e.source, LEAF) and e.target.startswith("scillm")
           and not _within(e.target, LEAF)]
    bad += [_where(e) for e in EDGES if _within(e.source, LEAF) and _within(e.target, FOREIGN_ADAPTERS)]
    assert bad == [], "the leaf imports a higher layer:\n" + "\n".join(bad)


_MODULE_NAME = re.compile(r"scillm(?:\.\w+)+(?::\w+)?")


def named_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every string that is a scillm module path (`"scillm.a.b"` or `"scillm.a.b:attr"`).

    Such a string is an import waiting to happen (`importlib.import_module`, a lazy map, an entry point), so
    it counts as an edge for the layer rules even when no import statement names it.
    """
    return [(node.lineno, node.value.partition(":")[0]) for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _MODULE_NAME.fullmatch(node.value)]


def test_no_string_in_the_leaf_or_the_engines_names_a_layer_above() -> None:
    assert named_modules('DEFAULT = "scillm.llms.completion:litellm_completion"\n"""Uses scillm.llms."""\n') == [
        (1, "scillm.llms.completion")]
    bad = []
    for module, (path, _) in MODULES.items():
        for line, target in named_modules(path.read_text("utf-8")):
            above = (not _within(target, LEAF)) if _within(module, LEAF) else (
                _within(module, ENGINES) and _within(target, ADAPTERS))
            if above:
                bad.append(f"{module} line {line} names {target}")
    assert bad == [], "a string names a higher layer (a back-arrow hidden from the import graph):\n" + "\n".join(bad)


def test_the_remote_engine_never_imports_the_bridge_server() -> None:
    bad = [_where(e) for e in EDGES if _within(e.source, "scillm.remote")
           and _within(e.target, ("scillm.bridges", "scillm.llms", "scillm.paved", "scillm.cli", "fastapi"))]
    assert bad == [], "scillm.remote imports the server or an adapter:\n" + "\n".join(bad)


def test_llm_adapter_never_imports_the_bridge_server_or_paved() -> None:
    bad = [_where(e) for e in EDGES if _within(e.source, "scillm.llms")
           and _within(e.target, ("scillm.bridges", "scillm.paved", "scillm.cli"))]
    assert bad == [], "scillm.llms imports a layer above it:\n" + "\n".join(bad)


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for edge in EDGES:
        target = _resolve(edge.target)
        if not edge.type_checking and target is not None and target != edge.source:
            graph[edge.source].add(target)
    return graph


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, pending = work[-1]
            if pending:
                nxt = pending.pop(0)
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    out.append(sorted(component))
    return out


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete cycle through the first module of `component` (breadth-first, shortest)."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for nxt in sorted(graph[node] & members):
            if nxt == start:
                return [*paths[node], start]
            if nxt not in paths:
                paths[nxt] = [*paths[node], nxt]
                queue.append(nxt)
    return component


def _lines(graph: dict[str, set[str]], cycle: list[str]) -> str:
    steps = []
    for source, target in zip(cycle, cycle[1:], strict=False):
        lines = sorted({e.line for e in EDGES if e.source == source and _resolve(e.target) == target
                        and not e.type_checking})
        steps.append(f"  {source} -> {target} (line {', '.join(map(str, lines))})")
    return "\n".join(steps)


def test_no_import_cycles() -> None:
    graph = _graph()
    components = _strongly_connected(graph)
    report = [f"cycle among {', '.join(c)}; one path:\n{_lines(graph, _a_cycle(graph, c))}" for c in components]
    assert report == [], "import cycles in scillm/:\n" + "\n".join(report)


@pytest.mark.parametrize("cycle", [["a", "b"], ["a", "b", "c"]])
def test_the_cycle_finder_finds_cycles(cycle: list[str]) -> None:
    graph = {m: {cycle[(i + 1) % len(cycle)]} for i, m in enumerate(cycle)} | {"z": {"a"}}
    assert _strongly_connected(graph) == [sorted(cycle)]
    assert _a_cycle(graph, sorted(cycle))[0] == _a_cycle(graph, sorted(cycle))[-1]
    assert _strongly_connected({"a": {"b"}, "b": set()}) == []

"""The package's floors: no import cycle, and no import from a lower package to a higher one.

Every ``import`` statement counts, the lazy ones inside functions too (a lazy import is still a
dependency). Floors, lowest first; a module may import its own package and lower floors only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hsiadapt"

#: package (or top-level module) -> floor
FLOORS: dict[str, float] = {
    "_atomic": 0, "_process": 0, "hints": 0, "registry": 0.5,
    "spectral": 1,
    "adapters": 2, "datasets": 2,
    "data": 3, "models": 3,
    "experiment": 4,
    "demo": 5,
    "cli": 6, "__main__": 7, "__init__": 7,  # cli is a package: parser + commands
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """hsiadapt modules imported by the file (``from X import name`` -> ``X.name`` when that is a
    module, else ``X``)."""
    out: set[str] = set()
    pkg = _module_name(path)
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("hsiadapt"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                if not is_pkg:
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            if not mod.startswith("hsiadapt"):
                continue
            for a in node.names:
                full = f"{mod}.{a.name}"
                out.add(full if full in modules else mod)
    return out


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SRC.rglob("*.py")}
    modules = set(files)
    return {m: {i for i in _imports(p, modules) if i in modules and i != m}
            for m, p in files.items()}


def _package(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_floors_known():
    unknown = {_package(m) for m in _graph()} - set(FLOORS)
    assert not unknown, f"packages without a floor in FLOORS: {unknown}"


def test_no_import_upwards():
    bad = []
    for mod, deps in _graph().items():
        for d in deps:
            a, b = _package(mod), _package(d)
            if a != b and FLOORS[b] >= FLOORS[a]:
                bad.append(f"{mod} (floor {FLOORS[a]}) imports {d} (floor {FLOORS[b]})")
    assert not bad, "\n".join(sorted(bad))


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    # a package's __init__ re-exporting its submodules is not a cycle of concern
    graph = {m: {d for d in deps if not (m.endswith(_package(m)) and m.count(".") == 1
                                         and d.startswith(m + "."))}
             for m, deps in _graph().items()}
    cycles = _cycles(graph)
    assert not cycles, f"import cycles: {cycles}"


def test_checker_sees_a_cycle_and_an_upward_import():
    assert _cycles({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]
    g = _graph()
    assert "hsiadapt.spectral.band" in g["hsiadapt.spectral"]


#: the largest file in src/, in lines (house style: one concept per file)
MAX_FILE_LINES = 350
#: the longest function in src/, in lines (signature, docstring and body)
MAX_FUNCTION_LINES = 80
#: functions allowed past MAX_FUNCTION_LINES, each with its reason (module:function -> lines)
LONG_FUNCTIONS: dict[str, int] = {}


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_file_size(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_FILE_LINES, (f"{path.relative_to(SRC)} has {n} lines; split it at a concept "
                                 f"(house style: one concept per file, <= {MAX_FILE_LINES})")


def _functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text())
    return [(f"{path.relative_to(SRC)}:{n.name}", n.end_lineno - n.lineno + 1)
            for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.end_lineno is not None]


def test_function_length():
    long = [f"{name} has {n} lines" for p in sorted(SRC.rglob("*.py"))
            for name, n in _functions(p)
            if n > LONG_FUNCTIONS.get(name, MAX_FUNCTION_LINES)]
    assert not long, ("split these functions (<= "
                      f"{MAX_FUNCTION_LINES} lines, or a reasoned entry in LONG_FUNCTIONS):\n"
                      + "\n".join(long))


def test_long_function_exceptions_still_needed():
    """An exception is removed once its function is short (the list never goes stale)."""
    lengths = dict(f for p in SRC.rglob("*.py") for f in _functions(p))
    stale = [k for k in LONG_FUNCTIONS if lengths.get(k, 0) <= MAX_FUNCTION_LINES]
    assert not stale, f"no longer long, remove from LONG_FUNCTIONS: {stale}"


def test_python_dash_m_hsiadapt():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "hsiadapt", "sensors"], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0 and "sentinel2_l2a" in out.stdout

"""Every benchmark has a ``--smoke`` mode, and the smoke runner notices one that fails.

The smoke runs themselves are CI's (``scripts/smoke_benchmarks.py`` after pytest in ``.ci/run``);
these tests are cheap: they read the benchmarks' argument parsers without importing torch, and run
the runner on two toy scripts.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((ROOT / "benchmarks").glob("[!_]*.py"))  # _name.py: shared helpers


def _load_runner():
    spec = importlib.util.spec_from_file_location("smoke_benchmarks",
                                                  ROOT / "scripts" / "smoke_benchmarks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _flags(path: Path) -> set[str]:
    """The option strings of every ``add_argument`` call in the file."""
    flags = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"):
            flags |= {a.value for a in node.args if isinstance(a, ast.Constant)}
    return flags


def test_benchmarks_exist():
    assert len(BENCHMARKS) >= 5, [p.name for p in BENCHMARKS]


@pytest.mark.parametrize("path", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_accepts_smoke(path: Path):
    assert "--smoke" in _flags(path), (
        f"{path.name} has no --smoke flag: add a tiny mode (seconds) that prints its JSON line "
        'with "smoke": true; scripts/smoke_benchmarks.py runs it in CI')


def test_runner_finds_every_benchmark():
    runner = _load_runner()
    assert sorted(runner.BENCHMARKS.glob("[!_]*.py")) == BENCHMARKS


@pytest.mark.parametrize("body, ok", [
    ('import json; print("x"); print(json.dumps({"smoke": True, "n": 1}))', True),
    ('print("timings only, no JSON")', False),
    ('import json; print(json.dumps({"smoke": False}))', False),
    ('import json, sys; print(json.dumps({"smoke": True})); sys.exit(3)', False),
    ('import sys; sys.argv[1] == "--smoke" or sys.exit(2); print(\'{"smoke": true}\')', True),
])
def test_runner_judges_a_benchmark(tmp_path: Path, body: str, ok: bool):
    script = tmp_path / "bench.py"
    script.write_text(body + "\n")
    passed, text = _load_runner().run_one(script)
    assert passed is ok, text
    if not ok:
        assert "FAILED" in text

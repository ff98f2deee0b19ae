#!/usr/bin/env python3
"""Run every benchmark in ``benchmarks/`` in its ``--smoke`` mode: do they still execute?

Each ``benchmarks/*.py`` (found by glob, so a new benchmark is covered without editing this file;
``_*.py`` are helpers the benchmarks share, not benchmarks) runs as ``python benchmarks/NAME.py --smoke`` with ``src/`` first on ``PYTHONPATH``. A benchmark
passes when it exits 0 and its last JSON line is an object with ``"smoke": true``. Prints that
line per benchmark with the seconds it took; exits 1 when any failed (its output is shown). Smoke
figures are not speeds: the sizes are tiny.

Run: ``.venv/bin/python scripts/smoke_benchmarks.py [NAME ...]`` (CI: ``.ci/run``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
TIMEOUT_S = 300


def json_line(stdout: str) -> dict | None:
    """The last line of ``stdout`` that parses as a JSON object, or ``None``."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                return value
    return None


def run_one(path: Path) -> tuple[bool, str]:
    """Run one benchmark with ``--smoke``; returns (passed, what to print)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(path), "--smoke"], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return False, f"timed out after {TIMEOUT_S} s"
    took = time.perf_counter() - t0
    line = json_line(proc.stdout)
    if proc.returncode != 0:
        why = f"exit status {proc.returncode}"
    elif line is None:
        why = "printed no JSON line"
    elif line.get("smoke") is not True:
        why = 'its JSON line lacks "smoke": true'
    else:
        return True, f"{took:5.1f} s  {json.dumps(line)}"
    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
    return False, f"{took:5.1f} s  FAILED: {why}\n{tail}"


def main(argv: list[str]) -> int:
    paths = sorted(BENCHMARKS.glob("[!_]*.py"))  # _name.py: shared helpers
    if argv:
        paths = [p for p in paths if p.stem in argv]
        missing = sorted(set(argv) - {p.stem for p in paths})
        if missing:
            print(f"no benchmark named {', '.join(missing)} in {BENCHMARKS}", file=sys.stderr)
            return 2
    failed = []
    t0 = time.perf_counter()
    for path in paths:
        ok, text = run_one(path)
        print(f"[smoke] {path.name}: {text}", flush=True)
        if not ok:
            failed.append(path.name)
    print(f"[smoke] {len(paths) - len(failed)}/{len(paths)} benchmarks ran in "
          f"{time.perf_counter() - t0:.0f} s" + (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed or not paths else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Several local sweep processes on one grid: ``hsiadapt run CONFIG --workers N``.

On a small CPU machine one Lightning run of a small model cannot keep every core busy (much of
a step is per-operation overhead), so N processes with ``cores / N`` threads each finish a grid
sooner than one process with every thread (two single-threaded workers on these 2 cores
finished 4 TerraMind v1 tiny runs at 64 px in 30.5 s where one two-threaded process took 37.0 s,
1.21x, start-up included: ``benchmarks/workers.py`` at 12 epochs). Each worker is an
ordinary ``hsiadapt run`` on the same config and output: the runs' locks split the grid between them (a worker skips a run another one holds),
so nothing runs twice, and a worker that dies leaves its run resumable like any interrupted
run. Every line a worker prints is echoed with its ``[wK]`` prefix. SIGTERM / Ctrl-C are passed
on to the workers, which stop at the next batch; the command then exits ``128 + signal``.

Threads per worker change the order of floating-point sums, so the same run can differ in the
last digits between ``--workers 1`` and ``--workers 2``; a run's record says how many threads
it used (``hardware.torch_threads``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

__all__ = ["run_workers", "threads_per_worker"]


def threads_per_worker(workers: int) -> int:
    """The cores this process may use, shared between ``workers`` (at least 1 each)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, cores // max(1, workers))


def run_workers(config: str | Path, workers: int, *, args: Sequence[str] = (),
                threads: int | None = None, echo: Callable[[str], None] = print) -> int:
    """Run ``hsiadapt run CONFIG ARGS`` in ``workers`` processes at once; returns the worst
    exit code (0 when every worker finished its share; 128 + signal when interrupted).

    Raises:
        ValueError: ``workers`` below 1.
    """
    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    n_threads = threads or threads_per_worker(workers)
    env = {**os.environ, "OMP_NUM_THREADS": str(n_threads), "MKL_NUM_THREADS": str(n_threads),
           "HSIADAPT_PROGRESS": "0", "PYTHONUNBUFFERED": "1",
           "HSIADAPT_WORKER": "1"}  # the parent runs the baselines, once
    cmd = [sys.executable, "-m", "hsiadapt", "run", str(config), *args]
    echo(f"[workers] {workers} processes x {n_threads} thread(s): {' '.join(cmd[2:])}")
    procs: list[subprocess.Popen[str]] = []
    pumps = []
    lock = threading.Lock()

    def pump(k: int, stream) -> None:
        for line in stream:
            with lock:
                echo(f"[w{k}] {line.rstrip()}")

    got: list[int] = []

    def forward(signum, frame) -> None:
        got.append(signum)
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    old = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    in_main = threading.current_thread() is threading.main_thread()
    try:
        if in_main:
            for s in old:
                signal.signal(s, forward)
        for k in range(1, workers + 1):
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True, bufsize=1)
            procs.append(p)
            t = threading.Thread(target=pump, args=(k, p.stdout), daemon=True)
            t.start()
            pumps.append(t)
        codes = [p.wait() for p in procs]
        for t in pumps:
            t.join(timeout=5)
    finally:
        if in_main:
            for s, h in old.items():
                signal.signal(s, h)
    if got:
        return 128 + got[0]
    return max(codes, key=lambda c: (c != 0, abs(c)))

"""Item: two sweeps on one output folder train each run once and never lose a finished result."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.lock import LOCK_FILE, RunLock
from hsiadapt.experiment.record import RunRecord, read_record, write_record
from hsiadapt.experiment.run import RUNNING_ELSEWHERE, run_one

from .conftest import write_tiny_config


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _write_lock(run_dir: Path, **info) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    p = run_dir / LOCK_FILE
    p.write_text(json.dumps({"host": socket.gethostname(), "time": time.time(), "token": "x",
                             **info}))
    return p


def test_lock_is_exclusive_and_released(tmp_path):
    a, b = RunLock(tmp_path / "r"), RunLock(tmp_path / "r")
    assert a.acquire()
    assert not b.acquire()
    assert b.holder["pid"] == os.getpid() and "pid" in b.describe()
    a.release()
    assert not (tmp_path / "r" / LOCK_FILE).exists()
    assert b.acquire()
    b.release()


def test_held_lock_is_kept_fresh_by_its_holder(tmp_path):
    """A long run on another host is not taken over: its holder keeps touching the lock."""
    lock = RunLock(tmp_path / "r", stale_after=0.4)  # touched every 0.1 s
    assert lock.acquire()
    try:
        path = tmp_path / "r" / LOCK_FILE
        old = time.time() - 3600
        os.utime(path, (old, old))
        time.sleep(0.5)
        assert time.time() - path.stat().st_mtime < 0.4
    finally:
        lock.release()
    assert not path.exists()


def test_live_lock_makes_the_run_run_elsewhere(tmp_path):
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",)))
    spec = cfg.runs()[0]
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(Path(cfg.output) / spec.run_id, pid=sleeper.pid)
        res = run_one(spec, cfg.output)
    finally:
        sleeper.kill()
        sleeper.wait()
    assert res.status == RUNNING_ELSEWHERE and str(sleeper.pid) in res.note
    assert not (Path(cfg.output) / spec.run_id / "logs").exists()  # nothing trained


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path):
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",)))
    spec = cfg.runs()[0]
    lock = _write_lock(Path(cfg.output) / spec.run_id, pid=_dead_pid())
    res = run_one(spec, cfg.output)
    assert res.status == "finished"
    assert not lock.exists()  # released after the run


def test_lock_whose_pid_was_reused_is_stale(tmp_path):
    if not Path("/proc/self/stat").exists():
        pytest.skip("process start times come from /proc (Linux)")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _write_lock(tmp_path / "r", pid=sleeper.pid, time=time.time() - 3600)
        assert RunLock(tmp_path / "r").acquire()  # the pid is alive, but not the holder
        _write_lock(tmp_path / "s", pid=sleeper.pid)
        assert not RunLock(tmp_path / "s").acquire()  # the holder itself
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lock_of_another_host_is_stale_only_after_its_age(tmp_path):
    lock = _write_lock(tmp_path / "r", pid=1, host="elsewhere.example")
    assert not RunLock(tmp_path / "r", stale_after=3600).acquire()
    old = time.time() - 7200
    os.utime(lock, (old, old))
    taker = RunLock(tmp_path / "r", stale_after=3600)
    assert taker.acquire()
    assert json.loads(lock.read_text())["pid"] == os.getpid()
    taker.release()


def test_a_failure_never_overwrites_a_finished_record(tmp_path, monkeypatch):
    """Another process finished the run while this one was failing on it."""
    import hsiadapt.experiment.run as run_mod

    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",)))
    spec = cfg.runs()[0]
    run_dir = Path(cfg.output) / spec.run_id

    def finished_elsewhere_then_fail(*args, **kwargs):
        write_record(run_dir, RunRecord(run_id=spec.run_id, status="finished",
                                        test={"miou": 0.5}))
        raise RuntimeError("boom")

    monkeypatch.setattr(run_mod, "build_run", finished_elsewhere_then_fail)
    run_one(spec, cfg.output)
    rec = read_record(run_dir)
    assert rec.status == "finished" and rec.test == {"miou": 0.5}


def test_two_sweeps_on_one_folder_train_each_run_once(tmp_path):
    cfg_path = write_tiny_config(tmp_path, seeds=(0, 1, 2), adapters=("srf",))
    cfg = load_config(cfg_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "hsiadapt", "run", str(cfg_path)]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
             for _ in range(2)]
    outs = [p.communicate(timeout=300)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(o[-2000:] for o in outs)
    for spec in cfg.runs():
        run_dir = Path(cfg.output) / spec.run_id
        assert read_record(run_dir).status == "finished", outs
        versions = sorted(p.name for p in (run_dir / "logs").glob("version_*"))
        assert versions == ["version_0"], f"{spec.run_id} trained {len(versions)} times"
        assert [p.name for p in (run_dir / "checkpoints").iterdir()] == ["best.ckpt"]
        assert not (run_dir / LOCK_FILE).exists()
    trained = [o.count(": finished in") for o in outs]
    assert sum(trained) == len(cfg.runs()), outs


@pytest.mark.parametrize("value", [0, -1])
def test_stale_lock_min_must_be_positive(tmp_path, value):
    from hsiadapt.experiment.config import ConfigError

    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",))
    p.write_text(p.read_text() + f"launcher:\n  stale_lock_min: {value}\n")
    with pytest.raises(ConfigError, match="stale_lock_min"):
        load_config(p)


def test_a_lock_that_cannot_be_written_is_not_left_behind(tmp_path, monkeypatch):
    import errno

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OSError):
        RunLock(tmp_path / "r").acquire()
    assert not (tmp_path / "r" / LOCK_FILE).exists()

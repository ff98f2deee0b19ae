"""Item: a full disk or read-only output folder fails the run with its reason and stops the
sweep with a one-line error (no traceback); leftovers of killed writers are cleaned up."""

import errno
import os
import shutil
import subprocess
import sys
import time
from collections import namedtuple
from pathlib import Path

import pytest

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.storage import StorageError, checkpoint_bytes, clean_leftovers
from hsiadapt.experiment.sweep import run_sweep

from .conftest import write_tiny_config

Usage = namedtuple("Usage", "total used free")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only (chmod) folders; run as a normal user")
def test_read_only_output_folder_is_a_one_line_error(tmp_path, capsys):
    from hsiadapt.cli import main

    cfg_path = write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",))
    out = Path(load_config(cfg_path).output)
    out.mkdir()
    out.chmod(0o555)
    try:
        assert main(["run", str(cfg_path)]) == 1
    finally:
        out.chmod(0o755)
    err = capsys.readouterr().err
    assert err.startswith("hsiadapt: error: output folder") and "not writable" in err
    assert "--output" in err and len(err.strip().splitlines()) == 1
    assert list(out.iterdir()) == []


def test_read_only_filesystem_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    """The same as a read-only folder, where the test runs as root: the write is refused."""
    from hsiadapt.cli import main

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(args[0]))

    cfg_path = write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",))
    monkeypatch.setattr("hsiadapt.experiment.storage.open", read_only, raising=False)
    assert main(["run", str(cfg_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not writable (Read-only file system)" in err[0], err
    assert not any(Path(load_config(cfg_path).output).rglob("metrics.json"))


def test_too_little_free_space_fails_the_run_and_stops_the_sweep(tmp_path, monkeypatch, capsys):
    from hsiadapt.cli import main

    cfg_path = write_tiny_config(tmp_path, seeds=(0, 1), adapters=("srf",))
    cfg = load_config(cfg_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: Usage(10**9, 10**9 - 2**20, 2**20))
    assert main(["run", str(cfg_path)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hsiadapt: error:")
    assert "not enough free space" in err[0] and "1 runs not started" in err[0]
    first, second = cfg.runs()
    rec = read_record(Path(cfg.output) / first.run_id)
    assert rec.status == "failed" and "not enough free space" in rec.error
    assert "MiB" in rec.error and "--output" in rec.error
    assert not (Path(cfg.output) / first.run_id / "checkpoints").exists()  # stopped before
    assert not (Path(cfg.output) / second.run_id).exists()


def test_disk_full_while_checkpointing_stops_the_sweep(tmp_path, monkeypatch):
    from hsiadapt.experiment.checkpoint import AtomicCheckpointIO

    cfg = load_config(write_tiny_config(tmp_path, seeds=(0, 1), adapters=("srf",)))

    def full(self, checkpoint, path, storage_options=None):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(AtomicCheckpointIO, "save_checkpoint", full)
    with pytest.raises(StorageError,
                       match="seed0 failed: No space left on device: .*best.ckpt; sweep stopped"):
        run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    first, second = cfg.runs()
    rec = read_record(Path(cfg.output) / first.run_id)
    assert rec.status == "failed" and "No space left on device" in rec.error
    assert not (Path(cfg.output) / second.run_id).exists()


def test_checkpoint_estimate_counts_weights_and_optimiser_moments():
    assert checkpoint_bytes(1_000_000) == 3 * 3 * 4 * 1_000_000


def test_leftovers_of_dead_processes_are_removed(tmp_path):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    dead, alive = p.pid, os.getpid()
    cache = tmp_path / "_cache"
    (cache / f"0123456789abcdef0123.tmp{dead}").mkdir(parents=True)
    (cache / f"0123456789abcdef0123.tmp{dead}" / "image.npy").write_bytes(b"x")
    (cache / f"0123456789abcdef0123.tmp{alive}").mkdir()
    ck = tmp_path / "run" / "checkpoints"
    ck.mkdir(parents=True)
    (ck / f".last.ckpt.{dead}.abc123.tmp").write_bytes(b"half")
    (ck / f".last.ckpt.{alive}.abc123.tmp").write_bytes(b"mine")
    (ck / "last.ckpt").write_bytes(b"keep")
    recent = ck / f".best.ckpt.{dead}.zzz.tmp"
    recent.write_bytes(b"too recent")
    old = time.time() - 3600
    for q in [*tmp_path.rglob("*")]:
        if q != recent:
            os.utime(q, (old, old))
    removed = clean_leftovers(tmp_path)
    assert sorted(q.name for q in removed) == sorted(
        [f"0123456789abcdef0123.tmp{dead}", f".last.ckpt.{dead}.abc123.tmp"])
    assert (cache / f"0123456789abcdef0123.tmp{alive}").exists()
    assert {q.name for q in ck.iterdir()} == {f".last.ckpt.{alive}.abc123.tmp", "last.ckpt",
                                               recent.name}


def test_checkpoint_temporaries_of_killed_processes_leave_tmpdir(tmp_path, monkeypatch):
    import io
    import tempfile

    import torch

    from hsiadapt.experiment.storage import clean_tmpdir_checkpoints

    tmp = tmp_path / "tmpdir"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    buf = io.BytesIO()
    torch.save({"epoch": 1, "pytorch-lightning_version": "2.6", "state_dict": {
        "w": torch.zeros(1000)}}, buf)
    data = buf.getvalue()
    plain = io.BytesIO()
    torch.save({"w": torch.zeros(10)}, plain)
    killed = tmp / "tmpkilled1"
    killed.write_bytes(data[: len(data) // 2])  # what a killed writer leaves
    complete = tmp / "tmpcomplete"
    complete.write_bytes(data)
    other = tmp / "tmpplain"
    other.write_bytes(plain.getvalue())  # someone's torch.save, not a Lightning checkpoint
    being_written = tmp / "tmpopen"
    being_written.write_bytes(data[:100])
    recent = tmp / "tmprecent"
    recent.write_bytes(data)
    old = time.time() - 3600
    for p in (killed, complete, other, being_written):
        os.utime(p, (old, old))
    with open(being_written, "ab"):  # a live writer has it open
        removed = clean_tmpdir_checkpoints()
    if not Path("/proc/self/fd").is_dir():
        assert removed == []
        pytest.skip("no /proc: open files cannot be listed, so nothing is removed")
    assert sorted(p.name for p in removed) == ["tmpcomplete", "tmpkilled1"]
    assert sorted(p.name for p in tmp.iterdir()) == ["tmpopen", "tmpplain", "tmprecent"]

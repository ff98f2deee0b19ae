"""Item: a truncated checkpoint never fails a run forever; checkpoint writes are atomic."""

import errno
import os
from pathlib import Path

import pytest
import torch

from hsiadapt.experiment.checkpoint import AtomicCheckpointIO, choose_resume
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.run import run_one

from .conftest import flip_tensor_bits, write_tiny_config


def killed_run(tmp_path, monkeypatch, epochs: int = 2, seed: int = 0):
    """A run killed after training ``epochs`` epochs (before testing): it has checkpoints and
    no record."""
    from hsiadapt.models.task import SegmentationTask

    cfg = load_config(write_tiny_config(tmp_path, seeds=(seed,), adapters=("srf",)))
    spec = cfg.runs()[0]

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(SegmentationTask, "test_step", killed)
        with pytest.raises((KeyboardInterrupt, SystemExit)):
            run_one(spec, cfg.output, max_epochs=epochs)
    run_dir = Path(cfg.output) / spec.run_id
    assert read_record(run_dir) is None
    return cfg, spec, run_dir / "checkpoints"


def truncate(p: Path) -> None:
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])


def test_truncated_last_checkpoint_resumes_from_the_best_one(tmp_path, monkeypatch):
    cfg, spec, ckpt = killed_run(tmp_path, monkeypatch)
    assert {p.name for p in ckpt.glob("*.ckpt")} == {"last.ckpt", "best.ckpt"}
    truncate(ckpt / "last.ckpt")
    res = run_one(spec, cfg.output, max_epochs=3)
    assert res.status == "finished", res.error
    rec = res.record
    assert rec.resumed_from_checkpoint
    assert "last.ckpt unreadable" in rec.resume_note and "best.ckpt" in rec.resume_note
    assert read_record(ckpt.parent).resume_note == rec.resume_note


def test_no_readable_checkpoint_starts_over(tmp_path, monkeypatch, caplog):
    cfg, spec, ckpt = killed_run(tmp_path, monkeypatch)
    for p in ckpt.glob("*.ckpt"):
        truncate(p)
    res = run_one(spec, cfg.output, max_epochs=2)
    assert res.status == "finished", res.error
    assert not res.record.resumed_from_checkpoint
    assert "started over" in res.record.resume_note
    assert "started over" in caplog.text


def test_choose_resume_prefers_a_readable_last(tmp_path):
    full = {"state_dict": {"w": torch.zeros(2)}, "loops": {}, "epoch": 1}
    torch.save(full, tmp_path / "last.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "best.ckpt")
    assert choose_resume(tmp_path) == (tmp_path / "last.ckpt", None)
    assert choose_resume(tmp_path / "empty") == (None, None)


def test_weights_only_checkpoint_is_not_a_resume_point(tmp_path):
    torch.save({"state_dict": {"w": torch.zeros(2)}}, tmp_path / "last.ckpt")
    path, note = choose_resume(tmp_path)
    assert path is None and "weights only" in note


def test_checkpoint_write_is_atomic_in_the_checkpoint_folder(tmp_path, monkeypatch):
    """A write that dies half-way leaves the previous checkpoint, and no temporary file."""
    dest = tmp_path / "ckpts" / "last.ckpt"
    io = AtomicCheckpointIO()
    io.save_checkpoint({"state_dict": {"w": torch.ones(3)}}, dest)
    created: list[str] = []
    real_open = open

    def spy_open(file, *args, **kwargs):
        created.append(str(file))
        return real_open(file, *args, **kwargs)

    def full_disk(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("builtins.open", spy_open)
    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError) as err:
        io.save_checkpoint({"state_dict": {"w": torch.zeros(3)}}, dest)
    monkeypatch.undo()
    assert err.value.errno == errno.ENOSPC
    assert created and all(Path(c).parent == dest.parent for c in created)  # not in $TMPDIR
    assert [p.name for p in dest.parent.iterdir()] == ["last.ckpt"]
    assert torch.equal(torch.load(dest, weights_only=True)["state_dict"]["w"], torch.ones(3))


def test_sealed_checkpoint_verifies_and_refuses_other_runs_and_flipped_bits(tmp_path):
    from hsiadapt.experiment.checkpoint import verify_checkpoint

    ck = {"state_dict": {"w": torch.arange(4096, dtype=torch.float32)}, "loops": {"a": (1, 2)},
          "epoch": 3}
    io = AtomicCheckpointIO({"run_id": "r", "seed": 0, "digest": "d0"})
    io.save_checkpoint(ck, tmp_path / "last.ckpt")
    assert "hsiadapt_seal" not in ck  # the caller's dict is left as it was
    assert verify_checkpoint(tmp_path / "last.ckpt", "d0") is None
    assert verify_checkpoint(tmp_path / "last.ckpt") is None
    assert "belongs to another run (r, seed 0, fingerprint d0; this run's is d1)" in \
        verify_checkpoint(tmp_path / "last.ckpt", "d1")
    torch.save(ck, tmp_path / "plain.ckpt")  # not sealed: cannot be this run's
    assert "carries no run fingerprint" in verify_checkpoint(tmp_path / "plain.ckpt", "d0")
    flip_tensor_bits(tmp_path / "last.ckpt")
    assert "was changed since it was written" in \
        verify_checkpoint(tmp_path / "last.ckpt", "d0")


def test_bit_flipped_last_checkpoint_resumes_from_the_best_one(tmp_path, monkeypatch, caplog):
    """A last.ckpt with flipped bits in a tensor used to resume into NaN loss and 'finish'."""
    cfg, spec, ckpt = killed_run(tmp_path, monkeypatch)
    flip_tensor_bits(ckpt / "last.ckpt")
    res = run_one(spec, cfg.output, max_epochs=3)
    assert res.status == "finished", res.error
    assert res.record.resumed_from_checkpoint
    assert "last.ckpt refused: it was changed since it was written" in \
        res.record.resume_note and "resumed from best.ckpt instead" in res.record.resume_note
    assert "flipped bits" in caplog.text


def test_another_seeds_last_checkpoint_is_refused(tmp_path, monkeypatch):
    """Seed 1's last.ckpt copied into seed 0's folder was resumed and recorded as seed 0."""
    cfg, spec, ckpt = killed_run(tmp_path, monkeypatch)
    (tmp_path / "s1").mkdir()
    _, spec1, ckpt1 = killed_run(tmp_path / "s1", monkeypatch, seed=1)
    (ckpt / "last.ckpt").write_bytes((ckpt1 / "last.ckpt").read_bytes())
    (ckpt / "best.ckpt").unlink()
    res = run_one(spec, cfg.output, max_epochs=2)
    assert res.status == "finished", res.error
    assert not res.record.resumed_from_checkpoint and res.record.seed == 0
    assert f"last.ckpt refused: it belongs to another run ({spec1.run_id}, seed 1" in \
        res.record.resume_note and "started over from scratch" in res.record.resume_note

"""Item: a resumed run gives the same numbers as one that was never interrupted (CPU)."""

from pathlib import Path

import pytest

from hsiadapt.experiment.checkpoint import load_checkpoint
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.run import run_one
from hsiadapt.experiment.table import build_table, collect_runs

from .conftest import write_tiny_config

EPOCHS = 3


def test_resumed_run_equals_an_uninterrupted_one(tmp_path, monkeypatch):
    from hsiadapt.models.task import SegmentationTask

    cfg_path = write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",))
    cfg = load_config(cfg_path)
    spec = cfg.runs()[0]
    straight = run_one(spec, tmp_path / "straight", max_epochs=EPOCHS)
    assert straight.status == "finished" and not straight.record.resumed_from_checkpoint

    resumed_out = tmp_path / "resumed"
    train_step = SegmentationTask.training_step

    def killed_in_epoch_2(self, *args, **kwargs):
        if self.current_epoch == 1:
            raise KeyboardInterrupt
        return train_step(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(SegmentationTask, "training_step", killed_in_epoch_2)
        with pytest.raises((KeyboardInterrupt, SystemExit)):
            run_one(spec, resumed_out, max_epochs=EPOCHS)
    last = resumed_out / spec.run_id / "checkpoints" / "last.ckpt"
    ck = load_checkpoint(last)  # a full checkpoint, loaded without unpickling code
    assert ck["epoch"] == 0 and ck["optimizer_states"] and "loops" in ck
    resumed = run_one(spec, resumed_out, max_epochs=EPOCHS)
    assert resumed.status == "finished", resumed.error
    assert resumed.record.resumed_from_checkpoint
    assert resumed.record.epochs == straight.record.epochs
    assert resumed.record.best_val == straight.record.best_val
    assert resumed.record.test == straight.record.test


def test_table_marks_resumed_runs(tmp_path, monkeypatch):
    from hsiadapt.experiment.record import RunRecord, write_record

    for seed, resumed in ((0, False), (1, True)):
        write_record(tmp_path / f"r{seed}", RunRecord(
            run_id=f"r{seed}", status="finished", task="t", adapter="srf", backbone="stub",
            seed=seed, test={"miou": 0.5}, primary_metric="miou", direction="max",
            resumed_from_checkpoint=resumed))
    table = build_table(collect_runs(tmp_path))
    md = table.render("md")
    assert "(n=2, 1 resumed)" in md and "resumed: runs resumed" in md
    csv = table.render("csv").splitlines()
    assert csv[0].endswith("t_failed,t_resumed") and csv[1].endswith(",0,1")
    assert "1 resumed" in table.render("latex")
    assert Path(tmp_path / "r1" / "metrics.json").exists()


def test_last_checkpoint_is_written_every_epoch_even_without_improvement(tmp_path, monkeypatch):
    """A kill after epochs that did not improve the monitored value resumes from the last
    epoch, not from the last improvement (Lightning's save_last alone would lose them)."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    from hsiadapt.models.task import SegmentationTask

    cfg_path = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    spec = load_config(cfg_path).runs()[0]
    train_step = SegmentationTask.training_step
    # the monitored value improves in the first epoch only
    monkeypatch.setattr(ModelCheckpoint, "check_monitor_top_k",
                        lambda self, trainer, current=None: trainer.current_epoch == 0)

    def killed_in_epoch_4(self, *args, **kwargs):
        if self.current_epoch == 3:
            raise KeyboardInterrupt
        return train_step(self, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(SegmentationTask, "training_step", killed_in_epoch_4)
        with pytest.raises((KeyboardInterrupt, SystemExit)):
            run_one(spec, tmp_path / "out", max_epochs=5)
    ckpts = tmp_path / "out" / spec.run_id / "checkpoints"
    assert load_checkpoint(ckpts / "last.ckpt")["epoch"] == 2
    assert load_checkpoint(ckpts / "best.ckpt")["epoch"] == 0  # the only improvement
    resumed = run_one(spec, tmp_path / "out", max_epochs=5)
    assert resumed.status == "finished" and resumed.record.resumed_from_checkpoint
    assert resumed.record.epochs == 5

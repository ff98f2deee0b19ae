"""Multi-process (DDP, gloo on CPU) runs, for real: two processes train one run; only rank 0
writes the run folder; the metrics are those of the whole split, not of rank 0's half; a killed
rank fails the run cleanly and a re-run resumes it."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.run import run_one

from .conftest import DATA, write_tiny_config

FILES = ["0421940/11854.tif", "0421940/11861.tif", "0422109/11857.tif", "0422109/11858.tif",
         "0422200/11859.tif", "0422200/11860.tif"]


def _ddp_config(tmp_path: Path, epochs: int, devices: int = 2) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA / "spectralearth", root / "spectralearth")
    splits = root / "spectralearth/root/splits/enmap_bnetd"
    # even split sizes: no sample is repeated to fill a process's share
    (splits / "train.txt").write_text("\n".join(FILES[:4]) + "\n")
    (splits / "val.txt").write_text("\n".join(FILES[4:]) + "\n")
    (splits / "test.txt").write_text("\n".join(FILES[2:]) + "\n")
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    text = (p.read_text().replace(str(DATA), str(root))
            .replace("max_epochs: 1,", f"max_epochs: {epochs}, patience: 100,")
            .replace("accelerator: cpu", f"accelerator: cpu\n  devices: {devices}\n"
                                         "  strategy: ddp"))
    p.write_text(text)
    return p


def _cli(config: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src"),
           "OMP_NUM_THREADS": "1", "HSIADAPT_PROGRESS": "0"}
    for var in ("LOCAL_RANK", "RANK", "WORLD_SIZE", "NODE_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(var, None)
    return subprocess.Popen([sys.executable, "-m", "hsiadapt", "run", str(config)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _evaluate_alone(spec, run_dir: Path) -> dict[str, float]:
    """The test metrics of the run's best weights, scored by one process over the whole split."""
    import lightning as L
    import torch

    from hsiadapt.experiment.plan import build_run, plan_run

    built = build_run(plan_run(spec), None)
    state = torch.load(run_dir / "checkpoints/best.ckpt", map_location="cpu", weights_only=True)
    built.task.load_state_dict(state["state_dict"])
    trainer = L.Trainer(accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                        enable_model_summary=False)
    trainer.test(built.task, built.datamodule, verbose=False)
    return {k.removeprefix("test/"): v for k, v in built.task.last_metrics.items()}


@pytest.mark.slow
def test_two_process_fit_gathers_metrics_and_only_rank0_writes(tmp_path):
    cfg_path = _ddp_config(tmp_path, epochs=2)
    proc = _cli(cfg_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    cfg = load_config(cfg_path)
    (spec,) = cfg.runs()
    run_dir = Path(cfg.output) / spec.run_id
    rec = read_record(run_dir)
    assert rec is not None and rec.finished, out
    assert rec.epochs == 2
    assert sorted(p.name for p in (run_dir / "logs").iterdir()) == ["version_0"]
    assert not [p for p in run_dir.rglob("*") if p.name.startswith(".")]  # no leftovers
    alone = _evaluate_alone(spec, run_dir)
    # the confusion matrix is summed over both processes: the numbers of all 4 test chips
    assert rec.test["miou"] == pytest.approx(alone["miou"], abs=1e-9)
    assert rec.test["pixel_accuracy"] == pytest.approx(alone["pixel_accuracy"], abs=1e-9)


@pytest.mark.slow
def test_a_killed_rank_fails_the_run_cleanly_and_the_run_resumes(tmp_path):
    cfg_path = _ddp_config(tmp_path, epochs=40)
    cfg = load_config(cfg_path)
    (spec,) = cfg.runs()
    run_dir = Path(cfg.output) / spec.run_id
    proc = _cli(cfg_path)
    rank1 = None
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if rank1 is None:
            rank1 = _child_with_rank(proc.pid, "1")
        if rank1 is not None and (run_dir / "checkpoints/last.ckpt").exists():
            os.kill(rank1, signal.SIGKILL)
            break
        time.sleep(0.05)
    assert rank1 is not None, "rank 1 was never started"
    t0 = time.time()
    out, _ = proc.communicate(timeout=180)
    took = time.time() - t0
    rec = read_record(run_dir)
    assert proc.returncode == 1, out
    assert rec is not None and rec.status == "failed", out
    assert took < 120  # no hang waiting for the dead rank
    assert (run_dir / "checkpoints/last.ckpt").exists()
    again = _cli(cfg_path)
    out2, _ = again.communicate(timeout=400)
    assert again.returncode == 0, out2
    rec = read_record(run_dir)
    assert rec.finished and rec.resumed_from_checkpoint and rec.epochs == 40, out2
    assert sorted(p.name for p in (run_dir / "logs").iterdir()) == ["version_0", "version_1"]


def _child_with_rank(pid: int, rank: str) -> int | None:
    """A descendant of ``pid`` started with ``LOCAL_RANK=rank`` (Lightning's DDP launcher)."""
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            kids = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        for k in map(int, kids):
            try:
                env = Path(f"/proc/{k}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if f"LOCAL_RANK={rank}".encode() in env:
                return k
            todo.append(k)
    return None


def test_a_process_that_is_not_rank0_writes_nothing(tmp_path, monkeypatch):
    """What the other ranks of a DDP run do, in one process: train, and leave the folder alone."""
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("select",)))
    (spec,) = cfg.runs()
    monkeypatch.setenv("RANK", "1")
    res = run_one(spec, cfg.output)
    assert res.status == "finished", res.error
    run_dir = Path(cfg.output) / spec.run_id
    written = {p.name for p in run_dir.iterdir()} if run_dir.exists() else set()
    assert not written & {"metrics.json", "resolved_config.yaml", "stats.json", "samples.npz"}

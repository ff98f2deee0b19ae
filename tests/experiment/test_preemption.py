"""A pre-empted submitit job (SIGTERM to a local-executor job, or submitit's own pre-emption
signal) stops its run at a safe point, is requeued through submitit's checkpointing protocol,
and the requeued job resumes the run to the end."""

import os
import signal
import time
from pathlib import Path

import pytest

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.launch import RunJob
from hsiadapt.experiment.record import read_record

from .conftest import write_tiny_config


@pytest.mark.slow
@pytest.mark.parametrize("how", ["sigterm", "usr2"])
def test_a_preempted_job_requeues_and_finishes(tmp_path, monkeypatch, how):
    import submitit

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("HSIADAPT_PROGRESS", "0")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2] / "src"))
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    p.write_text(p.read_text().replace("max_epochs: 1,", "max_epochs: 25, patience: 100,"))
    cfg = load_config(p)
    (spec,) = cfg.runs()
    run_dir = Path(cfg.output) / spec.run_id
    ex = submitit.LocalExecutor(folder=tmp_path / "submitit")
    ex.update_parameters(timeout_min=10)
    job = ex.submit(RunJob(), spec, str(cfg.output), False, None, 3600.0)
    deadline = time.time() + 180
    while not (run_dir / "checkpoints/last.ckpt").exists():
        assert time.time() < deadline and not job.done(), job.stderr()
        time.sleep(0.05)
    if how == "sigterm":
        os.kill(job._process.pid, signal.SIGTERM)  # the job's controller forwards it to the task
    else:  # submitit's pre-emption / time-out signal, sent to the task as a cluster does
        (task,) = Path(f"/proc/{job._process.pid}/task/{job._process.pid}/children").read_text(
        ).split()
        os.kill(int(task), signal.SIGUSR2)
    result = job.result()
    assert result["status"] == "finished", job.stderr()
    rec = read_record(run_dir)
    assert rec.finished and rec.resumed_from_checkpoint and rec.epochs == 25
    # trained in two attempts: the first stopped, the requeued one resumed
    assert sorted(p.name for p in (run_dir / "logs").iterdir()) == ["version_0", "version_1"]
    assert "Requeued job" in (job.stderr() or "") + (job.stdout() or "")

"""Item: SIGTERM / Ctrl-C stop a sweep cleanly, with 143 / 130, and the run resumes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.run import run_one

from .conftest import write_tiny_config


def long_config(tmp_path: Path, epochs: int = 400) -> Path:
    """One run that trains long enough to be interrupted mid-way."""
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",))
    p.write_text(p.read_text().replace("max_epochs: 1,", f"max_epochs: {epochs}, patience: "
                                       f"{epochs},"))
    return p


def start_and_signal(cfg_path: Path, run_dir: Path, signum: int):
    """``hsiadapt run`` in a subprocess, sent ``signum`` once its first checkpoint exists."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hsiadapt", "run", str(cfg_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    last = run_dir / "checkpoints" / "last.ckpt"
    deadline = time.time() + 240
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert last.exists(), proc.communicate()[0].decode()[-3000:]
    proc.send_signal(signum)
    out = proc.communicate(timeout=120)[0].decode()
    return proc.returncode, out


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_the_sweep_and_the_run_resumes(tmp_path, signum, code):
    cfg_path = long_config(tmp_path)
    cfg = load_config(cfg_path)
    spec = cfg.runs()[0]
    run_dir = Path(cfg.output) / spec.run_id
    rc, out = start_and_signal(cfg_path, run_dir, signum)
    assert rc == code, out[-3000:]
    name = signal.Signals(signum).name
    assert f"{name}: stopped during {spec.run_id}" in out, out[-3000:]
    assert "resume" in out and "Traceback" not in out, out[-3000:]
    # neither finished nor failed: resumable from its last checkpoint
    assert read_record(run_dir) is None
    last = run_dir / "checkpoints" / "last.ckpt"
    epoch = torch.load(last, weights_only=True)["epoch"]
    assert epoch < 400 - 1
    res = run_one(spec, cfg.output, max_epochs=epoch + 2)
    assert res.status == "finished", res.error
    assert res.record.resumed_from_checkpoint and res.record.epochs == epoch + 2

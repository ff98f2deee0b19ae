"""``hsiadapt run CONFIG --workers N``: N processes share one grid through the runs' locks."""

import re

import pytest

from hsiadapt.cli import main
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import collect_records

from .conftest import write_tiny_config


def test_two_workers_split_the_grid_and_run_nothing_twice(tmp_path, capsys):
    cfg_path = write_tiny_config(tmp_path, seeds=(0, 1, 2))
    assert main(["run", str(cfg_path), "--workers", "2"]) == 0
    out = capsys.readouterr().out
    cfg = load_config(cfg_path)
    want = {r.run_id for r in cfg.runs()}
    records = collect_records(cfg.output)
    assert {r.run_id for r in records if r.finished} == want
    trained = re.findall(r"^\[w(\d)\] \[\d+/\d+\] (\S+): finished in", out, flags=re.M)
    ids = [run_id for _, run_id in trained]
    assert sorted(ids) == sorted(want)  # every run trained exactly once, by one worker
    from hsiadapt.experiment.workers import threads_per_worker

    n = threads_per_worker(2)  # the cores shared between the two (1 each on 2 cores)
    assert f"[workers] 2 processes x {n} thread(s)" in out
    assert {r.hardware.get("torch_threads") for r in records} == {n}
    # a second call finds everything finished
    assert main(["run", str(cfg_path), "--workers", "2"]) == 0
    assert "finished in" not in capsys.readouterr().out


def test_workers_refuse_force_and_bad_counts(tmp_path, capsys):
    cfg_path = write_tiny_config(tmp_path, seeds=(0,))
    assert main(["run", str(cfg_path), "--workers", "2", "--force"]) == 2
    assert "--force with --workers" in capsys.readouterr().err
    assert main(["run", str(cfg_path), "--workers", "0"]) == 2
    assert "--workers must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("workers", [1, 4])
def test_threads_per_worker_share_the_cores(workers, monkeypatch):
    from hsiadapt.experiment import workers as w

    monkeypatch.setattr(w.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert w.threads_per_worker(workers) == 4 // workers


def test_sigterm_stops_every_worker_mid_run_and_exits_143(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    cfg_path = write_tiny_config(tmp_path, seeds=(0, 1))
    text = cfg_path.read_text().replace("max_epochs: 1,", "max_epochs: 400, patience: 1000,")
    cfg_path.write_text(text)
    out = tmp_path / "runs"
    proc = subprocess.Popen([sys.executable, "-m", "hsiadapt", "run", str(cfg_path),
                             "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.glob("*/run.lock"))) < 2:
        time.sleep(0.2)  # both workers are training
    assert len(list(out.glob("*/run.lock"))) == 2
    proc.send_signal(signal.SIGTERM)
    text_out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, text_out
    assert not list(out.glob("*/metrics.json"))  # stopped mid-run: nothing recorded
    assert re.search(r"^\[w1\] SIGTERM: stopped during", text_out, flags=re.M), text_out
    assert re.search(r"^\[w2\] SIGTERM: stopped during", text_out, flags=re.M), text_out

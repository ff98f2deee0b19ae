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
    assert "[workers] 2 processes x 1 thread(s)" in out
    assert {r.hardware.get("torch_threads") for r in records} == {1}
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

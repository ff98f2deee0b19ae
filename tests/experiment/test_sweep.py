import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.run import run_one
from hsiadapt.experiment.sweep import run_sweep
from hsiadapt.experiment.table import build_table, collect_runs

from .conftest import write_tiny_config


def test_sweep_produces_runs_and_table(tiny_config, tmp_path):
    cfg = load_config(tiny_config)
    results = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert [r.status for r in results] == ["finished"] * 4
    for r in results:
        d = Path(cfg.output) / r.run_id
        m = read_record(d)
        assert {"resolved_config.yaml", "metrics.json", "stats.json", "samples.npz"} <= {
            p.name for p in d.iterdir()}
        assert [p.name for p in (d / "checkpoints").iterdir()] == ["best.ckpt"]
        assert list((d / "logs").glob("version_*/metrics.csv"))
        assert m.weights == "random" and m.pretrained is False
        assert 0.0 <= m.test["miou"] <= 1.0 and m.versions["torch"]
    table = build_table(collect_runs(cfg.output))
    md = table.render("md")
    assert "| stub | select |" in md and "(n=2)" in md
    # re-running skips everything
    again = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert [r.status for r in again] == ["skipped"] * 4


def test_failed_run_is_recorded_and_others_complete(tmp_path):
    extra = """  - name: broken
        dataset: enmap_cdl
        root: does/not/exist
        recipe: study_segmentation
        recipe_overrides: {max_epochs: 1, batch_size: 2, image_size: 16,
                            head: {channels: 8, num_convs: 3}}
    """
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",),
                                        extra_task=extra))
    results = {r.run_id: r for r in run_sweep(cfg, cfg.runs(), echo=lambda s: None)}
    assert results["bnetd__stub__srf__seed0"].status == "finished"
    bad = results["broken__stub__srf__seed0"]
    assert bad.status == "failed" and "not found" in bad.error
    table = build_table(collect_runs(cfg.output)).render("md")
    assert "failed (1)" in table


def test_resume_from_last_checkpoint(tiny_config, monkeypatch):
    from hsiadapt.models.task import SegmentationTask

    cfg = load_config(tiny_config)
    spec = cfg.runs()[0]

    def killed(*args, **kwargs):  # the process dies after training, before testing
        raise KeyboardInterrupt

    monkeypatch.setattr(SegmentationTask, "test_step", killed)
    with pytest.raises((KeyboardInterrupt, SystemExit)):
        run_one(spec, cfg.output, max_epochs=1)
    run_dir = Path(cfg.output) / spec.run_id
    assert (run_dir / "checkpoints" / "last.ckpt").exists()
    assert not (run_dir / "metrics.json").exists()
    monkeypatch.undo()
    second = run_one(spec, cfg.output, max_epochs=2)
    assert second.status == "finished" and second.record.resumed_from_checkpoint
    assert second.record.epochs == 2


def test_interrupted_sweep_resumes_with_every_run_once(tmp_path):
    cfg_path = write_tiny_config(tmp_path, seeds=(0, 1, 2), adapters=("srf",))
    cfg = load_config(cfg_path)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "hsiadapt.cli", "run", str(cfg_path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    first = Path(cfg.output) / cfg.runs()[0].run_id / "metrics.json"
    deadline = time.time() + 240
    while not first.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert first.exists(), proc.stdout.read().decode()[-2000:] if proc.stdout else ""
    proc.send_signal(signal.SIGKILL)  # mid-way through the sweep
    proc.wait(timeout=30)
    finished_before = sum(1 for p in Path(cfg.output).rglob("metrics.json"))
    assert finished_before < 3
    results = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert [r.status for r in results].count("skipped") == finished_before
    metrics = sorted(Path(cfg.output).rglob("metrics.json"))
    assert len(metrics) == 3
    assert all(json.loads(p.read_text())["status"] == "finished" for p in metrics)
    assert len({json.loads(p.read_text())["run_id"] for p in metrics}) == 3


def test_submitit_local_launcher_runs_a_2_run_grid(tmp_path):
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select", "srf"))
    p.write_text(p.read_text() + "launcher:\n  type: submitit-local\n")
    cfg = load_config(p)
    results = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert [r.status for r in results] == ["finished", "finished"]
    assert (Path(cfg.output) / "_submitit").is_dir()


@pytest.mark.parametrize("fmt", ["md", "latex", "csv"])
def test_cli_table_and_figures(tiny_config, fmt, capsys):
    from hsiadapt.cli import main

    cfg = load_config(tiny_config)
    assert main(["run", str(tiny_config)]) == 0
    capsys.readouterr()
    assert main(["table", cfg.output, "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "latex":
        assert r"\toprule" in out and r"\textbf{" in out and r"\pm" in out
    elif fmt == "csv":
        assert out.splitlines()[0].startswith("backbone,adapter,source,bnetd_mean")
    assert main(["figures", cfg.output]) == 0
    figs = Path(cfg.output) / "figures"
    for name in ("seed_spread", "per_class_iou_bnetd", "predictions_bnetd"):
        for ext in ("png", "pdf"):
            f = figs / f"{name}.{ext}"
            assert f.exists() and f.stat().st_size > 5000
    assert list(figs.glob("spectral_map_*_srf.png"))


def test_cli_dry_run_and_only(tiny_config, capsys):
    from hsiadapt.cli import main

    assert main(["run", str(tiny_config), "--dry-run", "--only", "adapter=srf"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("2 runs") and all("__srf__" in ln for ln in out[:-1])


def test_local_gpus_launcher_round_robin(tmp_path):
    # pinned GPU ids are only environment settings here (the runs use the CPU)
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select", "srf"))
    p.write_text(p.read_text() + "launcher:\n  type: local-gpus\n  gpus: [0, 1]\n")
    cfg = load_config(p)
    lines = []
    results = run_sweep(cfg, cfg.runs(), echo=lines.append)
    assert [r.status for r in results] == ["finished", "finished"]
    assert any("on GPU 0" in ln for ln in lines) and any("on GPU 1" in ln for ln in lines)


@pytest.mark.parametrize(("only", "msg"), [
    ("task=bnted", "no task 'bnted'; did you mean 'bnetd'\\? Valid task values: bnetd"),
    ("adapter=srf,slect", "no adapter 'slect'; did you mean 'select'\\? Valid adapter values: "
                          "select, srf"),
    ("seed=7", "no seed '7' Valid seed values: 0, 1"),
])
def test_cli_only_matching_nothing_is_an_error(tiny_config, only, msg, capsys):
    import re

    from hsiadapt.cli import main

    assert main(["run", str(tiny_config), "--dry-run", "--only", only]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hsiadapt: error: --only {only.split('=')[0]}=")
    assert re.search(msg, err), err

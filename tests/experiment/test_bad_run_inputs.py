"""Bad inputs met when a run starts: each names the file, the problem and the fix, before
training; a damaged run folder fails that run only, and the sweep goes on."""

import json
import shutil
from pathlib import Path

import numpy as np

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import collect_records, read_record
from hsiadapt.experiment.sweep import run_sweep

from .conftest import DATA, write_tiny_config


def _copy_data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    shutil.copytree(DATA / "spectralearth", root / "spectralearth")
    return root


def _config(tmp_path: Path, root: Path, replace: tuple[str, str] | None = None, **kw) -> Path:
    p = write_tiny_config(tmp_path, **kw)
    text = p.read_text().replace(str(DATA), str(root))
    if replace:
        text = text.replace(*replace)
    p.write_text(text)
    return p


def statistics_of_the_wrong_length(tmp_path: Path) -> str:
    root = _copy_data(tmp_path)
    (root / "stats").mkdir()
    np.save(root / "stats/mu.npy", np.ones(200))
    np.save(root / "stats/sigma.npy", np.ones(200))
    p = _config(tmp_path, root, ("normalization: data",
                                 "normalization: study\n    raw_statistics: stats"),
                seeds=(0,), adapters=("select",))
    cfg = load_config(p)
    (res,) = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert res.status == "failed" and res.record is not None and res.record.epochs == 0
    assert not list((Path(cfg.output) / res.run_id).glob("checkpoints/*.ckpt"))  # not trained
    return res.error


def test_statistics_of_the_wrong_length_name_the_files(tmp_path):
    msg = statistics_of_the_wrong_length(tmp_path)
    assert "stats/mu.npy has 200 values and" in msg and "stats/sigma.npy 200" in msg
    assert "have 202 bands" in msg and "raw_statistics" in msg and "normalization: data" in msg


def missing_validation_split(tmp_path: Path) -> str:
    root = _copy_data(tmp_path)
    (root / "spectralearth/root/splits/enmap_bnetd/val.txt").unlink()
    cfg = load_config(_config(tmp_path, root, seeds=(0,), adapters=("select",)))
    (res,) = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert res.status == "failed"
    assert not list((Path(cfg.output) / res.run_id).glob("checkpoints/*.ckpt"))  # before training
    return res.error


def test_a_missing_split_file_is_named_before_training(tmp_path):
    msg = missing_validation_split(tmp_path)
    assert "split file" in msg and "enmap_bnetd/val.txt is missing" in msg
    assert "setup()" not in msg


def damaged_run_folders(tmp_path: Path) -> list[str]:
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0, 1, 2), adapters=("select",)))
    first = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert [r.status for r in first] == ["finished"] * 3
    out = Path(cfg.output)
    a, b, c = (out / r.run_id for r in first)
    rec = json.loads((a / "metrics.json").read_text())
    (a / "metrics.json").write_text(json.dumps({**rec, "test": [0.5]}))
    (b / "resolved_config.yaml").write_text("task: [unclosed\n")
    (c / "metrics.json").write_text('{"run_id": "x", "stat')
    lines: list[str] = []
    again = run_sweep(cfg, cfg.runs(), echo=lines.append)
    assert [r.status for r in again] == ["failed"] * 3  # each reported, none aborts the sweep
    assert (c / "metrics.json").read_text() == '{"run_id": "x", "stat'  # left as found
    assert len(collect_records(out)) == 1  # the table leaves the damaged records out
    return [r.error for r in again]


def test_a_damaged_run_folder_fails_that_run_and_the_sweep_goes_on(tmp_path):
    a, b, c = damaged_run_folders(tmp_path)
    assert "metrics.json: test: expected a mapping, got a list [0.5]; the record is damaged" in a
    assert "resolved_config.yaml: not readable YAML" in b
    assert "metrics.json: not readable JSON" in c
    assert all("(or run with --force) to run it again" in m for m in (a, b, c))
    # --force runs them again
    cfg = load_config(tmp_path / "tiny.yaml")
    forced = run_sweep(cfg, cfg.runs(), force=True, echo=lambda s: None)
    assert [r.status for r in forced] == ["finished"] * 3
    assert all(read_record(Path(cfg.output) / r.run_id).finished for r in forced)

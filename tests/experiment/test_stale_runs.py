"""A finished run is reused only while everything that determined its result is unchanged;
otherwise it runs again and the old result is moved aside - never shown under new settings."""

import os
import shutil

import rasterio

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import collect_records, read_record
from hsiadapt.experiment.sweep import run_sweep

from .conftest import DATA, write_tiny_config


def _config(tmp_path, lr="0.001", root=None):
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",))
    text = p.read_text().replace("lr: 0.001", f"lr: {lr}")
    if root is not None:
        text = text.replace(f"data_root: {DATA}", f"data_root: {root}")
    p.write_text(text)
    return load_config(p)


def test_changed_hyperparameter_reruns_instead_of_reusing(tmp_path):
    lines: list[str] = []
    cfg = _config(tmp_path)
    [first] = run_sweep(cfg, cfg.runs(), echo=lines.append)
    assert first.status == "finished"
    [again] = run_sweep(cfg, cfg.runs(), echo=lines.append)
    assert again.status == "skipped"  # nothing changed: reused
    cfg2 = _config(tmp_path, lr="0.002")
    lines.clear()
    [rerun] = run_sweep(cfg2, cfg2.runs(), echo=lines.append)
    assert rerun.status == "finished"  # not the old number under the new setting
    assert any("recipe.lr: 0.001 -> 0.002" in ln for ln in lines)
    recs = collect_records(cfg2.output)
    assert len(recs) == 1 and recs[0].fingerprint["config"] == cfg2.runs()[0].digest()
    moved = list((tmp_path / "runs" / "_superseded").iterdir())
    assert len(moved) == 1 and read_record(moved[0]).digest == cfg.runs()[0].digest()


def test_changed_source_chip_reruns(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(DATA / "spectralearth", root / "spectralearth")
    cfg = _config(tmp_path, root=root)
    run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    chip = next((root / "spectralearth/root/enmap").rglob("*.tif"))
    with rasterio.open(chip, "r+") as dst:
        dst.write((dst.read() // 2).astype(dst.dtypes[0]))
    st = chip.stat()
    os.utime(chip, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    lines: list[str] = []
    [res] = run_sweep(cfg, cfg.runs(), echo=lines.append)
    assert res.status == "finished"
    assert any("the data" in ln for ln in lines)


def test_nan_results_are_failed_runs(tmp_path):
    # every mask code ignored: the loss is NaN and there is nothing to score; that is a failure
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    cfg = load_config(p)
    import dataclasses

    from hsiadapt.datasets import EnMAPBNETD

    spec = cfg.runs()[0]
    # a dataset whose classes match no code in the fixture masks
    class NoCodes(EnMAPBNETD):
        class_codes = (999,)
        classes = ("none",)

    from hsiadapt.datasets import DATASETS

    DATASETS.register("no_codes_bnetd")(NoCodes)
    try:
        task = dataclasses.replace(spec.task, dataset="no_codes_bnetd",
                                   dataset_args={"unknown_labels": "ignore"})
        [res] = run_sweep(cfg, [dataclasses.replace(spec, task=task)], echo=lambda s: None)
    finally:
        DATASETS.unregister("no_codes_bnetd")
    assert res.status == "failed" and "test miou is" in res.error

"""The table1 grid audited through what `run --dry-run --format json` prints (the plan each run
will execute), item by item against what the study's run-era code did."""

import json
from pathlib import Path

import pytest

from hsiadapt.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "table1.yaml"


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["run", str(CONFIG), "--data-root", str(tmp_path_factory.mktemp("X")),
                   "--dry-run", "--format", "json"])
    assert rc == 0
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def test_eighty_distinct_runs(plans):
    assert len(plans) == 80 and len({p["run_id"] for p in plans}) == 80
    assert {p["seed"] for p in plans} == set(range(42, 52))


def test_early_stopping_and_tested_checkpoint_watch_val_loss(plans):
    assert {(p["monitor"], p["monitor_mode"]) for p in plans} == {("val/loss", "min")}


def test_hyperview_optimisation_as_it_ran(plans):
    hv = [p for p in plans if p["task"] == "hyperview1"]
    assert len(hv) == 20
    assert {(p["weight_decay"], p["max_epochs"], p["scheduler"]) for p in hv} == {
        (0.01, 400, "plateau")}
    # no input normalisation, the study's loss, augmentation, head and early stopping
    assert {p["normalization"] for p in hv} == {"none"}
    assert {p["regression_loss"] for p in hv} == {"hyperview_ratio"}
    assert {p["augmentation"] for p in hv} == {"study_hyperview"}
    assert {(p["head"]["pool"], p["head"]["activation"]) for p in hv} == {("all", "relu")}
    assert {p["min_delta"] for p in hv} == {0.001}
    assert all(p["mask_channel"] for p in hv)
    srf = [p for p in hv if p["adapter"] == "srf"]
    assert {p["coverage"] for p in srf} == {"drop"}
    assert all(p["matrix_source"].endswith("statistics/hyperview_1/SRF_S2L2A_hyperview_1_W.npy")
               for p in srf)


def test_published_srf_matrix_and_cdl_crop(plans):
    srf = [p for p in plans if p["adapter"] == "srf" and p["task"] != "hyperview1"]
    assert all(p["matrix_source"].endswith("statistics/enmap/SRF_S2L2A_EnMAP_W.npy")
               for p in srf)
    crops = {p["task"]: tuple(p["crop_scale"]) for p in plans if p["task"] != "hyperview1"}
    assert crops == {"enmap_bnetd": (0.4, 1.0), "enmap_cdl": (0.2, 1.0),
                     "enmap_bdforet": (0.4, 1.0)}


def test_segmentation_labels_as_they_ran(plans):
    seg = [p for p in plans if p["task"] != "hyperview1"]
    assert len(seg) == 60
    assert all(p["dataset_args"]["background"] == "class" for p in seg)
    assert all(p["dataset_args"]["unknown_labels"] == "background" for p in seg)
    assert {p["weight_decay"] for p in seg} == {1e-4}


def test_bdforet_reflectance_statistics_scaled(plans):
    bd = [p for p in plans if p["task"] == "enmap_bdforet"]
    assert len(bd) == 20
    assert all("units reflectance" in p["statistics_source"] and "x 10000" in
               p["statistics_source"] for p in bd)
    assert all(p["dataset_args"]["clip_negative"] for p in bd)
    other = [p for p in plans if p["task"] in ("enmap_bnetd", "enmap_cdl")]
    assert all("units dn" in p["statistics_source"] for p in other)
    # the naive runs normalised each band with the next band's statistics
    assert all("next band's statistics (paper)" in p["statistics_source"]
               for p in bd + other)


def test_every_plan_states_what_decides_its_numbers(plans):
    keys = {"optimizer", "lr", "weight_decay", "scheduler", "monitor", "patience", "batch_size",
            "image_size", "normalization", "statistics_source", "adapter", "matrix_source",
            "coverage", "precision", "adapter_runs_in"}
    assert all(keys <= set(p) for p in plans)
    naive = [p for p in plans if p["adapter"] == "naive"]
    assert {p["matrix_source"] for p in naive} == {"published matrix preset 'paper'"}
    assert {p["adapter_runs_in"] for p in plans} == {"data pipeline (cached)"}

"""The table1 grid audited through what `run --dry-run --format json` prints (the plan each run
will execute), item by item against what the study's run-era code did."""

import json
from pathlib import Path

import pytest

from hsiadapt.cli import main

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "table1.yaml"


def _plans(root, *extra):
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["run", str(CONFIG), "--data-root", str(root), "--dry-run", "--format", "json",
                   *extra])
    assert rc == 0
    return [json.loads(line) for line in buf.getvalue().splitlines()]


@pytest.fixture(scope="module")
def plans(tmp_path_factory):
    return _plans(tmp_path_factory.mktemp("X"))


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    root = tmp_path_factory.mktemp("X")
    return {v: _plans(root, "--variant", v) for v in ("A", "B")}


def _one(plans, task, adapter):
    got = [p for p in plans if p["task"] == task and p["adapter"] == adapter]
    assert len(got) == 10
    return got[0]


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
    # the study's loss, augmentation, head and early stopping (normalisation: see below)
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


def test_segmentation_labels_as_published(plans):
    """The paper: background is the ignore index on CDL and BDForet (left out of loss and
    metric); BNETD's dense masks score it as a class. Unlisted codes went to background."""
    seg = [p for p in plans if p["task"] != "hyperview1"]
    assert len(seg) == 60
    assert {(p["task"], p["background"]) for p in seg} == {
        ("enmap_bnetd", "class"), ("enmap_cdl", "ignore"), ("enmap_bdforet", "ignore")}
    assert all(p["dataset_args"]["unknown_labels"] == "background" for p in seg)
    assert {p["weight_decay"] for p in seg} == {1e-4}
    # BDForet's class weights: one per scored class (the background's weight went with it)
    assert {len(p["class_weights"]) for p in seg if p["task"] == "enmap_bdforet"} == {12}


def test_hyperview_noise_as_the_studys_albumentations(plans):
    hv = [p for p in plans if p["task"] == "hyperview1"]
    assert {json.dumps(p["augmentation_args"], sort_keys=True) for p in hv} == {
        json.dumps({"noise_clip": True, "noise_variance": "per_image"}, sort_keys=True)}
    assert {p["dataset_args"]["target_std_eps"] for p in hv} == {1e-4}


def test_bdforet_clips_after_the_projection(plans):
    bd = [p for p in plans if p["task"] == "enmap_bdforet"]
    assert all(p["clip_after_projection"] for p in bd)
    assert not any(p["dataset_args"].get("clip_negative") for p in bd)  # not before it
    assert not any(p["clip_after_projection"] for p in plans if p["task"] != "enmap_bdforet")


def test_tested_checkpoint_and_hyperview_normalisation_per_adapter(plans):
    """Variant A's HYPERVIEW runs: naive normalised with the HYPERVIEW statistics (each band's
    own) and tested from last.ckpt; SRF raw and tested from its only (best) checkpoint. The
    naive BNETD runs were tested from last.ckpt too."""
    naive, srf = _one(plans, "hyperview1", "naive"), _one(plans, "hyperview1", "srf")
    assert (naive["normalization"], naive["test_checkpoint"]) == ("study", "last")
    assert "statistics/hyperview_1" in naive["statistics_source"]
    assert "next band" not in naive["statistics_source"]
    assert (srf["normalization"], srf["test_checkpoint"]) == ("none", "best")
    assert _one(plans, "enmap_bnetd", "naive")["test_checkpoint"] == "last"
    assert {p["test_checkpoint"] for p in plans if p["task"] in ("enmap_cdl", "enmap_bdforet")
            or (p["task"] == "enmap_bnetd" and p["adapter"] == "srf")} == {"best"}


def test_variant_a_is_the_per_task_configs_as_committed(variants):
    a = variants["A"]
    assert {p["experiment"] for p in a} == {"table1.A"}
    assert _one(a, "enmap_cdl", "srf")["background"] == "class"
    cdl_naive = _one(a, "enmap_cdl", "naive")
    assert (cdl_naive["background"], cdl_naive["image_size"], cdl_naive["lr"],
            cdl_naive["weight_decay"]) == ("ignore", 128, 3.216e-5, 0.01)
    assert _one(a, "enmap_bdforet", "naive")["class_weights"] is None
    assert len(_one(a, "enmap_bdforet", "srf")["class_weights"]) == 13


def test_variant_b_is_the_cleaned_code(variants):
    b = variants["B"]
    hv = [p for p in b if p["task"] == "hyperview1"]
    assert {(p["regression_loss"], p["normalization"], p["test_checkpoint"]) for p in hv} == {
        ("mse", "none", "best")}
    assert _one(b, "hyperview1", "naive")["adapter_args"]["preset"] == "paper_nored"
    assert {p["background"] for p in b if p["task"] in ("enmap_cdl", "enmap_bdforet")} == {
        "class"}
    assert len({p["run_id"] for p in b}) == 80


def test_an_unknown_variant_names_the_valid_ones(tmp_path, capsys):
    assert main(["run", str(CONFIG), "--data-root", str(tmp_path), "--dry-run",
                 "--variant", "b"]) != 0
    err = capsys.readouterr().err
    assert "--variant 'b'" in err and "A, B" in err


def test_bdforet_reflectance_statistics_scaled(plans):
    bd = [p for p in plans if p["task"] == "enmap_bdforet"]
    assert len(bd) == 20
    assert all("units reflectance" in p["statistics_source"] and "x 10000" in
               p["statistics_source"] for p in bd)
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

from pathlib import Path

import pytest

from hsiadapt.experiment.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_table1_dry_run_lists_the_80_runs():
    cfg = load_config(CONFIGS / "table1.yaml", data_root="/data")
    runs = cfg.runs()
    assert len(runs) == 80
    assert {r.task.name for r in runs} == {"enmap_bnetd", "enmap_cdl", "enmap_bdforet",
                                           "hyperview1"}
    assert {r.adapter.name for r in runs} == {"naive", "srf"}
    assert sorted({r.seed for r in runs}) == list(range(42, 52))
    assert len({r.run_id for r in runs}) == 80
    hv = next(r for r in runs if r.task.name == "hyperview1" and r.adapter.name == "srf")
    assert hv.adapter.args_for("hyperview1") == {
        "integration": "boxcar", "coverage": "drop",
        "matrix": "statistics/hyperview_1/SRF_S2L2A_hyperview_1_W.npy"}
    assert hv.task.recipe_obj().lr == 5.4e-5 and hv.task.recipe_obj().mask_channel
    assert len(cfg.runs({"task": ["enmap_cdl"], "adapter": ["srf"]})) == 10


@pytest.mark.parametrize(("patch", "msg"), [
    ("name: x\nseed: [1]\n", "unknown key 'seed'; did you mean 'seeds'"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipee: x}\n", "did you mean 'recipe'"),
    ("tasks:\n  - {name: a, dataset: enmap_bntd}\n", "did you mean 'enmap_bnetd'"),
    ("adapters:\n  - {name: a, input_mode: sfr}\n", "did you mean 'srf'"),
    ("backbones:\n  - {name: terramind_v1_tny}\n", "did you mean 'terramind_v1_tiny'"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {lrr: 1}}\n",
     "did you mean 'lr'"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, normalization: study}\n",
     "needs raw_statistics"),
    ("seeds: []\n", "non-empty list"),
])
def test_config_errors_name_the_closest_key(tmp_path, patch, msg):
    from .test_config_values import patched_config

    with pytest.raises(ConfigError, match=msg):
        load_config(patched_config(tmp_path, patch))


def test_yaml_is_loaded_safely(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text("name: !!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(p)


def test_reproduce_dry_run_prices_the_grid_with_a_throughput(capsys, tmp_path):
    from hsiadapt.cli import main

    splits = tmp_path / "splits" / "enmap_bnetd"
    splits.mkdir(parents=True)
    (splits / "train.txt").write_text("a\nb\n")
    (splits / "val.txt").write_text("c\n")
    assert main(["reproduce", "table1", "--data-root", str(tmp_path), "--dry-run",
                 "--chips-per-second", "10"]) == 0
    out = capsys.readouterr().out
    # 20 bnetd runs x (2 + 1/3) chips x 100 epochs + published sizes for the others; HYPERVIEW
    # ran up to 400 epochs; a validation chip is a third of a training step
    steps = 20 * ((2 + 1 / 3) + (1200 + 160 / 3) + (1911 + 255 / 3)) * 100 \
        + 20 * (1040 + 346 / 3) * 400
    assert f"{steps / 1e6:.2f} M chip-steps" in out and "80 runs" in out
    assert f"at most {steps / 10 / 3600:.1f} GPU-hours" in out
    earliest = 20 * ((2 + 1 / 3) + (1200 + 160 / 3) + (1911 + 255 / 3) + (1040 + 346 / 3)) * 21
    assert f"at least {earliest / 10 / 3600:.1f}" in out
    # a measured throughput from the benchmark's JSON line
    bench = tmp_path / "gpu.json"
    bench.write_text('{"chips_per_s": 3000.0, "model": "terramind_v1_base", "device": "H200"}\n')
    assert main(["reproduce", "table1", "--data-root", str(tmp_path), "--dry-run",
                 "--throughput", str(bench)]) == 0
    out = capsys.readouterr().out
    assert f"at most {steps / 3000 / 3600:.1f} GPU-hours" in out and "H200" in out
    # without a throughput: chip-steps and how to measure, no guessed hours
    assert main(["reproduce", "table1", "--data-root", str(tmp_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "GPU-hours" in out and "benchmarks/gpu.py" in out and "at most" not in out


def test_measured_epochs_give_the_typical_cost(tmp_path):
    from hsiadapt.cli import main
    from tests.experiment.conftest import write_tiny_config

    cfg = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    assert main(["run", str(cfg)]) == 0
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.cost import estimate_cost

    c = load_config(cfg)
    est = estimate_cost(c.runs(), c.output)
    assert est.measured_tasks == ("bnetd",)
    assert est.chip_steps_measured == pytest.approx(est.chip_steps_max)  # 1 of 1 epoch


def test_table1_runs_build_on_data_in_the_study_layout(tmp_path, data_dir):
    """Every table1 cell wires up (data, adapter, normalisation, model) on fixture data laid out
    as the study's data root; the backbone is swapped for the stub (no weights here)."""
    import dataclasses
    import shutil

    import numpy as np
    import torch

    from hsiadapt.experiment.config import BackboneSpec
    from hsiadapt.experiment.plan import build_run, plan_run

    root = tmp_path / "data"
    for task in ("enmap_bnetd", "enmap_cdl", "enmap_bdforet"):
        src = data_dir / "spectralearth/root"
        shutil.copytree(src / "enmap", root / task / "enmap")
        shutil.copytree(src / task.split("_")[1], root / task / task.split("_")[1])
    shutil.copytree(data_dir / "spectralearth/root/splits", root / "splits")
    shutil.copytree(data_dir / "hyperview1/root", root / "hyperview_1")
    # units as the study's files: reflectance x 10000, except BDForet's (reflectance)
    for d, n, unit in (("enmap", 202, 1.0), ("enmap_bdforet", 202, 1e-4), ("hyperview_1", 150, 1.0)):
        (root / "statistics" / d).mkdir(parents=True)
        np.save(root / "statistics" / d / "mu.npy", np.full(n, 1500.0 * unit, np.float32))
        np.save(root / "statistics" / d / "sigma.npy", np.full(n, 400.0 * unit, np.float32))
    from hsiadapt.spectral import build_map, get_sensor

    s2 = get_sensor("sentinel2_l2a")
    np.save(root / "statistics/enmap/SRF_S2L2A_EnMAP_W.npy",
            build_map(get_sensor("enmap_spectralearth"), s2, "srf").matrix)
    np.save(root / "statistics/hyperview_1/SRF_S2L2A_hyperview_1_W.npy",
            build_map(get_sensor("hyperview"), s2, "srf", coverage="drop").matrix)
    cfg = load_config(CONFIGS / "table1.yaml", data_root=str(root))
    stub = BackboneSpec(name="stub", pretrained=False)
    seen = set()
    for spec in cfg.runs({"seed": ["42"]}):
        spec = dataclasses.replace(spec, backbone=stub)
        small = {"image_size": 32, "batch_size": 2}
        if spec.task.recipe == "study_segmentation":
            small["head"] = {"channels": 8, "num_convs": 2}
        task_spec = dataclasses.replace(spec.task, recipe_overrides={
            **spec.task.recipe_overrides, **small})
        spec = dataclasses.replace(spec, task=task_spec)
        built = build_run(plan_run(spec))
        dm, task = built.datamodule, built.task
        batch = next(iter(dm.train_dataloader()))
        out = task(batch)
        assert torch.isfinite(out).all()
        if (spec.task.name, spec.adapter.name) == ("hyperview1", "srf"):
            assert dm.statistics is None  # the SRF run never applied its HYPERVIEW normaliser
        else:
            assert dm.statistics.scheme == "study"
            # every task's statistics reach the loaders' scale (BDForet's reflectance x 10000)
            np.testing.assert_allclose(np.mean(dm.statistics.mean), 1500.0, rtol=1e-3)
        if spec.task.name != "hyperview1":
            assert task.num_classes == len(dm.info.classes)
            # background: a class on BNETD, the ignore index on CDL and BDForet (the paper)
            assert (dm.info.classes[-1] == "Background") == (spec.task.name == "enmap_bnetd")
        else:
            expected = 9 if spec.adapter.name == "srf" else 12
            assert dm.adapter.out_channels == expected
            assert task.model.backbone_info.bands[-1] == "MASK"
        seen.add((spec.task.name, spec.adapter.name))
    assert len(seen) == 8

"""The test score of a user's dataset is the score of the map ``predict`` writes: both at native
pixels, from the same sliding-window inference (issue 18, item 1); the study presets keep the
study's resized-chip definition and say so."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
import rasterio
import torch
from rasterio.transform import from_origin

from hsiadapt.experiment.config import ConfigError, load_config
from hsiadapt.experiment.predict import NODATA, predict_scene
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.sweep import run_sweep
from hsiadapt.experiment.table import build_table, collect_runs
from hsiadapt.models.metrics import confusion_matrix, segmentation_scores

TILE, N_BANDS = 25, 24  # tiles NOT of the run's image_size (32)
WL_NM = np.linspace(420.0, 2400.0, N_BANDS)
CODES = (1, 2, 3)  # 0: unlabelled (background)


def write_scene(root: Path, n_tiles: int = 8, seed: int = 0) -> list[str]:
    """A real-layout folder as docs/your_data.md lays it out: GeoTIFF tiles with per-band
    wavelength tags, masks with the same names, split lists; classes in spatial blobs with
    their own spectra, a nodata hole, unlabelled pixels."""
    rng = np.random.default_rng(seed)
    for d in ("images", "masks", "splits"):
        (root / d).mkdir(parents=True, exist_ok=True)
    spectra = {1: 0.05 + 0.3 * (WL_NM > 700), 2: 0.25 - 0.1 * (WL_NM > 1400),
               3: 0.02 + 0.0 * WL_NM}
    names = []
    yy, xx = np.mgrid[:TILE, :TILE]
    for i in range(n_tiles):
        cy, cx = rng.uniform(0, TILE, 2)
        r = np.hypot(yy - cy, xx - cx)
        mask = np.where(r < 7, 1, np.where(xx + yy * rng.uniform(0.5, 1.5) > TILE, 2, 3))
        mask = mask.astype(np.uint8)
        mask[:2, :3] = 0  # unlabelled
        img = np.stack([spectra[c] for c in CODES])[mask.clip(1) - 1].transpose(2, 0, 1)
        img = (10000 * (img + 0.03 * rng.standard_normal(img.shape))).astype(np.int16)
        if i % 4 == 3:
            img[:, 10:13, 4:9] = -32768  # a nodata hole
        name = f"tile_{i}.tif"
        prof = dict(driver="GTiff", width=TILE, height=TILE, count=N_BANDS, dtype="int16",
                    crs="EPSG:32633", transform=from_origin(366015 + 750 * i, 5809965, 30, 30),
                    nodata=-32768)
        with rasterio.open(root / "images" / name, "w", **prof) as dst:
            dst.write(img)
            for b in range(N_BANDS):
                dst.update_tags(b + 1, wavelength=f"{WL_NM[b]:.1f}", fwhm="12.0",
                                wavelength_units="Nanometers")
        with rasterio.open(root / "masks" / name, "w", **dict(prof, count=1, dtype="uint8",
                                                               nodata=None)) as dst:
            dst.write(mask[None])
        names.append(name)
    (root / "splits/train.txt").write_text("\n".join(names[:5]) + "\n")
    (root / "splits/val.txt").write_text(names[5] + "\n")
    (root / "splits/test.txt").write_text("\n".join(names[6:]) + "\n")
    return names


def config(tmp: Path, extra: str = "") -> Path:
    p = tmp / "scene.yaml"
    p.write_text(textwrap.dedent(f"""
    name: scene
    data_root: {tmp}
    output: runs
    seeds: [0]
    tasks:
      - name: blobs
        dataset: hsi_folder
        root: scene
        dataset_args: {{background_codes: [0], class_names: [a, b, c]}}
        recipe: study_segmentation
        recipe_overrides: {{max_epochs: 4, batch_size: 5, image_size: 32, lr: 0.003,
                            head: {{channels: 8, num_convs: 3, dropout: 0.0}}{extra}}}
    adapters:
      - {{name: select, input_mode: select, args: {{coverage: nearest}}}}
    backbones:
      - {{name: stub, pretrained: false}}
    trainer: {{accelerator: cpu}}
    """))
    return p


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("native")
    names = write_scene(tmp / "scene")
    cfg = load_config(config(tmp))
    [res] = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert res.status == "finished", res.error
    return tmp, names, Path(cfg.output) / res.run_id


def test_metrics_json_miou_is_the_miou_of_predicts_map(scored):
    tmp, names, run_dir = scored
    rec = read_record(run_dir)
    assert rec is not None and rec.test_scoring == "native_pixels"
    assert rec.chip_px == TILE
    cm = torch.zeros(3, 3, dtype=torch.long)
    for name in names[6:]:
        out = predict_scene(run_dir, tmp / "scene/images" / name, tmp / f"pred_{name}")
        with rasterio.open(out) as src:
            pred = src.read(1)
        with rasterio.open(tmp / "scene/masks" / name) as src:
            gt = src.read(1).astype(np.int64)
        truth = np.full(gt.shape, -1)
        for k, code in enumerate(CODES):
            truth[gt == code] = k
        truth[pred == NODATA] = -1  # nodata in the input: ignored by the run too
        ordinal = np.searchsorted(CODES, np.where(pred == NODATA, CODES[0], pred))
        cm += confusion_matrix(torch.from_numpy(ordinal), torch.from_numpy(truth), 3)
    assert int(cm.sum()) < len(names[6:]) * TILE * TILE  # the labels' own grid, less ignored
    scores = segmentation_scores(cm, ["a", "b", "c"])
    assert rec.test["miou"] == pytest.approx(scores["miou"], abs=1e-6)
    assert rec.test["pixel_accuracy"] == pytest.approx(scores["pixel_accuracy"], abs=1e-6)
    for k, n in enumerate("abc"):
        assert rec.test[f"iou/{n}"] == pytest.approx(scores["iou_per_class"][k], abs=1e-6,
                                                     nan_ok=True)
    # the resized-chip score is kept beside it, under its own name, and differs
    assert "resized_chips/miou" in rec.test
    assert rec.test["resized_chips/miou"] != pytest.approx(rec.test["miou"], abs=1e-6)


def test_table_says_which_definition_it_shows(scored):
    _tmp, _names, run_dir = scored
    md = build_table(collect_runs(run_dir.parent)).render("md")
    assert "blobs: native pixels" in md


def test_dry_run_says_how_each_task_is_scored(tmp_path, capsys):
    from hsiadapt.cli import main

    write_scene(tmp_path / "scene", n_tiles=8)
    assert main(["run", str(config(tmp_path)), "--dry-run", "--format", "json"]) == 0
    [plan] = [json.loads(ln) for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert plan["test_scoring"] == "native_pixels"
    assert main(["run", str(config(tmp_path, ", test_scoring: resized_chips")), "--dry-run",
                 "--format", "json"]) == 0
    [plan] = [json.loads(ln) for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    assert plan["test_scoring"] == "resized_chips"


def test_study_presets_keep_resized_chips():
    from hsiadapt.experiment.plan import plan_run, plan_summary

    root = Path(__file__).resolve().parents[2]
    cfg = load_config(root / "configs/table1.yaml")
    seen = {plan_summary(plan_run(s))["test_scoring"] for s in cfg.runs()}
    assert seen == {"resized_chips"}


def test_native_pixels_on_a_regression_task_is_refused(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(textwrap.dedent("""
    name: x
    seeds: [0]
    tasks:
      - {name: hv, dataset: hyperview1, recipe: study_hyperview,
         recipe_overrides: {test_scoring: native_pixels}}
    adapters: [{name: srf, input_mode: srf}]
    backbones: [{name: stub, pretrained: false}]
    """))
    with pytest.raises(ConfigError, match="test_scoring native_pixels .* regression"):
        load_config(p)

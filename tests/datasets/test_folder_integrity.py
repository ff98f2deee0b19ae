"""A folder whose files disagree with each other or hold impossible values is noticed (issue 22):
a mask on another grid, flipped bytes in a chip, a mask's nodata tag. Each test here fails on
the code before the fix."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.data.check import check_dataset, exit_code
from hsiadapt.datasets import HSIFolder

N = 30
WL = np.linspace(400, 2450, N)
ORIGIN = (366015.0, 5809965.0)


def make_folder(root: Path, *, n: int = 8, size: int = 6, mask_nodata: float | None = None,
                dtype: str = "int16") -> Path:
    """Eight chips of reflectance x 10000 (``dtype``) with wavelength tags and uint8 masks on
    the same grid (EPSG:32633, 30 m); masks carry ``nodata=mask_nodata`` when given and then
    hold that code in their first row."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    prof = dict(driver="GTiff", width=size, height=size, count=N, dtype=dtype,
                crs="EPSG:32633", transform=from_origin(*ORIGIN, 30, 30))
    for i in range(n):
        img = np.round(1000 + 3000 * rng.random((N, size, size)))
        with rasterio.open(root / "images" / f"s{i}.tif", "w", **prof) as dst:
            dst.write(img.astype(dtype))
            for b in range(N):
                dst.update_tags(b + 1, wavelength=f"{WL[b]:.1f}", wavelength_units="nm")
        m = rng.choice([0, 1, 2], size=(size, size)).astype(np.uint8)
        if mask_nodata is not None:
            m[0] = mask_nodata
        with rasterio.open(root / "masks" / f"s{i}.tif", "w",
                           **dict(prof, count=1, dtype="uint8", nodata=mask_nodata)) as dst:
            dst.write(m[None])
    return root


def run_tiny(root: Path, tmp: Path):
    """One run of the stub backbone on ``root`` (one epoch); its RunResult."""
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.sweep import run_sweep

    cfg_path = tmp / "tiny.yaml"
    cfg_path.write_text(textwrap.dedent(f"""
    name: tiny
    data_root: {root}
    output: {tmp / "runs"}
    seeds: [0]
    tasks:
      - name: folder
        dataset: hsi_folder
        root: .
        recipe: study_segmentation
        recipe_overrides: {{max_epochs: 1, batch_size: 2, image_size: 16, lr: 0.001,
                            head: {{channels: 8, num_convs: 3, dropout: 0.0}}}}
    adapters:
      - {{name: select, input_mode: select, args: {{coverage: nearest}}}}
    backbones:
      - {{name: stub, pretrained: false}}
    trainer: {{accelerator: cpu}}
    """))
    cfg = load_config(cfg_path)
    [res] = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    return res


# -- item 9: a mask's nodata tag ---------------------------------------------------------------
def test_mask_nodata_tag_is_not_a_class(tmp_path):
    root = make_folder(tmp_path / "r", mask_nodata=255)
    ds = HSIFolder(root, "all")
    assert ds.class_codes == (0, 1, 2)  # 255 was scanned as a fourth class
    mask = ds[0]["mask"].numpy()
    assert (mask[0] == ds.ignore_index).all() and (mask[1:] >= 0).all()
    # declared classes: 255 is not an unknown code either (a run would stop on it)
    rep = check_dataset("hsi_folder", root, dataset_args={"class_codes": [0, 1, 2]})
    assert rep.unknown_codes == {} and "255" not in rep.class_histogram
    assert not [p for p in rep.problems if "255" in p]
    assert HSIFolder(root, "all", class_codes=[0, 1, 2])[0]["mask"][0].eq(-1).all()


# -- item 4: a mask on another grid ------------------------------------------------------------
def _move_mask(root: Path, name: str, *, crs: str | None = None, dx: float = 0.0) -> Path:
    path = root / "masks" / name
    with rasterio.open(path, "r+") as dst:
        if crs is not None:
            dst.crs = crs
        dst.transform = from_origin(ORIGIN[0] + dx, ORIGIN[1], 30, 30)
    return path


@pytest.mark.parametrize("move, says", [
    ({"crs": "EPSG:32632"}, "CRS EPSG:32632 where the image has EPSG:32633"),
    ({"dx": 50_000.0}, r"its origin is 50\.0 km \(1666\.7 pixels\) from the image's"),
], ids=["other-crs", "50km-off"])
def test_mask_off_its_image_grid_is_a_problem(tmp_path, capsys, move, says):
    root = make_folder(tmp_path / "r")
    mask = _move_mask(root, "s3.tif", **move)
    rep = check_dataset("hsi_folder", root)
    hits = [p for p in rep.problems if "not on the grid" in p]
    assert hits and exit_code(rep) == 1
    assert str(mask) in hits[0] and str(root / "images" / "s3.tif") in hits[0]
    assert re.search(says, hits[0]) and "gdalwarp" in hits[0]
    assert main(["data", "check", str(root), "--dataset", "hsi_folder"]) == 1
    assert "not on the grid of its image" in capsys.readouterr().out
    # half a pixel is not "off": rounding on export is fine
    _move_mask(root, "s3.tif", crs="EPSG:32633", dx=10.0)
    assert not [p for p in check_dataset("hsi_folder", root).problems if "grid" in p]


def test_run_refuses_a_mask_off_grid_before_training(tmp_path):
    root = make_folder(tmp_path / "r")
    _move_mask(root, "s0.tif", dx=50_000.0)
    res = run_tiny(root, tmp_path)
    assert res.status == "failed" and "not on the grid of its image" in res.error
    assert "s0.tif" in res.error and not list((tmp_path / "runs").rglob("*.ckpt"))

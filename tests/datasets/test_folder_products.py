"""A folder of mission products as downloaded, with label rasters on another grid (issue #20):
EnMAP L2A product folders and EMIT L2A granules are images of ``hsi_folder``; their labels are
reprojected onto each product's grid with nearest-neighbour resampling (and the report says so);
``init`` writes a config that passes ``run --dry-run``; ``data check`` reports the reprojection.
Fixtures are written here by the committed writers in ``tests/data/<product>/data.py``."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.datasets import HSIFolder
from hsiadapt.datasets.base import HSIDataError
from hsiadapt.spectral.products import open_product

DATA = Path(__file__).resolve().parents[1] / "data"


def _writer(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_fixture", DATA / name / "data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _labels(path: Path, codes: np.ndarray, crs: str, transform) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0],
                       count=1, dtype="uint8", crs=crs, transform=transform, nodata=255) as dst:
        dst.write(codes.astype(np.uint8)[None])


def _enmap_folder(root: Path, n: int = 3, writer=None) -> dict[str, np.ndarray]:
    """``n`` EnMAP L2A product folders (6 x 8 px, 30 m, EPSG:32633) in ``images/``, each with a
    label raster at 10 m on the same origin in ``labels/<product folder>.tif``; returns each
    product's expected labels on its grid (the 10 m pixel under each 30 m pixel's centre)."""
    mod = writer or _writer("enmap_l2a")
    mod.ROWS, mod.COLS = 6, 8
    rng = np.random.default_rng(3)
    expected = {}
    for k in range(n):
        mod.NAME = f"ENMAP01-____L2A-DT000000186{k}_20220724T104526Z_008_V010302_20230628T165614Z"
        mod.main(root / "images")
        fine = rng.integers(1, 4, size=(18, 24))
        fine[0, 0] = 255  # unlabelled (the mask's nodata)
        _labels(root / "labels" / f"{mod.NAME}.tif", fine, "EPSG:32633",
                from_origin(366015, 5809965, 10, 10))
        expected[mod.NAME] = fine[1::3, 1::3]
    return expected


def test_enmap_labels_at_another_pixel_size_are_resampled_onto_the_product(tmp_path):
    expected = _enmap_folder(tmp_path)
    ds = HSIFolder(tmp_path, "all", background_codes=[])
    assert ds.task == "segmentation" and len(ds) == 3 and len(ds.bands) == 224
    assert sum("reprojected onto the grid of" in a and "10 x 10 px" in a
               for a in ds.assumptions) == 3
    for i, name in enumerate(ds.files):
        got = ds.raw_labels(i)
        np.testing.assert_array_equal(np.ma.getdata(got), expected[name.split("/")[0]])
        assert not np.ma.getmaskarray(got).any()  # fine[0, 0] is under no 30 m centre
        sample = ds[i]
        assert tuple(sample["mask"].shape) == (6, 8) == tuple(sample["image"].shape[1:])
        prod = open_product(tmp_path / "images" / name)
        np.testing.assert_allclose(sample["image"][:, 1, 1].numpy()[prod.bands.valid],
                                   prod.read(1, 2)[prod.bands.valid, 0, 1] * 10000, rtol=1e-6)


def test_emit_labels_in_utm_are_reprojected_onto_the_geographic_grid(tmp_path):
    from rasterio.warp import transform as warp_points

    nc = next((DATA / "emit_l2a" / "root").glob("*.nc"))
    (tmp_path / "images").mkdir()
    shutil.copy(nc, tmp_path / "images" / nc.name)
    prod = open_product(nc)
    x0, dx, _, y0, _, dy = prod.transform
    # UTM 11N labels at 20 m covering the granule's footprint
    (ux,), (uy,) = warp_points("EPSG:4326", "EPSG:32611", [x0], [y0])
    codes = np.random.default_rng(5).integers(0, 5, size=(40, 40))
    ut = from_origin(ux - 100, uy + 100, 20, 20)
    _labels(tmp_path / "labels" / f"{nc.stem}.tif", codes, "EPSG:32611", ut)
    ds = HSIFolder(tmp_path, "all")
    [note] = [a for a in ds.assumptions if "reprojected" in a]
    assert "EPSG:32611" in note and "EPSG:4326" in note
    got = ds.raw_labels(0)
    assert got.shape == (prod.height, prod.width)
    # independently: the label pixel under each map cell's centre
    rows, cols = np.mgrid[0:prod.height, 0:prod.width]
    lon, lat = x0 + (cols.ravel() + 0.5) * dx, y0 + (rows.ravel() + 0.5) * dy
    ex, ey = warp_points("EPSG:4326", "EPSG:32611", lon, lat)
    r, c = ((ut.f - np.array(ey)) / 20).astype(int), ((np.array(ex) - ut.c) / 20).astype(int)
    want = codes[r, c].reshape(prod.height, prod.width)
    assert not np.ma.getmaskarray(got).any()
    np.testing.assert_array_equal(np.ma.getdata(got), want)


def test_labels_of_other_ground_are_refused(tmp_path):
    _enmap_folder(tmp_path, n=1)
    [lab] = (tmp_path / "labels").glob("*.tif")
    _labels(lab, np.ones((18, 24)), "EPSG:32633", from_origin(466015, 5809965, 10, 10))
    ds = HSIFolder(tmp_path, "all")
    with pytest.raises(HSIDataError, match="covers none of the product"):
        ds[0]


def test_init_check_and_dry_run_on_a_folder_of_enmap_products(tmp_path, capsys):
    _enmap_folder(tmp_path, n=4)
    cfg = tmp_path / "hsiadapt.yaml"
    assert main(["init", str(tmp_path), "--out", str(cfg)]) == 0
    text = cfg.read_text()
    assert "sensor: enmap (the files' 224 band centres" in text
    assert "the products' own scale factors" in text
    capsys.readouterr()
    assert main(["data", "check", str(tmp_path), "--dataset", "hsi_folder", "--json"]) in (0, 1)
    rep = json.loads(capsys.readouterr().out)
    assert rep["bands"] == 224 and rep["checked_samples"] == 4
    notes = [a for a in rep["assumptions"] if "reprojected onto the grid" in a]
    assert notes and all("nearest" in a for a in notes)  # the train split's products
    assert main(["run", str(cfg), "--dry-run"]) == 0


def test_run_trains_on_a_folder_of_enmap_products(tmp_path):
    _enmap_folder(tmp_path, n=4)
    cfg = tmp_path / "hsiadapt.yaml"
    assert main(["init", str(tmp_path), "--out", str(cfg)]) == 0
    cfg.write_text(cfg.read_text().replace("name: terramind_v1_tiny", "name: stub"))
    assert main(["run", str(cfg), "--max-epochs", "1"]) == 0
    metrics = [json.loads(p.read_text()) for p in tmp_path.rglob("metrics.json")]
    assert metrics and all(m["status"] == "finished" for m in metrics)


def test_data_check_shows_how_the_products_table_differs_from_the_builtin(tmp_path, capsys):
    """Products whose METADATA.XML centres are 5 nm off the built-in EnMAP table for 10 bands:
    data check says so with the per-band maximum; an unshifted folder gets no such lines."""
    _enmap_folder(tmp_path / "same", n=3)
    mod = _writer("enmap_l2a")
    rows = mod.table()
    rows[40:50] = [(c + 5.0, f) for c, f in rows[40:50]]
    mod.table = lambda: rows
    _enmap_folder(tmp_path / "shifted", n=3, writer=mod)
    for name, want in (("same", 0), ("shifted", 1)):
        assert main(["data", "check", str(tmp_path / name), "--dataset", "hsi_folder",
                     "--json"]) in (0, 1)
        rep = json.loads(capsys.readouterr().out)
        assert bool(rep["band_table_diff"]) == bool(want)
    head = rep["band_table_diff"][0]
    assert "centres differ by up to 5.00 nm (band 40" in head and "10 centres" in head
    assert main(["data", "check", str(tmp_path / "shifted"), "--dataset", "hsi_folder"]) in (0, 1)
    assert "band table vs the built-in sensor's:" in capsys.readouterr().out


@pytest.mark.parametrize("kind, crs, origin", [
    ("prisma_l2d", "EPSG:32632", (500000, 5040000)),  # UL corner centre 500015, 5039985 - 15 m
    ("desis_l2a", "EPSG:32617", (500000, 4000020)),
])
def test_prisma_and_desis_folders_take_labels_at_another_pixel_size(tmp_path, kind, crs, origin):
    mod = _writer(kind)
    mod.ROWS, mod.COLS = 6, 8
    rng = np.random.default_rng(9)
    expected = {}
    for k in range(2):
        if kind == "prisma_l2d":
            mod.NAME = f"PRS_L2D_STD_2020062710235{k}_20200627102402_0001.he5"
            stem = mod.NAME[:-4]
        else:
            mod.NAME = f"DESIS-HSI-L2A-DT048353172{k}_001-20200804T234520-V0210"
            stem = mod.NAME
        mod.main(tmp_path / "images")
        fine = rng.integers(1, 5, size=(18, 24))
        _labels(tmp_path / "labels" / f"{stem}.tif", fine, crs, from_origin(*origin, 10, 10))
        expected[stem] = fine[1::3, 1::3]
    ds = HSIFolder(tmp_path, "all")
    assert len(ds) == 2 and sum("reprojected onto the grid" in a for a in ds.assumptions) == 2
    for i, name in enumerate(ds.files):
        stem = name.split("/")[0] if "/" in name else Path(name).stem
        np.testing.assert_array_equal(np.ma.getdata(ds.raw_labels(i)), expected[stem])
        assert tuple(ds[i]["mask"].shape) == (6, 8)

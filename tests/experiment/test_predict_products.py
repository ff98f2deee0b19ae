"""predict on a mission product as downloaded (issue #20): a run trained on chips with the EMIT
band table predicts an EMIT L2A .nc directly - band table from the file, orthorectified through
its GLT, the map in the product's CRS and geotransform, nodata where the product has none."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.spectral.io import load_bandset
from hsiadapt.spectral.products import read_product
from tests.tiny_run import tiny_run_dir

NC = next((Path(__file__).resolve().parents[1] / "data" / "emit_l2a" / "root").glob("*.nc"))


def _chips(root: Path) -> None:
    """Five 8 x 8 chips in the EMIT band table (GDAL tags), reflectance x 10000, with masks and split lists."""
    bands = load_bandset(NC)
    rng = np.random.default_rng(4)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    prof = dict(driver="GTiff", width=8, height=8, count=len(bands), dtype="float32",
                crs="EPSG:4326", transform=from_origin(-117.3, 35.8, 5e-4, 5e-4), nodata=-9999)
    for k in range(5):
        img = rng.uniform(200, 6000, size=(len(bands), 8, 8)).astype(np.float32)
        img[~bands.valid] = -9999
        with rasterio.open(root / "images" / f"c{k}.tif", "w", **prof) as dst:
            dst.write(img)
            for b, band in enumerate(bands):
                dst.update_tags(b + 1, wavelength=f"{band.center_nm:.7f}",
                                fwhm=f"{band.fwhm_nm:.6f}", bbl="1" if band.valid else "0")
        with rasterio.open(root / "masks" / f"c{k}.tif", "w",
                           **dict(prof, count=1, dtype="uint8", nodata=None)) as dst:
            dst.write(rng.integers(0, 3, size=(1, 8, 8)).astype(np.uint8))
    (root / "splits").mkdir()
    for split, names in (("train", "c0 c1 c2"), ("val", "c3"), ("test", "c4")):
        (root / "splits" / f"{split}.txt").write_text("".join(f"{n}.tif\n" for n in names.split()))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("predict_products")
    _chips(tmp / "chips")
    return tiny_run_dir(tmp / "chips", tmp / "runs", task="emit_chips", name="emit",
                        dataset_args={"class_names": ["a", "b", "c"]})


def test_predict_an_emit_granule(run_dir, tmp_path):
    out = tmp_path / "map.tif"
    assert main(["predict", str(run_dir), str(NC), "--out", str(out)]) == 0
    cube = read_product(NC)
    no_data = ~np.isfinite(cube.data[cube.bands.valid]).all(axis=0)
    with rasterio.open(out) as src:
        labels, nodata = src.read(1), src.nodata
        assert src.crs == rasterio.crs.CRS.from_wkt(cube.crs)
        assert src.transform.to_gdal() == cube.transform
    assert labels.shape == cube.data.shape[1:]  # the orthorectified grid, not the swath
    assert no_data.any() and (labels[no_data] == nodata).all()
    assert set(np.unique(labels[~no_data])) <= {0, 1, 2}
    assert out.with_suffix(".qml").exists()


def _emit_granule(root: Path) -> Path:
    """An EMIT granule in the fixture's layout, 30 x 25 swath pixels on a 31 x 36 map grid."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "emit_fixture", Path(__file__).resolve().parents[1] / "data" / "emit_l2a" / "data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.DOWN, mod.CROSS, mod.OY, mod.OX = 30, 25, 31, 36
    mod.main(root)
    return root / mod.NAME


def _geotiff_like(nc: Path, path: Path) -> Path:
    """The granule's orthorectified cube as a GeoTIFF (reflectance x 10000, EMIT band tags)."""
    cube = read_product(nc)
    bands = load_bandset(nc)
    data = np.where(np.isfinite(cube.data), cube.data * 10000, -9999).astype(np.float32)
    prof = dict(driver="GTiff", width=data.shape[2], height=data.shape[1], count=len(bands),
                dtype="float32", crs="EPSG:4326", transform=from_origin(-117.3, 35.8, 5e-4, 5e-4),
                nodata=-9999)
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(data)
        for b, band in enumerate(bands):
            dst.update_tags(b + 1, wavelength=f"{band.center_nm:.7f}", fwhm=f"{band.fwhm_nm:.6f}")
    return path


@pytest.mark.parametrize("kind", ["product", "geotiff"])
def test_predict_in_strips_equals_the_whole_scene_in_memory(run_dir, tmp_path, monkeypatch, kind):
    """The map predict writes, reading and writing strip by strip, equals the map of the whole
    scene adapted and predicted in memory (the old path: read whole, prepare, class_map)."""
    import torch

    from hsiadapt.datasets.product import read_product_image
    from hsiadapt.datasets.raster import read_image
    from hsiadapt.datasets.scene import SceneStrips
    from hsiadapt.experiment import predict as predict_mod
    from hsiadapt.experiment.inference import class_map, input_wavelengths, prepare_image

    nc = _emit_granule(tmp_path / "granule")
    scene = nc if kind == "product" else _geotiff_like(nc, tmp_path / "scene.tif")
    reads: list[tuple[int, int]] = []
    orig = SceneStrips.read
    monkeypatch.setattr(SceneStrips, "read", lambda self, r0, r1: (reads.append((r0, r1)),
                                                                     orig(self, r0, r1))[1])
    monkeypatch.setattr(predict_mod, "SCALE_ROWS", 5)
    out = predict_mod.predict_scene(run_dir, scene, tmp_path / "map.tif", tile=8, batch_size=3)

    run = predict_mod.load_run_model(run_dir)
    bands = load_bandset(scene)
    if kind == "product":
        x, valid, _ = read_product_image(nc, len(bands), valid_bands=bands.valid)
    else:
        x, valid = read_image(scene, len(bands), valid_bands=bands.valid)
    vt = torch.from_numpy(valid)
    img = prepare_image(torch.from_numpy(x), vt, run.adapter, run.normalize)
    ordinal = class_map(run.model, img, vt, len(run.classes), tile=8, size=16, batch_size=3,
                        wavelengths=input_wavelengths(run.adapter, bands))
    with rasterio.open(out) as src:
        got, nodata = src.read(1), src.nodata
    assert got.shape == valid.shape == (31, 36)
    assert (got[~valid] == nodata).all() and (~valid).any()
    np.testing.assert_array_equal(got[valid], ordinal[valid])  # codes 0-2 are the ordinals
    assert len(reads) > 8 and max(r1 - r0 for r0, r1 in reads) <= 8  # strips, never the scene

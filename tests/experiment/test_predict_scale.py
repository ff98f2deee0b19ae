"""predict on the scale a run trained on: a run trained on float 0-1 files (reflectance_scale 1.0)
predicts a float 0-1 scene with --reflectance-scale 1.0 (or --allow-scale-mismatch), its refusal
names predict's own flags, and a written GDAL scale of 1.0 is a declaration. Each test fails on
the code before predict had --reflectance-scale."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.datasets import HSIFolder
from tests.tiny_run import tiny_run_dir

N = 30
WL = np.linspace(400, 2450, N)


def _write(path: Path, img: np.ndarray, *, scale_one: bool = False) -> Path:
    prof = dict(driver="GTiff", width=img.shape[2], height=img.shape[1], count=N,
                dtype="float32", crs="EPSG:32633", transform=from_origin(0, 0, 30, 30))
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(img.astype(np.float32))
        if scale_one:  # GDAL writes a scale of 1 only beside an offset; 1e-12 changes nothing
            dst.scales, dst.offsets = [1.0] * N, [1e-12] * N
        for b in range(N):
            dst.update_tags(b + 1, wavelength=f"{WL[b]:.1f}", wavelength_units="nm")
    return path


def _reflectance(rng, size=8):
    return 0.1 + 0.3 * rng.random((N, size, size))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("float01")
    rng = np.random.default_rng(0)
    (root / "data/images").mkdir(parents=True)
    (root / "data/masks").mkdir()
    for i in range(6):
        _write(root / "data/images" / f"s{i}.tif", _reflectance(rng))
        with rasterio.open(root / "data/masks" / f"s{i}.tif", "w", driver="GTiff", width=8,
                           height=8, count=1, dtype="uint8", crs="EPSG:32633",
                           transform=from_origin(0, 0, 30, 30)) as dst:
            dst.write(rng.integers(1, 3, (1, 8, 8)).astype(np.uint8))
    return tiny_run_dir(root / "data", root / "runs", task="f01", name="f01",
                        dataset_args={"reflectance_scale": 1.0,
                                      "split_fractions": [0.5, 0.17, 0.33]})


def _predict(run_dir, scene, out, *flags):
    return main(["predict", str(run_dir), str(scene), "--out", str(out), *flags])


def test_float01_scene_refused_with_predicts_own_flags(run_dir, tmp_path, capsys):
    scene = _write(tmp_path / "scene.tif", _reflectance(np.random.default_rng(5), 12))
    assert _predict(run_dir, scene, tmp_path / "m.tif") == 2
    err = capsys.readouterr().err
    assert "--reflectance-scale" in err and "--arg" not in err
    assert "trained with reflectance_scale 1" in err and "--allow-scale-mismatch" in err
    assert not (tmp_path / "m.tif").exists()


@pytest.mark.parametrize("flags", [["--reflectance-scale", "1.0"], ["--allow-scale-mismatch"]])
def test_float01_scene_predicted_with_the_flag_it_names(run_dir, tmp_path, flags):
    scene = _write(tmp_path / "scene.tif", _reflectance(np.random.default_rng(5), 12))
    assert _predict(run_dir, scene, tmp_path / "m.tif", *flags) == 0
    with rasterio.open(tmp_path / "m.tif") as src:
        assert src.read(1).shape == (12, 12) and set(np.unique(src.read(1))) <= {1, 2}


def test_a_written_scale_of_one_is_a_declaration(run_dir, tmp_path):
    rng = np.random.default_rng(5)
    scene = _write(tmp_path / "scene.tif", _reflectance(rng, 12), scale_one=True)
    assert _predict(run_dir, scene, tmp_path / "m.tif") == 0  # no flag needed
    # the loaders read it as reflectance 0-1 too (x 10000 on the sample scale), not refused
    (tmp_path / "f/images").mkdir(parents=True)
    _write(tmp_path / "f/images/a.tif", _reflectance(rng), scale_one=True)
    _write(tmp_path / "f/images/b.tif", _reflectance(rng), scale_one=True)
    mean = float(HSIFolder(tmp_path / "f", "all")[0]["image"].mean())
    assert 1000 < mean < 4000

"""Radiance is told from reflectance on the real cubes: the O2-A band, the solar-irradiance shape
and values above 100 % reflectance under the declared scale are data check problems (exit 1), and
every correct real reflectance cube stays quiet. The solar-shape and above-100 % evidence fail on
the code before hsiadapt.data.at_sensor (it had only the O2-A band)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.data.check import check_dataset, exit_code
from hsiadapt.spectral.io import load_bandset, read_geotiff_bands
from tests.spectral.conftest import extdata  # noqa: F401  (fixture)
from tests.spectral.test_sanity import CUBES

RADIANCE = [k for k in CUBES if "radiance" in k]
REFLECTANCE = [k for k in CUBES if k not in RADIANCE]
#: cubes stored as float reflectance 0-1 (their reflectance_scale), the others as x 10000
FLOAT01 = {"EMIT reflectance", "CASI MUUFL"}


def _bands(path: Path):
    # the topoflux header keeps its wavelengths in band names; GDAL's .aux.xml has them
    return read_geotiff_bands(path, order="any") if "topoflux" in str(path) else None


def _folder(ext: Path, name: str, tmp: Path) -> tuple[Path, dict]:
    """A one-image hsi_folder holding the real cube (its files linked, unchanged)."""
    path = ext / CUBES[name][0]
    if not path.is_file():
        pytest.skip(f"{path} not present")
    (tmp / "images").mkdir(parents=True)
    stem = path.name.split(".")[0]
    for f in path.parent.iterdir():
        if f.is_file() and f.name.startswith(stem):
            (tmp / "images" / f.name).symlink_to(f)
    args: dict = {"split_fractions": [0.0, 0.0, 1.0]}
    if name in FLOAT01:
        args["reflectance_scale"] = 1.0
    if _bands(path) is not None:
        args["wavelengths"] = _bands(path)
    return tmp, args


def _scale_problems(rep) -> list[str]:
    # a one-image folder has no train / val split: those lines are not what is tested here
    return [p for p in rep.problems if not p.startswith("split")]


@pytest.mark.parametrize("name", REFLECTANCE)
def test_real_reflectance_cubes_stay_quiet(extdata, tmp_path, name):  # noqa: F811
    root, args = _folder(extdata, name, tmp_path)
    rep = check_dataset("hsi_folder", root, dataset_args=args)
    assert rep.checked_samples == 1 and _scale_problems(rep) == [], name


@pytest.mark.parametrize("name", RADIANCE)
def test_real_radiance_cubes_are_problems(extdata, tmp_path, name):  # noqa: F811
    root, args = _folder(extdata, name, tmp_path)
    rep = check_dataset("hsi_folder", root, dataset_args=args)
    [problem] = [p for p in _scale_problems(rep) if "at-sensor values" in p]
    assert "surface reflectance first" in problem and exit_code(rep) == 1
    # the solar shape is judged where the table reaches the SWIR (not PRISM's VNIR)
    assert ("falls like sunlight" in problem) == (name != "PRISM radiance"), problem


def _integer_copy(ext: Path, name: str, root: Path, factor: float) -> None:
    """The real cube written as a uint16 GeoTIFF of value x factor, with its wavelengths, no
    scale tag: how radiance products and reflectance x 10000 are stored."""
    path = ext / CUBES[name][0]
    if not path.is_file():
        pytest.skip(f"{path} not present")
    bands = load_bandset(path, order="any")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(path) as src:
            a = src.read().astype(np.float64)
    a = np.clip(np.round(a * factor), 0, 65534).astype(np.uint16)
    (root / "images").mkdir(parents=True)
    prof = dict(driver="GTiff", width=a.shape[2], height=a.shape[1], count=a.shape[0],
                dtype="uint16", crs="EPSG:32633", transform=from_origin(0, 0, 5, 5))
    with rasterio.open(root / "images/scene.tif", "w", **prof) as dst:
        dst.write(a)
        for i, c in enumerate(bands.centers):
            dst.update_tags(i + 1, wavelength=f"{c:.2f}", wavelength_units="nm")


def test_radiance_stored_as_integers_reads_above_100_percent(extdata, tmp_path):  # noqa: F811
    """AVIRIS-3 radiance x 1000 as uint16 (as Houston's CASI radiance came): read as reflectance
    x 10000 it is well above 100 % - said, with the solar shape, as radiance."""
    _integer_copy(extdata, "AVIRIS-3 radiance", tmp_path, 1000.0)
    rep = check_dataset("hsi_folder", tmp_path, dataset_args={"split_fractions": [0, 0, 1.0]})
    [problem] = [p for p in _scale_problems(rep) if "100% reflectance" in p]
    assert "pixels exceed 100% reflectance under the declared scale" in problem
    assert "at-sensor values" in problem and exit_code(rep) == 1


def test_a_wrong_declared_scale_of_real_reflectance_is_a_problem(extdata, tmp_path):  # noqa: F811
    """Cubert reflectance x 10000 declared 1.8 times too bright: no radiance evidence, the scale is
    named; with its right scale (the default) the same file is quiet."""
    root, args = _folder(extdata, "Cubert UHD 285", tmp_path / "c")
    assert _scale_problems(check_dataset("hsi_folder", root, dataset_args=args)) == []
    rep = check_dataset("hsi_folder", root, dataset_args={**args, "reflectance_scale": 1.8e-4})
    [problem] = [p for p in _scale_problems(rep) if "100% reflectance" in p]
    assert "declared scale does not give reflectance" in problem and "reflectance_scale" in problem
    assert "at-sensor" not in problem


def test_real_enmap_and_hyperview_stay_quiet(realdata, tmp_path):
    rep = check_dataset("hsi_folder", realdata / "enmap_potsdam_tiles",
                        dataset_args={"mask_dir": "labels", "background_codes": [0]})
    assert rep.checked_samples == 18 and rep.problems == [] and exit_code(rep) == 0
    src = realdata / "hyperview_samples"
    (tmp_path / "train").mkdir()
    for i in range(2, 10):
        (tmp_path / "train" / f"{i}.npz").symlink_to(src / f"{i}.npz")
    shutil.copy(src / "train_gt.csv", tmp_path / "train_gt.csv")
    rep = check_dataset("hyperview1", tmp_path, dataset_args={"val_fraction": 0.0})
    assert rep.checked_samples == 8
    assert not [p for p in rep.problems if "reflectance" in p or "radiance" in p], rep.problems

"""A folder whose files disagree with each other or hold impossible values is noticed (issue 22):
a mask on another grid, flipped bytes in a chip, a mask's nodata tag. Each test here fails on
the code before the fix."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.data.check import check_dataset, exit_code
from hsiadapt.datasets import HSIDataError, HSIFolder
from tests.tiny_run import tiny_run

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
    res = tiny_run(root, tmp_path / "runs")
    assert res.status == "failed" and "not on the grid of its image" in res.error
    assert "s0.tif" in res.error and not list((tmp_path / "runs").rglob("*.ckpt"))


# -- item 6: bytes flipped inside a chip -------------------------------------------------------
def flip_bit(path: Path, byte: int, mask: int) -> float:
    """Flip bits ``mask`` of byte ``byte`` of the first pixel's first band, in the file's
    bytes (the TIFF stays valid); returns the value the file now holds there."""
    with rasterio.open(path) as src:
        offset = int(src.get_tag_item("BLOCK_OFFSET_0_0", "TIFF", bidx=1))
        assert src.compression is None
    data = bytearray(path.read_bytes())
    data[offset + byte] ^= mask
    path.write_bytes(bytes(data))
    with rasterio.open(path) as src:
        return float(src.read(1)[0, 0])


def test_flipped_sign_bit_in_int16_chip_is_a_problem_naming_file_and_band(tmp_path, capsys):
    root = make_folder(tmp_path / "r")
    chip = root / "images" / "s2.tif"
    assert flip_bit(chip, 1, 0x80) < -25000  # little-endian int16: the high byte's sign bit
    rep = check_dataset("hsi_folder", root)
    hits = [p for p in rep.problems if str(chip) in p]
    assert len(hits) == 1 and exit_code(rep) == 1
    assert re.search(r"band 0 \(0-based\) holds -\d+ at row 0, column 0 - reflectance -[\d.]+, "
                     r"outside anything a surface reflects.*damaged", hits[0])
    assert main(["data", "check", str(root), "--dataset", "hsi_folder"]) == 1
    assert "s2.tif: band 0 (0-based)" in capsys.readouterr().out


def test_flipped_exponent_bit_in_float_chip_is_refused(tmp_path):
    root = make_folder(tmp_path / "r", dtype="float32")
    chip = root / "images" / "s5.tif"
    assert flip_bit(chip, 3, 0x20) > 1e20  # a float32 exponent bit: x 2**64
    ds = HSIFolder(root, "all")
    with pytest.raises(HSIDataError, match=r"s5\.tif: band 0 \(0-based\) holds [\d.]+e\+2\d "
                       r"at row 0, column 0"):
        ds[ds.files.index("s5.tif")]
    assert ds[0]["image"].shape == (N, 6, 6)  # the others read as before


def test_nan_in_one_band_of_a_pixel_is_damage_but_nodata_pixels_are_not(tmp_path):
    root = make_folder(tmp_path / "r", dtype="float32")
    with rasterio.open(root / "images" / "s1.tif", "r+") as dst:
        a = dst.read()
        a[:, 4, 4] = np.nan  # a nodata pixel (every band): left out, not a problem
        dst.write(a)
    ds = HSIFolder(root, "all")
    assert not ds[1]["valid"][4, 4]
    with rasterio.open(root / "images" / "s1.tif", "r+") as dst:
        a[7, 2, 3] = np.inf  # one value of a pixel: damage
        dst.write(a)
    with pytest.raises(HSIDataError, match=r"s1\.tif: band 7 \(0-based\) holds inf at row 2, "
                       r"column 3 \(1 non-finite value in pixels whose other bands"):
        HSIFolder(root, "all")[1]


def test_run_refuses_a_damaged_chip(tmp_path):
    root = make_folder(tmp_path / "r")
    flip_bit(root / "images" / "s0.tif", 1, 0x80)
    res = tiny_run(root, tmp_path / "runs")
    assert res.status == "failed" and "s0.tif: band 0 (0-based)" in res.error

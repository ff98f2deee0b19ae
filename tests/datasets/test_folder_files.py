"""A new user's folder: ENVI pairs named every way, one image with another band table, a header
without its data - each works, or fails naming the file (files written in the real formats)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hsiadapt.data.check import check_dataset, exit_code
from hsiadapt.datasets import HSIDataError, HSIFolder
from tests.spectral.conftest import extdata  # noqa: F401  (fixture)
from tests.spectral.envi_files import write_image

WL = [float(w) for w in np.linspace(420, 2400, 20)]


def _envi_folder(root: Path, names: list[str], *, img_hdr: bool = False) -> Path:
    """ENVI cubes: ``scene`` + ``scene.hdr`` (extensionless), or ``scene.img`` +
    ``scene.img.hdr``; masks as GeoTIFFs named ``<scene>.tif``."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for n in names:
        cube = (1000 + 500 * rng.random((6, 5, len(WL)))).astype("<f4")
        data = root / "images" / (n + ".img" if img_hdr else n)
        write_image(data, cube, WL, header_path=data.parent / (data.name + ".hdr"))
        prof = dict(driver="GTiff", width=5, height=6, count=1, dtype="uint8", crs="EPSG:32633",
                    transform=rasterio.transform.from_origin(0, 60, 10, 10))
        with rasterio.open(root / "masks" / f"{n}.tif", "w", **prof) as dst:
            dst.write(rng.integers(1, 4, (1, 6, 5)).astype("uint8"))
    return root


@pytest.mark.parametrize("img_hdr", [False, True], ids=["scene+scene.hdr", "scene.img.hdr"])
def test_envi_pairs_without_extension_are_found(tmp_path, img_hdr):
    root = _envi_folder(tmp_path / "r", [f"flight_{i}" for i in range(4)], img_hdr=img_hdr)
    ds = HSIFolder(root, "all")
    suffix = ".img" if img_hdr else ""
    assert ds.files == [f"flight_{i}{suffix}" for i in range(4)]
    np.testing.assert_allclose(ds.bands.centers, WL, rtol=1e-5)  # from the ENVI header
    s = ds[0]
    assert s["image"].shape == (20, 6, 5) and s["mask"].shape == (6, 5)
    assert ds.class_codes == (1, 2, 3)


def test_split_list_may_name_the_header(tmp_path):
    root = _envi_folder(tmp_path / "r", ["a", "b", "c"])
    (root / "splits").mkdir()
    for split, name in (("train", "a.hdr"), ("val", "b"), ("test", "c.hdr")):
        (root / "splits" / f"{split}.txt").write_text(name + "\n")
    assert [HSIFolder(root, s).files for s in ("train", "val", "test")] == [["a"], ["b"], ["c"]]


def test_header_without_data_names_the_header(tmp_path):
    root = _envi_folder(tmp_path / "r", ["a", "b"])
    (root / "images" / "b").unlink()
    with pytest.raises(HSIDataError, match=r"b\.hdr: no ENVI data file beside this header"):
        HSIFolder(root, "all")


def _odd_geotiff_folder(tmp_path: Path, data_dir: Path) -> Path:
    """The committed 30-band GeoTIFF folder with scene_0.tif (first in order) cut to 29 bands."""
    root = tmp_path / "odd"
    shutil.copytree(data_dir / "hsi_folder/root", root)
    f = root / "images/scene_0.tif"
    with rasterio.open(f) as src:
        prof, a = src.profile, src.read()
        tags = [src.tags(i + 1) for i in range(src.count)]
    prof.update(count=29)
    with rasterio.open(f, "w", **prof) as dst:
        dst.write(a[:29])
        for i in range(29):
            dst.update_tags(i + 1, **tags[i])
    return root


def test_odd_band_count_majority_table_and_named_file(tmp_path, data_dir):
    root = _odd_geotiff_folder(tmp_path, data_dir)
    ds = HSIFolder(root, "train")
    # the band table is the majority's (30), not the first file's (29); the odd one is left out
    assert len(ds.bands) == 30 and "scene_0.tif" not in ds.files
    assert list(ds.odd_files) == ["scene_0.tif"] and "29 bands" in ds.odd_files["scene_0.tif"]
    assert ds[0]["image"].shape[0] == 30
    rep = check_dataset("hsi_folder", root)  # used to crash with a numpy broadcast error
    assert exit_code(rep) == 1
    [p] = [p for p in rep.problems if "scene_0.tif" in p]
    assert "29 bands where 4 of 5 images have 30" in p and "30 bands, 400.0-2450.0 nm" in p


def test_odd_band_centres_named(tmp_path):
    root = _envi_folder(tmp_path / "r", ["a", "b", "c"])
    hdr = root / "images" / "c.hdr"
    hdr.write_text(hdr.read_text().replace("wavelength = {\n 420,", "wavelength = {\n 425,"))
    ds = HSIFolder(root, "all")
    assert ds.files == ["a", "b"]
    assert "differ from the other images' by up to 5.0 nm (band 0" in ds.odd_files["c"]


def test_real_avirisng_extensionless_cube_in_a_folder(extdata, tmp_path):  # noqa: F811
    """AVIRIS-NG's radiance chunk: ``ang..._rdn_7000-7010`` + ``.hdr``, no extension."""
    src = extdata / "isofit_avirisng_small_chunk"
    (tmp_path / "r/images").mkdir(parents=True)
    for n in ("ang20170323t202244_rdn_7000-7010", "ang20170323t202244_rdn_7000-7010.hdr"):
        (tmp_path / "r/images" / n).symlink_to(src / n)
    ds = HSIFolder(tmp_path / "r", "all", reflectance_scale=1.0)
    assert ds.files == ["ang20170323t202244_rdn_7000-7010"] and len(ds.bands) == 425
    assert ds[0]["image"].shape == (425, 10, 10)


def test_spectral_library_in_the_image_folder_is_named(tmp_path):
    """An ENVI spectral library (real layout: bands = 1, wavelengths along samples) among the
    images is left out with a reason, not read as a 'corrupt' raster."""
    from tests.spectral.envi_files import write_library

    root = _envi_folder(tmp_path / "r", ["a", "b"])
    write_library(root / "images/lib.sli", np.random.default_rng(0).random((3, 20)),
                  [w / 1000 for w in WL], ["grass", "soil", "roof"])
    ds = HSIFolder(root, "all")
    assert ds.files == ["a", "b"] and "an ENVI spectral library" in ds.odd_files["lib.sli"]
    rep = check_dataset("hsi_folder", root)
    assert any("lib.sli: an ENVI spectral library" in p for p in rep.problems)
    (root / "images/a").unlink()
    (root / "images/a.hdr").unlink()
    (root / "images/b").unlink()
    (root / "images/b.hdr").unlink()
    with pytest.raises(HSIDataError, match="lib.sli: an ENVI spectral library"):
        HSIFolder(root, "all")


def test_real_spectral_library_in_the_image_folder(extdata, tmp_path):  # noqa: F811
    (tmp_path / "r/images").mkdir(parents=True)
    for n in ("spectra.sli", "spectra.sli.hdr"):
        (tmp_path / "r/images" / n).symlink_to(extdata / "earthlib_speclib" / n)
    with pytest.raises(HSIDataError, match="spectra.sli: an ENVI spectral library"):
        HSIFolder(tmp_path / "r", "all")

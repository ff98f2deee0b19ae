"""Scale and labels are checked, never assumed: each test here fails on the code before the fix."""

import shutil

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.data.check import check_dataset
from hsiadapt.datasets import HSIDataError, HSIFolder

N = 30
WL = np.linspace(400, 2450, N)


def _folder(root, *, reflectance01: bool, mask_codes=(0, 1, 2), scale_tag=None):
    """A tiny folder of float GeoTIFFs with wavelength tags (no scale tag unless asked)."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    prof = dict(driver="GTiff", width=6, height=6, count=N, dtype="float32",
                crs="EPSG:32633", transform=from_origin(0, 0, 30, 30))
    for i in range(8):  # a seeded 70/15/15 split gives every split an image
        img = 0.1 + 0.3 * rng.random((N, 6, 6))
        if not reflectance01:
            img = np.round(img * 10000)
        with rasterio.open(root / "images" / f"s{i}.tif", "w", **prof) as dst:
            dst.write(img.astype(np.float32))
            if scale_tag is not None:
                dst.scales = [scale_tag] * N
            for b in range(N):
                dst.update_tags(b + 1, wavelength=f"{WL[b]:.1f}", wavelength_units="nm")
        m = rng.choice(mask_codes, size=(6, 6)).astype(np.uint8)
        with rasterio.open(root / "masks" / f"s{i}.tif", "w",
                           **dict(prof, count=1, dtype="uint8")) as dst:
            dst.write(m[None])
    return root


def test_float_reflectance_without_scale_tag_is_refused(tmp_path):
    root = _folder(tmp_path / "r", reflectance01=True)
    with pytest.raises(HSIDataError, match=r"look like reflectance in 0-1.*reflectance_scale"):
        HSIFolder(root, "all")[0]
    ds = HSIFolder(root, "all", reflectance_scale=1.0)  # said explicitly: read right
    assert 1000 < float(ds[0]["image"].mean()) < 4000


def test_dn_floats_and_tagged_files_still_read(tmp_path):
    dn = HSIFolder(_folder(tmp_path / "dn", reflectance01=True, scale_tag=1e-0 + 1e-9),
                   "all")
    # a scale tag (here ~1: reflectance) is honoured, nothing is refused
    assert float(dn[0]["image"].mean()) > 1000
    plain = HSIFolder(_folder(tmp_path / "plain", reflectance01=False), "all")
    assert 1000 < float(plain[0]["image"].mean()) < 4000


def test_data_check_flags_reflectance_read_as_dn_and_exits_1(tmp_path, capsys):
    root = _folder(tmp_path / "r", reflectance01=True)
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "background_codes=[0]"])
    out = capsys.readouterr().out
    assert rc == 1 and "look like reflectance in 0-1" in out
    ok = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "background_codes=[0]", "--arg", "reflectance_scale=1.0"])
    out = capsys.readouterr().out
    assert ok == 0 and "reflectance x 10000 (DN, as the loaders expect)" in out


def test_data_check_flags_statistics_in_other_units(tmp_path, capsys):
    root = _folder(tmp_path / "dn", reflectance01=False)
    stats = tmp_path / "stats"
    stats.mkdir()
    np.save(stats / "mu.npy", np.full(N, 0.25))  # reflectance units, data are DN
    np.save(stats / "sigma.npy", np.full(N, 0.05))
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "background_codes=[0]", "--statistics", str(stats)])
    assert rc == 1 and "different units" in capsys.readouterr().out


def test_unknown_mask_codes_reported_and_exit_1(tmp_path, capsys):
    root = _folder(tmp_path / "m", reflectance01=False, mask_codes=(0, 1, 2, 7))
    rep = check_dataset("hsi_folder", root, dataset_args={"class_codes": [1, 2],
                                                           "background_codes": [0]})
    assert set(rep.unknown_codes) == {7}
    assert any("codes [7]" in p and "unknown_labels" in p for p in rep.problems)
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "class_codes=[1, 2]", "--arg", "background_codes=[0]"])
    assert rc == 1
    capsys.readouterr()
    # an explicit policy is followed and recorded, not a problem
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "class_codes=[1, 2]", "--arg", "background_codes=[0]", "--arg",
               "unknown_labels=ignore"])
    out = capsys.readouterr().out
    assert rc == 0 and "policy unknown_labels=ignore" in out


def test_zero_based_masks_keep_class_zero(data_dir, tmp_path):
    # a 0-based mask: code 0 is a real class and must not vanish into "background"
    root = tmp_path / "f"
    shutil.copytree(data_dir / "hsi_folder/root", root)
    ds = HSIFolder(root, "train")
    assert 0 in ds.class_codes
    m = ds[0]["mask"].numpy()
    with rasterio.open(root / "masks" / ds.files[0]) as src:
        raw = src.read(1)
    assert (m[(raw == 0) & (m != -1)] == ds.class_codes.index(0)).all()
    assert ((raw == 0) & (m == 0)).any()

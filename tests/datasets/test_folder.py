import functools
import operator
import shutil

import numpy as np
import pytest
import torch

from hsiadapt.adapters import build_adapter
from hsiadapt.datasets import DatasetNotFoundError, HSIDataError, HSIFolder

POTSDAM_CLASSES = ["roof", "pavement", "low vegetation", "tree", "soil", "water"]


class TestHSIFolder:
    def test_geotiff_folder(self, data_dir):
        root = data_dir / "hsi_folder/root"
        ds = HSIFolder(root, "train")
        assert [len(HSIFolder(root, s)) for s in ("train", "val", "test")] == [3, 1, 1]
        s = ds[0]
        assert set(s) == {"image", "valid", "mask", "wavelength", "fwhm"}
        assert s["image"].shape == (30, 6, 6) and s["image"].dtype == torch.float32
        np.testing.assert_allclose(s["wavelength"].numpy(), np.linspace(400, 2450, 30), rtol=1e-4)
        assert ds.bands.valid.sum() == 29  # bbl flag read from the file
        # scanned; nothing is background unless declared, so 0 is a class (and said so)
        assert ds.class_codes == (0, 1, 2, 5) and "no code is background" in ds.assumptions[0]
        assert s["mask"].dtype == torch.int64 and set(s["mask"].unique().tolist()) <= {-1, 0, 1, 2, 3}
        with_bg = HSIFolder(root, "train", background_codes=(0,))
        assert with_bg.class_codes == (1, 2, 5) and "except background [0]" in with_bg.assumptions[0]
        assert not s["valid"][0, 0] and s["mask"][0, 0] == -1  # nodata pixel
        assert (s["image"][12] == 0).all()  # bad band zeroed
        # scale tag 1e-4: file values are reflectance x 1e4 already
        assert 2000 <= s["image"][0, 1, 1] <= 2500

    def test_envi_folder_seeded_split(self, data_dir):
        root = data_dir / "hsi_folder/root_envi"
        parts = [HSIFolder(root, s, split_fractions=(0.5, 0.25, 0.25), seed=1).files
                 for s in ("train", "val", "test")]
        assert sorted(functools.reduce(operator.iadd, parts, [])) == [f"flight_{i}.img" for i in range(4)]
        ds = HSIFolder(root, "train", split_fractions=(0.5, 0.25, 0.25), seed=1)
        assert ds.task == "unlabelled" and ds.bands.has_fwhm
        assert ds[0]["image"].shape == (30, 6, 6)

    def test_missing_and_inconsistent(self, data_dir, tmp_path):
        with pytest.raises(DatasetNotFoundError, match="image folder 'images/'"):
            HSIFolder(tmp_path)
        root = tmp_path / "r"
        shutil.copytree(data_dir / "hsi_folder/root", root)
        (root / "splits/val.txt").write_text("nope.tif\n")
        with pytest.raises(HSIDataError, match="lists missing images"):
            HSIFolder(root, "val")
        with pytest.raises(HSIDataError, match="none of the 5 images .* matches the band table "
                           r"given \(202 bands\); scene_0.tif: 30 bands"):
            HSIFolder(root, "train", wavelengths="enmap_spectralearth")

    def test_label_csv_regression(self, data_dir, tmp_path):
        root = tmp_path / "r"
        shutil.copytree(data_dir / "hsi_folder/root", root)
        (root / "labels.csv").write_text("file,lai,chl\n" + "".join(
            f"scene_{i}.tif,{i}.5,{10 * i}\n" for i in range(5)))
        ds = HSIFolder(root, "train", labels_csv="labels.csv", mask_dir=None)
        assert ds.task == "regression" and ds.targets == ("lai", "chl")
        assert ds[0]["label"].tolist() == [0.5, 0.0]

    def test_plot(self, data_dir):
        ds = HSIFolder(data_dir / "hsi_folder/root", "train")
        assert ds.plot(ds[0]) is not None


def test_real_potsdam_tiles(realdata):
    """The 18 real EnMAP Potsdam tiles load through hsi_folder; a batch goes through srf."""
    root = realdata / "enmap_potsdam_tiles"
    splits = {s: HSIFolder(root, s, mask_dir="labels", class_names=POTSDAM_CLASSES,
                           background_codes=(0,))
              for s in ("train", "val", "test")}
    assert [len(d) for d in splits.values()] == [14, 2, 2]
    ds = splits["train"]
    assert len(ds.bands) == 224 and np.flatnonzero(~ds.bands.valid).tolist() == list(range(129, 135))
    assert ds.class_codes == (1, 2, 3, 4, 5, 6)
    batch = torch.stack([ds[i]["image"] for i in range(4)])
    assert (batch[:, 129:135] == 0).all()
    y = build_adapter("srf", ds.bands)(batch)
    assert y.shape == (4, 12, 32, 32) and torch.isfinite(y).all()
    assert 0 < y.mean() < 10000


def test_nan_label_names_the_file_and_row(data_dir, tmp_path):
    root = tmp_path / "r"
    shutil.copytree(data_dir / "hsi_folder/root", root)
    (root / "labels.csv").write_text("file,lai,chl\n" + "".join(
        f"scene_{i}.tif,{'nan' if i == 2 else i},{10 * i}\n" for i in range(5)))
    with pytest.raises(HSIDataError, match=r"labels.csv: row 4 \(file scene_2.tif\) has no "
                                           r"finite value for lai"):
        HSIFolder(root, "train", labels_csv="labels.csv", mask_dir=None)

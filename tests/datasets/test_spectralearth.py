import shutil

import numpy as np
import pytest
import torch

from hsiadapt.datasets import (
    DATASETS,
    DatasetNotFoundError,
    EnMAPBDForet,
    EnMAPBNETD,
    EnMAPCDL,
    EnMAPCorine,
    HSIDataError,
)
from hsiadapt.spectral import get_sensor

SEG = [EnMAPBNETD, EnMAPCDL, EnMAPBDForet]


def test_registry_names_are_pinned():
    import hsiadapt.demo  # noqa: F401  (the demo registers its own loaders)

    assert DATASETS.names() == ["demo_canopy", "demo_landcover", "demo_minerals",
                                "enmap_bdforet", "enmap_bnetd", "enmap_cdl", "enmap_corine",
                                "hsi_folder", "hyperview1", "hyperview2"]


@pytest.mark.parametrize("cls", SEG)
class TestSegmentation:
    def test_lengths_keys_dtypes(self, cls, data_dir):
        root = data_dir / "spectralearth/root"
        assert [len(cls(root, s)) for s in ("train", "val", "test")] == [3, 2, 1]
        s = cls(root, "train", unknown_labels="ignore")[0]
        assert set(s) == {"image", "mask", "valid", "wavelength", "fwhm"}
        assert s["image"].dtype == torch.float32 and s["image"].shape == (202, 8, 8)
        assert s["mask"].dtype == torch.int64 and s["mask"].shape == (8, 8)
        assert s["image"].shape[0] == len(s["wavelength"]) == len(s["fwhm"])
        torch.testing.assert_close(s["wavelength"].double(),
                                   torch.tensor(get_sensor("enmap_spectralearth").centers))

    def test_remap_and_ignore(self, cls, data_dir):
        ds = cls(data_dir / "spectralearth/root", "train", unknown_labels="ignore")
        import rasterio

        with rasterio.open(ds.mask_path(0)) as src:
            raw = src.read(1).astype(int)
        m = ds[0]["mask"].numpy()
        for k, code in enumerate(ds.class_codes):
            assert (m[raw == code] == k).all()
        assert (m[~np.isin(raw, ds.class_codes)] == -1).all()
        assert m.max() < len(ds.classes) == len(ds.class_codes)

    def test_background_as_class(self, cls, data_dir):
        ds = cls(data_dir / "spectralearth/root", "train", background="class",
                 unknown_labels="ignore")
        assert ds.classes[-1] == "Background" and len(ds.classes) == len(ds.class_codes) + 1
        import rasterio

        with rasterio.open(ds.mask_path(0)) as src:
            raw = src.read(1)
        assert (ds[0]["mask"].numpy()[raw == 0] == len(ds.class_codes)).all()

    def test_missing_root(self, cls, tmp_path):
        with pytest.raises(DatasetNotFoundError, match="image folder 'enmap/' not found"):
            cls(tmp_path, "train")

    def test_plot(self, cls, data_dir):
        ds = cls(data_dir / "spectralearth/root", "val", unknown_labels="ignore")
        s = ds[0]
        s["prediction"] = s["mask"].clamp(min=0)
        fig = ds.plot(s, suptitle="x")
        assert len(fig.axes) == 3


def _first_with_111(ds):
    import rasterio

    for i in range(len(ds)):
        with rasterio.open(ds.mask_path(i)) as src:
            if (src.read(1) == 111).any():
                return i
    raise AssertionError("fixture has no code 111")


def test_unknown_labels_stop_by_default(data_dir):
    # the CDL fixture contains code 111, which is not a CDL class: without a policy the loader
    # stops and says how to choose one (it used to drop them silently)
    ds = EnMAPCDL(data_dir / "spectralearth/root", "train")
    with pytest.raises(HSIDataError, match=r"mask codes \[111\] are neither classes.*"
                                           r"unknown_labels"):
        ds[_first_with_111(ds)]


def test_unknown_labels_as_background_like_the_study(data_dir):
    import rasterio

    ds = EnMAPCDL(data_dir / "spectralearth/root", "train", background="class",
                  unknown_labels="background")
    i = _first_with_111(ds)
    with rasterio.open(ds.mask_path(i)) as src:
        raw = src.read(1)
    m = ds[i]["mask"].numpy()
    bg = len(ds.class_codes)
    assert (m[raw == 111] == bg).all() and (m[raw == 0] == bg).all()
    ignored = EnMAPCDL(data_dir / "spectralearth/root", "train", unknown_labels="ignore")[i]
    assert (ignored["mask"].numpy()[raw == 111] == -1).all()


def test_missing_split_file(data_dir, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data_dir / "spectralearth/root", root)
    (root / "splits/enmap_bnetd/val.txt").unlink()
    with pytest.raises(DatasetNotFoundError, match="split file .*val.txt is missing"):
        EnMAPBNETD(root, "val")


def test_split_dir_beside_root(data_dir, tmp_path):
    # the study keeps splits/ beside the task root
    shutil.copytree(data_dir / "spectralearth/root/enmap", tmp_path / "enmap_bnetd/enmap")
    shutil.copytree(data_dir / "spectralearth/root/bnetd", tmp_path / "enmap_bnetd/bnetd")
    shutil.copytree(data_dir / "spectralearth/root/splits", tmp_path / "splits")
    assert len(EnMAPBNETD(tmp_path / "enmap_bnetd", "train")) == 3


def test_truncated_and_wrong_band_count(data_dir, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data_dir / "spectralearth/root", root)
    ds = EnMAPBNETD(root, "train")
    p = ds.image_path(0)
    p.write_bytes(p.read_bytes()[:2000])
    with pytest.raises(HSIDataError, match="corrupt or truncated|unreadable"):
        ds[0]
    with pytest.raises(HSIDataError, match="has 202 bands but the dataset's band table has 224"):
        EnMAPBNETD(root, "train", bands="enmap")[1]


def test_nodata_pixels_are_ignored(data_dir, tmp_path):
    import rasterio

    root = tmp_path / "root"
    shutil.copytree(data_dir / "spectralearth/root", root)
    ds = EnMAPBNETD(root, "train")
    with rasterio.open(ds.image_path(0), "r+") as dst:
        dst.nodata = -9999
        a = dst.read()
        a[:, 2, 3] = -9999
        dst.write(a)
    s = ds[0]
    assert not s["valid"][2, 3] and s["valid"].sum() == 63
    assert s["mask"][2, 3] == -1 and (s["image"][:, 2, 3] == 0).all()
    assert torch.isfinite(s["image"]).all()


def test_corine_multilabel(data_dir):
    root = data_dir / "spectralearth/root"
    ds19 = EnMAPCorine(root, "train")
    s = ds19[0]
    assert s["label"].shape == (19,) and s["label"].dtype == torch.int64
    import rasterio

    with rasterio.open(ds19.mask_path(0)) as src:
        codes = set(np.unique(src.read(1)).tolist())
    expected = {0: 111 in codes or 112 in codes, 2: 211 in codes, 8: 311 in codes,
                9: 312 in codes, 18: 523 in codes, 17: 512 in codes}
    for k, present in expected.items():
        assert bool(s["label"][k]) == present
    assert ds19.labels_from_codes([122]).sum() == 0  # roads: no 19-class group
    ds43 = EnMAPCorine(root, "train", num_classes=43)
    assert ds43[0]["label"].shape == (43,) and ds43.labels_from_codes([122])[3] == 1


def test_corine_plot(data_dir):
    ds = EnMAPCorine(data_dir / "spectralearth/root", "val")
    assert len(ds.plot(ds[0]).axes) == 1


@pytest.mark.parametrize("entry", ["../../outside/x.tif", "../bnetd/../../x.tif", "/etc/x.tif"])
def test_split_entries_must_stay_inside_the_root(data_dir, tmp_path, entry):
    root = tmp_path / "root"
    shutil.copytree(data_dir / "spectralearth/root", root)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(next((root / "enmap").rglob("*.tif")), outside / "x.tif")
    split = root / "splits/enmap_bnetd/train.txt"
    split.write_text(split.read_text() + f"\n{entry}\n")
    with pytest.raises(HSIDataError, match=rf"train.txt, line \d+: entry '{entry}' points outside"):
        EnMAPBNETD(root, "train")

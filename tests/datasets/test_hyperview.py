import csv
import shutil

import numpy as np
import pytest
import torch

from hsiadapt.data.collate import pad_collate
from hsiadapt.datasets import (
    DatasetNotFoundError,
    HSIDataError,
    Hyperview1,
    Hyperview2,
    write_submission,
)


class TestHyperview1:
    def test_splits_keys_dtypes(self, data_dir):
        root = data_dir / "hyperview1/root"
        tr, va = Hyperview1(root, "train"), Hyperview1(root, "val")
        assert len(tr) + len(va) == 6 and len(va) == 1
        assert set(tr.ids).isdisjoint(va.ids)
        assert Hyperview1(root, "val", seed=42).ids == va.ids  # reproducible by seed
        s = tr[0]
        assert set(s) == {"image", "valid", "label", "sample_index", "wavelength", "fwhm"}
        assert s["image"].dtype == torch.float32 and s["label"].dtype == torch.float32
        assert s["image"].shape[0] == len(s["wavelength"]) == 150
        assert s["label"].shape == (4,)
        assert (s["image"][:, ~s["valid"]] == 0).all()

    def test_labels_match_csv(self, data_dir):
        root = data_dir / "hyperview1/root"
        rows = {int(r["sample_index"]): r for r in csv.DictReader(open(root / "train_gt.csv"))}
        ds = Hyperview1(root, "train", val_fraction=0.0)
        for i in range(len(ds)):
            s = ds[i]
            r = rows[int(s["sample_index"])]
            np.testing.assert_allclose(s["label"].numpy(),
                                       [float(r[t]) for t in ("P", "K", "Mg", "pH")], rtol=1e-6)

    def test_size_policies(self, data_dir):
        root = data_dir / "hyperview1/root"
        for policy in (("pad", 16), ("resize", 24)):
            ds = Hyperview1(root, "train", size=policy, val_fraction=0.0)
            shapes = {tuple(ds[i]["image"].shape) for i in range(len(ds))}
            assert shapes == {(150, policy[1], policy[1])}
            s = ds[3]
            assert s["valid"].any() and not s["valid"].all()
            assert (s["image"][:, ~s["valid"]] == 0).all()

    def test_native_sizes_pad_collate(self, data_dir):
        ds = Hyperview1(data_dir / "hyperview1/root", "train", val_fraction=0.0)
        batch = pad_collate([ds[i] for i in range(len(ds))])
        assert batch["image"].shape[0] == len(ds) and batch["image"].shape[2:] == (20, 16)
        assert batch["valid"].shape == (len(ds), 20, 16)

    def test_test_split_and_submission(self, data_dir, tmp_path):
        ds = Hyperview1(data_dir / "hyperview1/root", "test")
        assert len(ds) == 2 and "label" not in ds[0]
        out = write_submission(tmp_path / "sub.csv", [1, 0], np.array([[1, 2, 3, 4], [5, 6, 7, 8.0]]))
        rows = list(csv.reader(open(out)))
        assert rows == [["sample_index", "P", "K", "Mg", "pH"], ["0", "5", "6", "7", "8"],
                        ["1", "1", "2", "3", "4"]]
        with pytest.raises(ValueError, match="NaN"):
            write_submission(tmp_path / "bad.csv", [0], np.array([[np.nan, 1, 1, 1]]))

    def test_missing_root(self, tmp_path):
        with pytest.raises(DatasetNotFoundError, match="folder 'train/' not found"):
            Hyperview1(tmp_path, "train")

    def test_empty_mask_and_corrupt_file(self, data_dir, tmp_path):
        root = tmp_path / "root"
        shutil.copytree(data_dir / "hyperview1/root", root)
        z = dict(np.load(root / "train/0.npz"))
        z["mask"][:] = True
        np.savez_compressed(root / "train/0.npz", **z)
        (root / "train/1.npz").write_bytes(b"not a zip")
        ds = Hyperview1(root, "train", val_fraction=0.0)
        with pytest.raises(HSIDataError, match="field mask is empty"):
            ds[ds.ids.index(0)]
        with pytest.raises(HSIDataError, match="not a readable .npz"):
            ds[ds.ids.index(1)]

    def test_plot(self, data_dir):
        ds = Hyperview1(data_dir / "hyperview1/root", "train")
        assert ds.plot(ds[0]) is not None


class TestHyperview2:
    @pytest.mark.parametrize(("sensor", "bands"), [("hsi_airborne", 40), ("hsi_satellite", 30),
                                                   ("msi_satellite", 12)])
    def test_sensors(self, data_dir, sensor, bands):
        root = data_dir / "hyperview2/root"
        ds = Hyperview2(root, "train", sensor=sensor, val_fraction=0.0)
        s = ds[0]
        assert len(ds) == 5 and s["image"].shape[0] == bands == len(s["wavelength"])
        assert s["label"].shape == (6,)
        if sensor != "hsi_airborne":
            assert len(Hyperview2(root, "test", sensor=sensor)) == 2

    def test_missing_band_table_is_an_error(self, data_dir, tmp_path):
        root = tmp_path / "root"
        shutil.copytree(data_dir / "hyperview2/root", root)
        (root / "wavelengths/hsi_airborne.txt").unlink()
        with pytest.raises(HSIDataError, match="no band table for 'hsi_airborne'"):
            Hyperview2(root, "train", sensor="hsi_airborne")
        with pytest.raises(ValueError, match="no airborne data in the test split"):
            Hyperview2(data_dir / "hyperview2/root", "test", sensor="hsi_airborne")


def test_real_hyperview_patches(realdata, tmp_path):
    """The 8 real HYPERVIEW patches with their labels, through the loader and the srf adapter."""
    from hsiadapt.adapters import build_adapter

    src = realdata / "hyperview_samples"
    (tmp_path / "train").mkdir()
    for i in range(2, 10):
        (tmp_path / "train" / f"{i}.npz").symlink_to(src / f"{i}.npz")
    shutil.copy(src / "train_gt.csv", tmp_path / "train_gt.csv")
    ds = Hyperview1(tmp_path, "train", val_fraction=0.0, size=("pad", 16))
    assert sorted(ds.ids) == list(range(2, 10))
    wl = np.array([float(v) for v in (src / "wavelengths.txt").read_text().split(",")])
    np.testing.assert_allclose(ds.bands.centers, wl)
    s = ds[ds.ids.index(2)]
    np.testing.assert_allclose(s["label"].numpy(), [44.4, 207, 145, 6.8], rtol=1e-6)
    batch = pad_collate([ds[i] for i in range(len(ds))])
    adapter = build_adapter("srf", ds.bands, coverage="drop")
    y = adapter(batch["image"])
    assert y.shape == (8, 9, 16, 16) and torch.isfinite(y).all()
    inside = y.permute(0, 2, 3, 1)[batch["valid"]]
    assert (inside > 0).all()  # real reflectance inside the fields
    assert inside[:, 7].mean() > inside[:, 2].mean()  # NIR above red over vegetation/soil


def test_hyperview2_plot(data_dir):
    ds = Hyperview2(data_dir / "hyperview2/root", "train", sensor="msi_satellite")
    fig = ds.plot(ds[0])
    assert fig.texts and "B=" in fig.texts[0].get_text()


@pytest.mark.parametrize("cell", ["nan", "", "inf"])
def test_nan_targets_name_the_file_and_row(data_dir, tmp_path, cell):
    root = tmp_path / "root"
    shutil.copytree(data_dir / "hyperview1/root", root)
    gt = root / "train_gt.csv"
    lines = gt.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + f",{cell}"  # sample 1: pH
    gt.write_text("\n".join(lines) + "\n")
    with pytest.raises(HSIDataError, match=r"train_gt.csv: row 3 \(sample_index 1\) has no "
                                           r"finite value for pH"):
        Hyperview1(root, "train")


def test_nan_pixels_inside_the_field_name_the_file(data_dir, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data_dir / "hyperview1/root", root)
    z = dict(np.load(root / "train/0.npz"))
    data = z["data"].astype(np.float32)
    inside = np.argwhere(~z["mask"][0])[0]
    data[3, inside[0], inside[1]] = np.nan
    np.savez_compressed(root / "train/0.npz", data=data, mask=z["mask"])
    ds = Hyperview1(root, "train", val_fraction=0.0)
    with pytest.raises(HSIDataError, match=r"0.npz: 1 NaN or infinite value\(s\) inside the field"):
        ds[ds.ids.index(0)]

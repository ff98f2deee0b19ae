import json

import numpy as np
import pytest
import torch

from hsiadapt.adapters import build_adapter
from hsiadapt.data.cache import AdaptedCache
from hsiadapt.data.stats import RunningStats, compute_statistics, propagated_statistics
from hsiadapt.datasets import EnMAPBNETD, Hyperview1


def test_running_stats_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(5, 3, (1000, 4))
    rs = RunningStats(4)
    for chunk in np.array_split(x, 7):
        rs.update(chunk)
    np.testing.assert_allclose(rs.mean, x.mean(0))
    np.testing.assert_allclose(rs.std, x.std(0, ddof=1))


def test_compute_statistics_on_adapted_valid_pixels(data_dir, tmp_path):
    ds = EnMAPBNETD(data_dir / "spectralearth/root", "train")
    a = build_adapter("srf", ds.bands)
    st = compute_statistics(ds, a, batch_size=2, cache_dir=tmp_path)
    y = torch.cat([a(ds[i]["image"][None]) for i in range(len(ds))]).permute(1, 0, 2, 3)
    y = y.reshape(12, -1).double().numpy()
    np.testing.assert_allclose(st.mean, y.mean(1), rtol=1e-5)
    np.testing.assert_allclose(st.std, y.std(1, ddof=1), rtol=1e-4)
    assert st.bands == tuple(a.target.names) and st.n_pixels == 3 * 64
    assert len(list(tmp_path.glob("stats-*.json"))) == 1
    again = compute_statistics(ds, a, cache_dir=tmp_path)  # cached
    assert again == st


def test_statistics_skip_invalid_pixels(data_dir):
    ds = Hyperview1(data_dir / "hyperview1/root", "train", val_fraction=0.0)
    st = compute_statistics(ds, None, batch_size=3)
    inside = np.concatenate([ds[i]["image"][:, ds[i]["valid"]].numpy() for i in range(len(ds))],
                            axis=1)
    np.testing.assert_allclose(st.mean, inside.mean(1), rtol=1e-5)


def test_study_scheme_understates_std_for_correlated_bands():
    rng = np.random.default_rng(0)
    common = rng.normal(0, 1, (5000, 1))
    x = common + 0.1 * rng.normal(0, 1, (5000, 10))  # strongly correlated bands
    w = np.full((10, 1), 0.1)
    st = propagated_statistics(x.mean(0), x.std(0), w, ["b"])
    true_std = (x @ w).std()
    assert st.std[0] < 0.5 * true_std  # independence assumption: sqrt(10) too small
    np.testing.assert_allclose(st.mean[0], (x @ w).mean(), atol=1e-12)


class TestAdaptedCache:
    def _make(self, data_dir, tmp_path, name="srf"):
        ds = EnMAPBNETD(data_dir / "spectralearth/root", "train")
        return ds, AdaptedCache(ds, build_adapter(name, ds.bands), tmp_path / "cache")

    def test_build_and_equivalence(self, data_dir, tmp_path):
        ds, c = self._make(data_dir, tmp_path)
        a = build_adapter("srf", ds.bands)
        assert len(c) == len(ds)
        for i in range(len(ds)):
            s, r = c[i], ds[i]
            torch.testing.assert_close(s["image"], a(r["image"][None])[0])
            assert torch.equal(s["mask"], r["mask"]) and s["image"].shape[0] == 12
            assert len(s["wavelength"]) == 12

    def test_reuse_and_key_change(self, data_dir, tmp_path):
        _ds, c = self._make(data_dir, tmp_path)
        stamp = (c.path / "image.npy").stat().st_mtime_ns
        _ds2, c2 = self._make(data_dir, tmp_path)
        assert c2.path == c.path and (c2.path / "image.npy").stat().st_mtime_ns == stamp
        _, c3 = self._make(data_dir, tmp_path, name="select")
        assert c3.path != c.path  # other matrix, other entry

    def test_corrupt_chip_is_recomputed_not_served(self, data_dir, tmp_path):
        _ds, c = self._make(data_dir, tmp_path)
        good = c[1]["image"].clone()
        arr = np.load(c.path / "image.npy", mmap_mode="r+")
        arr[1, 0, 0, 0] += 1000.0
        arr.flush()
        del arr
        _, c2 = self._make(data_dir, tmp_path)
        torch.testing.assert_close(c2[1]["image"], good)
        assert c2.rebuilt == [1]
        assert c2[1]["image"].equal(good) and c2.rebuilt == [1]  # rewritten on disk

    def test_partial_or_truncated_entry_is_rebuilt(self, data_dir, tmp_path):
        _ds, c = self._make(data_dir, tmp_path)
        man = json.loads((c.path / "manifest.json").read_text())
        man["complete"] = False
        (c.path / "manifest.json").write_text(json.dumps(man))
        _, c2 = self._make(data_dir, tmp_path)
        assert json.loads((c2.path / "manifest.json").read_text())["complete"] is True
        p = c2.path / "image.npy"
        p.write_bytes(p.read_bytes()[:1000])
        _, c3 = self._make(data_dir, tmp_path)
        assert c3[0]["image"].shape == (12, 8, 8)

    def test_trainable_adapter_refused(self, data_dir, tmp_path):
        ds = EnMAPBNETD(data_dir / "spectralearth/root", "train")
        with pytest.raises(ValueError, match="only fixed adapters"):
            AdaptedCache(ds, build_adapter("linear", ds.bands), tmp_path)

    def test_variable_size_refused(self, data_dir, tmp_path):
        ds = Hyperview1(data_dir / "hyperview1/root", "train", val_fraction=0.0)
        with pytest.raises(ValueError, match="the chips differ in size.*Set `cache: false` on the task"):
            AdaptedCache(ds, build_adapter("srf", ds.bands, coverage="drop"), tmp_path)
        assert not any(tmp_path.iterdir()) or not any(
            (p / "manifest.json").exists() for p in tmp_path.iterdir())


def _copy_root(data_dir, tmp_path):
    import shutil

    root = tmp_path / "root"
    shutil.copytree(data_dir / "spectralearth/root", root)
    return root


def test_changed_source_chip_is_not_served_from_the_cache(data_dir, tmp_path):
    import os

    import rasterio

    root = _copy_root(data_dir, tmp_path)
    ds = EnMAPBNETD(root, "train")
    a = build_adapter("srf", ds.bands)
    first = AdaptedCache(ds, a, tmp_path / "cache")
    before = first[0]["image"].clone()
    s1 = compute_statistics(ds, a, cache_dir=tmp_path / "stats")
    path = ds.image_path(0)
    with rasterio.open(path, "r+") as dst:  # the user re-exports one chip
        dst.write((dst.read() // 2).astype(dst.dtypes[0]))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    ds2 = EnMAPBNETD(root, "train")
    again = AdaptedCache(ds2, a, tmp_path / "cache")
    assert again.path != first.path
    torch.testing.assert_close(again[0]["image"], a(ds2[0]["image"][None])[0])
    assert not torch.allclose(again[0]["image"], before)
    s2 = compute_statistics(ds2, a, cache_dir=tmp_path / "stats")  # re-keyed, recomputed
    assert s2.mean != s1.mean
    assert len(list((tmp_path / "stats").glob("stats-*.json"))) == 2


def test_changed_label_policy_changes_the_cache_key(data_dir, tmp_path):
    import rasterio

    ds = EnMAPBNETD(data_dir / "spectralearth/root", "train")
    bg = EnMAPBNETD(data_dir / "spectralearth/root", "train", background="class")
    a = build_adapter("srf", ds.bands)
    c1 = AdaptedCache(ds, a, tmp_path / "cache")
    c2 = AdaptedCache(bg, a, tmp_path / "cache")
    assert c1.path != c2.path
    with rasterio.open(ds.mask_path(0)) as src:
        raw = src.read(1)
    assert (raw == 0).any()
    assert (c1[0]["mask"].numpy()[raw == 0] == -1).all()
    assert (c2[0]["mask"].numpy()[raw == 0] == len(bg.class_codes)).all()


def test_two_builders_of_one_cache_entry_both_succeed(data_dir, tmp_path, monkeypatch):
    # a second process finishes the same entry first: the late builder keeps the complete one
    ds = EnMAPBNETD(data_dir / "spectralearth/root", "train")
    a = build_adapter("srf", ds.bands)
    first = AdaptedCache(ds, a, tmp_path / "cache")
    real_is_complete = AdaptedCache._is_complete
    calls = {"n": 0}

    def racing(self):  # says "not built" when asked before building, as for the late builder
        calls["n"] += 1
        return False if calls["n"] == 1 else real_is_complete(self)

    monkeypatch.setattr(AdaptedCache, "_is_complete", racing)
    late = AdaptedCache(ds, a, tmp_path / "cache")
    assert late.path == first.path and calls["n"] >= 2
    torch.testing.assert_close(late[0]["image"], first[0]["image"])
    assert not list((tmp_path / "cache").glob("*.tmp*"))

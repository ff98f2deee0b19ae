import numpy as np
import pytest
import torch

from hsiadapt.data.check import check_dataset, format_report
from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.models.backbones import BACKBONES

TM_STATS = BACKBONES.get("terramind_v1_tiny").pretraining_statistics


def _dm(data_dir, tmp_path, **kw):
    args = dict(batch_size=2, size=16, cache_dir=tmp_path)
    args.update(kw)
    return HSIDataModule("enmap_bnetd", data_dir / "spectralearth/root", **args)


def test_pipeline_shapes_and_normalisation(data_dir, tmp_path):
    dm = _dm(data_dir, tmp_path)
    dm.setup("fit")
    b = next(iter(dm.train_dataloader()))
    assert b["image"].shape == (2, 12, 16, 16) and b["mask"].shape == (2, 16, 16)
    assert b["mask"].dtype == torch.int64 and b["valid"].dtype == torch.bool
    assert dm.statistics.scheme == "data" and dm.statistics.bands == tuple(dm.adapter.target.names)
    # normalised with statistics of the adapted training data: about zero mean, unit std
    allx = torch.cat([dm.splits["train"][i]["image"] for i in range(3)], dim=1)
    assert allx.mean().abs() < 0.5 and 0.3 < allx.std() < 2.0
    v = next(iter(dm.val_dataloader()))
    assert v["image"].shape == (2, 12, 16, 16)
    assert len(dm.splits["test"]) == 1


def test_augmentations_move_image_and_mask_together():
    from hsiadapt.data.transforms import StudyAugment

    mask = torch.zeros(32, 32, dtype=torch.int64)
    mask[:16, 16:], mask[16:, :16], mask[16:, 16:] = 1, 2, 3
    image = torch.stack([mask.float() * 10, mask.float() * -3])  # spectrum encodes the class
    aug = StudyAugment(24, train=True)
    torch.manual_seed(0)
    changed = 0
    for _ in range(10):
        out = aug({"image": image, "mask": mask, "valid": torch.ones(32, 32, dtype=torch.bool)})
        assert out["image"].shape == (2, 24, 24) and out["mask"].dtype == torch.int64
        assert set(out["mask"].unique().tolist()) <= {0, 1, 2, 3}  # nearest for masks
        agree = (torch.round(out["image"][0] / 10) == out["mask"]).float().mean()
        assert agree > 0.9  # only interpolated class borders may differ
        changed += int(not torch.equal(out["mask"][:12, :12], torch.zeros(12, 12)))
    assert changed > 0  # flips/crops really happened
    ev = StudyAugment(24, train=False)({"image": image, "mask": mask})
    assert ev["mask"][0, 0] == 0 and ev["mask"][-1, -1] == 3


@pytest.mark.parametrize("scheme", ["study", "pretraining", "none"])
def test_other_normalisations(data_dir, tmp_path, scheme):
    raw = (np.full(202, 2000.0), np.full(202, 500.0))
    dm = _dm(data_dir, tmp_path, normalization=scheme, raw_statistics=raw,
             pretraining_statistics=TM_STATS)
    dm.setup("fit")
    if scheme == "study":
        np.testing.assert_allclose(dm.statistics.mean, 2000.0)
        assert all(s < 500 for s in dm.statistics.std)  # shrunk by the independence assumption
    elif scheme == "pretraining":
        assert dm.statistics.mean[1] == pytest.approx(1503.317)  # TerraMind S2L2A BLUE
    else:
        assert dm.statistics is None


def test_trainable_adapter_refused(data_dir, tmp_path):
    dm = _dm(data_dir, tmp_path, adapter="linear")
    with pytest.raises(ValueError, match="put it in the model"):
        dm.setup("fit")


def test_no_adapter_delivers_all_bands(data_dir, tmp_path):
    dm = _dm(data_dir, tmp_path, adapter=None, cache_dir=None)
    dm.setup("fit")
    assert next(iter(dm.train_dataloader()))["image"].shape[1] == 202


def test_pretraining_statistics_unknown_band():
    with pytest.raises(ValueError, match="no statistics for bands"):
        TM_STATS(["RED", "NIR"])


def test_data_check_fixture(data_dir):
    rep = check_dataset("enmap_cdl", data_dir / "spectralearth/root")
    assert rep.splits == {"train": 3, "val": 2, "test": 1} and rep.bands == 202
    assert rep.checked_samples == 6 and "ignore" in rep.class_histogram
    assert sum(rep.class_histogram.values()) == 6 * 64
    text = format_report(rep)
    assert "splits: train 3, val 2, test 1" in text


def test_data_check_reports_problems(data_dir, tmp_path):
    import shutil

    root = tmp_path / "root"
    shutil.copytree(data_dir / "hyperview1/root", root)
    (root / "train/4.npz").write_bytes(b"broken")
    rep = check_dataset("hyperview1", root)
    assert any("not a readable .npz" in p for p in rep.problems)
    assert set(rep.target_ranges) == {"P", "K", "Mg", "pH"}


def test_spectral_sanity_flags_spectralearth_table(realdata, data_dir):
    mu = np.load(realdata / "spectral_earth_meta/statistics/mu.npy")
    rep = check_dataset("enmap_bnetd", data_dir / "spectralearth/root", mean_spectrum=mu)
    # the published table labels 7 SWIR bands with the wrong channels' centres (it drops
    # 0-based 145-151 where the chips dropped 160-166): bands labelled in the 1900 nm window's
    # core are bright while the table's gap (the bands removed there) sits beside them
    assert any(f.startswith("strong: ") and "1939-1949 nm" in f and "water-vapour" in f
               for f in rep.spectral_findings)
    fixed = check_dataset("enmap_bnetd", data_dir / "spectralearth/root", mean_spectrum=mu,
                          dataset_args={"bands": "enmap_spectralearth_corrected"})
    assert fixed.spectral_findings == []


def test_statistics_in_other_units_are_refused(data_dir, tmp_path):
    # reflectance-unit statistics on DN data: inputs would come out around 1e4-1e5 (the
    # study's BDForet statistics in the table1 grid); a factor >10 is an error naming both
    refl = (np.full(202, 0.15), np.full(202, 0.04))
    dm = _dm(data_dir, tmp_path, normalization="study", raw_statistics=refl)
    with pytest.raises(ValueError, match=r"different units.*statistics_units: reflectance"):
        dm.setup("fit")
    ok = _dm(data_dir, tmp_path / "ok", normalization="study", raw_statistics=refl,
             statistics_units="reflectance")
    ok.setup("fit")
    np.testing.assert_allclose(ok.statistics.mean, 1500.0)
    x = torch.cat([ok.splits["train"][i]["image"] for i in range(3)], dim=1)
    assert x.abs().max() < 100  # normalised, not 1e4-1e5


def test_paper_statistics_use_the_next_band(data_dir, tmp_path):
    from hsiadapt.spectral import get_sensor, preset_indices

    mu = np.arange(202, dtype=np.float64) * 10 + 1000  # band i has mean 1000 + 10 i
    raw = (mu, np.full(202, 500.0))
    idx = preset_indices("paper", get_sensor("enmap_spectralearth"), get_sensor("sentinel2_l2a"))
    kw = dict(adapter="select", adapter_args={"preset": "paper"}, normalization="study",
              raw_statistics=raw)
    right = _dm(data_dir, tmp_path / "a", **kw)
    right.setup("fit")
    np.testing.assert_allclose(right.statistics.mean, mu[idx])
    paper = _dm(data_dir, tmp_path / "b", statistics_offset=1, **kw)
    paper.setup("fit")
    np.testing.assert_allclose(paper.statistics.mean, mu[idx + 1])  # what the study's code did
    srf = _dm(data_dir, tmp_path / "c", adapter="srf", normalization="study",
              raw_statistics=raw, statistics_offset=1)
    srf.setup("fit")  # an SRF map is not a selection: unaffected
    ref = _dm(data_dir, tmp_path / "d", adapter="srf", normalization="study", raw_statistics=raw)
    ref.setup("fit")
    np.testing.assert_allclose(srf.statistics.mean, ref.statistics.mean)


def test_paper_statistics_on_spectralearth_statistics(realdata, data_dir, tmp_path):
    # the study's own statistics: the band read for B05 has mean 1848, the study used 1958
    d = realdata / "spectral_earth_meta/statistics"
    raw = (np.load(d / "mu.npy"), np.load(d / "sigma.npy"))
    kw = dict(adapter="select", adapter_args={"preset": "paper"}, normalization="study",
              raw_statistics=raw)
    right, paper = (_dm(data_dir, tmp_path / n, statistics_offset=o, **kw)
                    for n, o in (("a", 0), ("b", 1)))
    right.setup("fit")
    paper.setup("fit")
    b5 = list(right.statistics.bands).index("RED_EDGE_1")
    assert round(right.statistics.mean[b5]) == 1848 and round(paper.statistics.mean[b5]) == 1958


def test_d4_moves_image_mask_and_valid_together_and_refuses_resizing():
    from hsiadapt.data.transforms import D4Augment

    mask = torch.arange(16 * 16).reshape(16, 16)
    image = torch.stack([mask.float(), -mask.float()])
    valid = mask % 3 == 0
    torch.manual_seed(0)
    seen = set()
    for _ in range(40):
        out = D4Augment(16)({"image": image, "mask": mask, "valid": valid})
        assert torch.equal(out["image"][0], out["mask"].float())  # the same permutation
        assert torch.equal(out["valid"], out["mask"] % 3 == 0)
        seen.add(tuple(out["mask"][0, :2].tolist()))
    assert len(seen) == 8  # all eight elements of D4
    ev = D4Augment(16, train=False)({"image": image, "mask": mask})
    assert torch.equal(ev["mask"], mask)
    with pytest.raises(ValueError, match="does not resize"):
        D4Augment(24)({"image": image, "mask": mask})


def test_small_splits_are_read_once_per_run(data_dir, tmp_path, monkeypatch):
    from hsiadapt.datasets.spectralearth import EnMAPBNETD

    reads = []
    orig = EnMAPBNETD.__getitem__

    def counting(self, i):
        reads.append((self.split, i))
        return orig(self, i)

    monkeypatch.setattr(EnMAPBNETD, "__getitem__", counting)
    dm = _dm(data_dir, tmp_path, adapter=None, normalization="none")
    dm.setup("fit")
    n = len(dm.splits["train"])
    for _ in range(3):  # three epochs
        for _b in dm.train_dataloader():
            pass
    assert sum(s == "train" for s, _ in reads) <= n + 1  # (+1: the size estimate)
    # a budget of 0 MiB reads from disk every epoch, as before
    monkeypatch.setenv("HSIADAPT_MEMORY_MB", "0")
    reads.clear()
    dm = _dm(data_dir, tmp_path, adapter=None, normalization="none")
    dm.setup("fit")
    for _ in range(3):
        for _b in dm.train_dataloader():
            pass
    assert sum(s == "train" for s, _ in reads) >= 3 * n


def test_d4_and_normalisation_commute_so_normalised_samples_can_be_kept(data_dir, tmp_path):
    from hsiadapt.data.transforms import D4Augment, Normalize

    dm = _dm(data_dir, tmp_path, augmentation="d4", size=None)
    dm.setup("fit")
    raw = dm.raw["train"][0]
    raw = dict(raw, image=dm.adapter(raw["image"][None])[0])
    raw["valid"] = torch.rand(raw["image"].shape[-2:]) > 0.3
    norm = Normalize(*dm.statistics.tensors())
    for seed in range(8):
        torch.manual_seed(seed)
        a = D4Augment(raw["image"].shape[-1])(norm(raw))
        torch.manual_seed(seed)
        b = norm(D4Augment(raw["image"].shape[-1])(raw))
        assert torch.equal(a["image"], b["image"]) and torch.equal(a["mask"], b["mask"])
    # the data module normalises before it keeps: the same numbers as normalising after
    v = dm.raw["val"][0]
    v = dict(v, image=dm.adapter(v["image"][None])[0])
    torch.testing.assert_close(dm.splits["val"][0]["image"], norm(v)["image"])


def test_d4_in_one_copy_equals_rot90_then_flip():
    from hsiadapt.data.transforms import d4

    x = torch.randn(3, 5, 7)
    for k in range(4):
        for flip in (False, True):
            want = torch.rot90(x, k, dims=(-2, -1))
            want = torch.flip(want, dims=(-1,)) if flip else want
            got = d4(x, k, flip)
            assert torch.equal(got, want), (k, flip)
            assert got.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()

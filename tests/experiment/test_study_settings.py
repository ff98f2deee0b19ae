"""The settings that make table1 the study as published: HYPERVIEW's GaussNoise as the study's
albumentations ran it, the BDForet clip after the SRF projection, the tested checkpoint."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from hsiadapt.adapters import build_adapter
from hsiadapt.data.transforms import HyperviewAugment


def _noised(aug: HyperviewAugment, image: torch.Tensor) -> torch.Tensor:
    """The image after the noise step (found by drawing until one sample is noised)."""
    for seed in range(200):
        torch.manual_seed(seed)
        out = aug({"image": image.clone()})["image"]
        if not torch.equal(out, image) and (out != 0).all():  # noised, no dropout hole
            return out
    raise AssertionError("no draw was noised")


def test_gauss_noise_clips_raw_values_as_albumentations_did():
    raw = torch.full((5, 8, 8), 2500.0)  # reflectance x 10000, as the study fed HYPERVIEW
    clipped = _noised(HyperviewAugment(8, noise_clip=True), raw)
    assert torch.equal(clipped, torch.ones_like(raw))  # saturated to 1: the study's input
    kept = _noised(HyperviewAugment(8, noise_clip=False), raw)
    assert kept.min() > 2000  # without the clip: raw values plus a little noise


def test_gauss_noise_variance_per_image_or_per_channel():
    img = torch.zeros((40, 64, 64)) + 0.5
    per_image = _noised(HyperviewAugment(64, noise_variance="per_image"), img) - 0.5
    per_channel = _noised(HyperviewAugment(64, noise_variance="per_channel"), img) - 0.5
    stds = per_image.flatten(1).std(dim=1)
    assert float(stds.max() / stds.min()) < 1.2  # one variance for every band
    stds = per_channel.flatten(1).std(dim=1)
    assert float(stds.max() / stds.min()) > 1.5  # 0.001-0.01 drawn per band
    with pytest.raises(ValueError, match="gauss_noise_variance"):
        HyperviewAugment(8, noise_variance="per_band")


@pytest.mark.parametrize("name", ["select", "srf"])
def test_clip_after_projection(name):
    x = torch.randn(2, 202, 4, 4) * 1000
    plain = build_adapter(name, "enmap_spectralearth", "sentinel2_l2a")
    clipped = build_adapter(name, "enmap_spectralearth", "sentinel2_l2a",
                            clip_after_projection=True)
    assert torch.equal(clipped(x), plain(x).clamp_min(0))  # max(W^T x, 0)
    if name == "srf":  # not the same as clipping the source bands first: W^T max(x, 0)
        assert not torch.allclose(clipped(x), plain(x.clamp_min(0)))
    else:
        assert torch.equal(clipped(x), plain(x.clamp_min(0)))


def test_cache_and_statistics_keys_know_the_clip():
    from hsiadapt.data.cache import cache_key

    class _DS:
        root, split = "r", "train"

    plain = build_adapter("srf", "enmap_spectralearth", "sentinel2_l2a")
    clipped = build_adapter("srf", "enmap_spectralearth", "sentinel2_l2a",
                            clip_after_projection=True)
    import hsiadapt.data.cache as cache

    orig = cache.dataset_fingerprint
    cache.dataset_fingerprint = lambda ds: "fp"
    try:
        assert cache_key(_DS(), plain) != cache_key(_DS(), clipped)
    finally:
        cache.dataset_fingerprint = orig


@pytest.mark.parametrize("which", ["best", "last"])
def test_tested_checkpoint_is_the_one_asked_for(tmp_path, monkeypatch, which):
    """``test_checkpoint: last`` scores the last epoch's weights (the study's HYPERVIEW test);
    ``best`` the monitored best. The run folder keeps the weights it tested."""
    import lightning as L

    from hsiadapt.cli import main
    from tests.experiment.conftest import write_tiny_config

    cfg = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    text = cfg.read_text().replace("max_epochs: 1,", f"max_epochs: 3, test_checkpoint: {which},")
    cfg.write_text(text)
    tested: list[str] = []
    saved: list[tuple[int, dict]] = []
    real_test = L.Trainer.test

    def spy(self, model, datamodule=None, ckpt_path=None, **kw):
        tested.append(torch.load(ckpt_path, map_location="cpu", weights_only=True)["epoch"])
        return real_test(self, model, datamodule, ckpt_path=ckpt_path, **kw)

    real_save = L.Trainer.save_checkpoint

    def save_spy(self, filepath, *a, **kw):
        real_save(self, filepath, *a, **kw)
        saved.append((self.current_epoch, json.dumps(str(filepath))))

    from lightning.pytorch.callbacks import ModelCheckpoint

    real_top_k = ModelCheckpoint.check_monitor_top_k

    def first_is_best(self, trainer, current=None):  # the best stays epoch 0's
        return not self.best_model_path and real_top_k(self, trainer, current)

    monkeypatch.setattr(ModelCheckpoint, "check_monitor_top_k", first_is_best)
    monkeypatch.setattr(L.Trainer, "test", spy)
    monkeypatch.setattr(L.Trainer, "save_checkpoint", save_spy)
    assert main(["run", str(cfg)]) == 0
    record = json.loads(next((tmp_path / "runs").glob("*/metrics.json")).read_text())
    assert record["status"] == "finished"
    assert [e for e, f in saved if "best" in f] == [0]
    assert tested == ([max(e for e, _ in saved)] if which == "last" else [0])
    assert max(e for e, _ in saved) == 2
    assert np.isfinite(record["test"]["miou"])


def test_hyperview_nored_preset_is_the_cleaned_codes_nine_bands():
    """``BAND_SETS["s2l2a_nored"]`` of the study's cleaned HYPERVIEW loader (a315383): B02-B09
    from bands 9, 30, 63, 76, 87, 101, 116, 126, 149; B01, B11, B12 not delivered."""
    a = build_adapter("select", "hyperview", "sentinel2_l2a", preset="paper_nored")
    assert list(a.target.names) == ["BLUE", "GREEN", "RED", "RED_EDGE_1", "RED_EDGE_2",
                                          "RED_EDGE_3", "NIR_BROAD", "NIR_NARROW", "WATER_VAPOR"]
    w = a.linear_matrix()
    assert w.shape == (150, 9)
    assert list(np.argmax(w, axis=0)) == [9, 30, 63, 76, 87, 101, 116, 126, 149]
    assert sorted(a.map.filled) == ["COASTAL_AEROSOL", "SWIR_1", "SWIR_2"]


def test_hyperview_normalises_before_its_augmentation(data_dir):
    """The study's naive HYPERVIEW loader normalised in the dataset, then its datamodule
    augmented: the coarse dropout's zeros and the noise's [0, 1] clip act on normalised values.
    So every value a training sample gets after the clip is in [0, 1] (raw values, normalised
    after the augmentation, would be far outside it)."""
    from hsiadapt.data.datamodule import HSIDataModule

    dm = HSIDataModule(
        "hyperview1", data_dir / "hyperview1" / "root", adapter="select",
        adapter_args={"preset": "paper"}, dataset_args={"val_fraction": 0.25},
        size=16, augmentation="study_hyperview",
        augmentation_args={"noise_variance": "per_image", "noise_clip": True},
        normalization="study", raw_statistics=(np.full(150, 300.0), np.full(150, 100.0)),
        statistics_units="dn")
    dm.setup("fit")
    clipped = 0
    for seed in range(60):
        torch.manual_seed(seed)
        x = dm.splits["train"][0]["image"]
        if x.min() >= 0 and x.max() <= 1:
            clipped += 1
    assert clipped > 0  # p = 0.2 per draw
    torch.manual_seed(0)
    evaluated = dm.splits["val"][0]["image"]
    assert evaluated.max() > 1  # no augmentation at evaluation: normalised values as they are

"""Issue 22.12: ``data check`` streams its statistics (it peaked at 5.75 GB on three
2048 x 2048 x 30 chips, copying each chip's valid pixels twice in float64): the same figures as
the whole-chip computation, in memory that does not grow with the chip."""

import tracemalloc

import numpy as np
import pytest
import torch

from hsiadapt.data import _check_stats
from hsiadapt.data.check import check_dataset
from hsiadapt.datasets.base import DATASETS, HSIDataset
from hsiadapt.spectral.band import BandSet


def _whole_chip(chips, good):
    """The check's figures computed as it used to: every valid pixel at once, in float64."""
    sums, count, samples = 0.0, 0, []
    px_all = []
    for img, valid in chips:
        px = img[:, valid].astype(np.float64)
        px_all.append(px)
        sums = sums + px.sum(axis=1)
        count += int(valid.sum())
        g = px[good] if good.any() else px
        samples.append(g.ravel()[:: max(1, g.size // 20_000)])
    allpx = np.concatenate(px_all, axis=1)
    return sums / count, allpx.std(axis=1, ddof=1), np.concatenate(samples)


def _chips(rng, n=3, c=9, h=37, w=53):
    out = []
    for k in range(n):
        img = (rng.normal(2000, 400, (c, h, w)) + 1000 * k).astype(np.float32)
        valid = rng.random((h, w)) > 0.2
        out.append((img, valid))
    return out


@pytest.mark.parametrize("block", [7, 100, 1 << 16])
def test_streamed_statistics_equal_the_whole_chip_ones(monkeypatch, block):
    rng = np.random.default_rng(5)
    chips = _chips(rng)
    good = np.ones(9, bool)
    good[[2, 6]] = False
    monkeypatch.setattr(_check_stats, "BLOCK_PX", block)  # many blocks, with a ragged last one
    monkeypatch.setattr(_check_stats, "SAMPLE", 300)
    s = _check_stats.ChipStatistics(good)
    assert all(s.add(img, valid) for img, valid in chips)
    monkeypatch.setattr(_check_stats, "SAMPLE", 20_000)
    mean, std, _ = _whole_chip(chips, good)
    np.testing.assert_allclose(s.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(s.std, std, rtol=1e-9)
    assert s.count == sum(int(v.sum()) for _, v in chips)


def test_the_percentile_sample_is_the_one_the_check_always_took():
    rng = np.random.default_rng(6)
    chips = _chips(rng, n=2, c=12, h=150, w=170)  # more than 20 000 good values per chip
    good = np.ones(12, bool)
    good[0] = False
    s = _check_stats.ChipStatistics(good)
    for img, valid in chips:
        s.add(img, valid)
    *_, samples = _whole_chip(chips, good)
    np.testing.assert_array_equal(s.values(), samples)


def test_non_finite_values_are_found_in_any_block(monkeypatch):
    monkeypatch.setattr(_check_stats, "BLOCK_PX", 50)
    img = np.ones((4, 30, 20), np.float32)
    img[3, 29, 19] = np.nan  # in the last block
    assert _check_stats.ChipStatistics(np.ones(4, bool)).add(img, np.ones((30, 20), bool)) \
        is False


_SIDE, _BANDS = 1024, 30


_BIG: list = []


class _BigChip(HSIDataset):
    """One 30 x 1024 x 1024 chip (120 MB) held in memory: reading it allocates nothing, so what
    the check allocates is all that is traced."""

    task = "regression"
    targets = ("y",)

    def __init__(self, root, split, **_):
        super().__init__()
        self.bands = BandSet.from_wavelengths(np.linspace(450, 2400, _BANDS), 10.0, name="big")
        self.img, self.valid = _BIG

    def __len__(self):
        return 1

    def _load(self, index):
        return {"image": self.img, "valid": self.valid, "label": torch.zeros(1)}


def test_data_check_memory_does_not_grow_with_the_chip():
    DATASETS.register("_big_chip_test")(_BigChip)
    try:
        chip = _BANDS * _SIDE * _SIDE * 4
        rng = np.random.default_rng(0)
        _BIG[:] = [torch.from_numpy(rng.normal(2000, 300, (_BANDS, _SIDE, _SIDE))
                                    .astype(np.float32)), torch.ones(_SIDE, _SIDE, dtype=torch.bool)]
        tracemalloc.start()
        try:
            rep = check_dataset("_big_chip_test", "unused")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    finally:
        DATASETS.unregister("_big_chip_test")
        _BIG.clear()
    assert rep.checked_samples == 3
    # the check held two float64 copies of the chip's valid pixels (4 x the chip) before;
    # now a block of 32 k pixels and the chip's pixel index (8 bytes a pixel): under 1/3 chip
    assert peak < chip / 3, (peak / 2**20, chip / 2**20)
    assert len(rep.band_mean) == _BANDS
    assert rep.band_mean[0] == pytest.approx(2000, abs=2) and rep.band_std[0] == pytest.approx(
        300, abs=2)

import json

import numpy as np
import pytest

from hsiadapt.datasets import DATASETS
from hsiadapt.demo.generate import BenchmarkSpec, ensure_benchmark, mineral_classes
from hsiadapt.demo.library import load_library, parse_prosail_name
from hsiadapt.spectral import get_sensor

SMALL = BenchmarkSpec(chip=16, n_train=4, n_val=2, n_test=2, n_fields=10, seed=1)


def test_library_is_real_earthlib():
    lib = load_library()
    assert lib.spectra.shape == (7261, 180)
    assert lib.bands.centers[0] == pytest.approx(400) and lib.bands.centers[-1] == pytest.approx(2450)
    assert sum(s == "icraf-isric-soil-database" for s in lib.source) == 4168
    assert parse_prosail_name("v-LAI-1.1e+01-LMA-0.015-CHL-36.1-N-2.4") == (11.0, 0.015, 36.1, 2.4)
    assert parse_prosail_name("FS15R_FS4275") is None
    veg = lib.spectra[lib.select(level3=("canopy",))].mean(0)
    wl = lib.bands.centers
    assert veg[np.abs(wl - 850).argmin()] > 3 * veg[np.abs(wl - 670).argmin()]  # red edge


def test_resampling_to_enmap_through_responses():
    lib = load_library()
    se = get_sensor("enmap_spectralearth")
    x = lib.resample(se)
    assert x.shape == (7261, 202) and np.isfinite(x).all()
    # a flat spectrum stays flat (columns sum to 1)
    flat = np.full((1, 180), 0.3) @ np.eye(180)
    from hsiadapt.spectral import build_map

    m = build_map(lib.bands, se, "srf", integration="gaussian", coverage="nearest")
    np.testing.assert_allclose(flat @ m.matrix, 0.3)


def test_mineral_classes_follow_absorption_features():
    lib = load_library()
    idx, code = mineral_classes(lib)
    assert set(np.unique(code)) == {1, 2, 3, 4} and len(idx) == 4185
    wl = lib.bands.centers
    s = lib.spectra[idx]
    i2200 = np.abs(wl - 2200).argmin()
    ratio = s[:, i2200] / (0.5 * (s[:, np.abs(wl - 2120).argmin()] + s[:, np.abs(wl - 2260).argmin()]))
    assert ratio[code == 1].mean() < ratio[code == 4].mean()  # Al-OH class absorbs at 2200 nm


def test_generated_in_real_formats_and_cached(tmp_path):
    root = ensure_benchmark(tmp_path, SMALL)
    stamp = (root / "COMPLETE.json").stat().st_mtime_ns
    assert ensure_benchmark(tmp_path, SMALL) == root
    assert (root / "COMPLETE.json").stat().st_mtime_ns == stamp  # reused, not rebuilt
    assert json.loads((root / "COMPLETE.json").read_text())["spec"]["chip"] == 16
    lc = DATASETS.get("demo_landcover")(root / "spectralearth", "train")
    mn = DATASETS.get("demo_minerals")(root / "spectralearth", "test")
    cp = DATASETS.get("demo_canopy")(root / "canopy", "train", val_fraction=0.2)
    assert len(lc) == 4 and len(mn) == 2 and len(cp) == 8
    s = lc[0]
    assert s["image"].shape == (202, 16, 16) and s["mask"].max() < 4
    assert 0 < s["image"].mean() < 10000
    c = cp[0]
    assert c["image"].shape[0] == 150 and c["label"].shape == (4,) and not c["valid"].all()
    assert cp.targets == ("LAI", "CHL", "LMA", "N")
    # the two segmentation tasks share root/enmap with disjoint patch ids
    assert set(lc.ids).isdisjoint(DATASETS.get("demo_minerals")(root / "spectralearth",
                                                                 "train").ids)


def test_class_spectra_differ_on_landcover(tmp_path):
    root = ensure_benchmark(tmp_path, SMALL)
    ds = DATASETS.get("demo_landcover")(root / "spectralearth", "train")
    means = {}
    for i in range(len(ds)):
        s = ds[i]
        for k in range(4):
            m = s["mask"] == k
            if m.sum() > 5:
                means.setdefault(k, []).append(s["image"][:, m].mean(1).numpy())
    veg = np.mean(means[0], 0)
    nir, red = 75, 48
    assert veg[nir] > 2.5 * veg[red]  # vegetation pixels really are vegetation

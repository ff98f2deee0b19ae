"""Classical baselines on the embedded benchmark's splits."""

import pytest

from hsiadapt.demo.baselines import canopy_baselines, segmentation_baselines
from hsiadapt.demo.generate import ensure_benchmark


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return ensure_benchmark(tmp_path_factory.mktemp("bench"))


def test_pixel_baselines_and_what_s2_bands_lose(bench):
    rows = {(r.model, r.adapter): r.row() for r in segmentation_baselines(
        "demo_minerals", bench / "spectralearth", task="minerals", seeds=(0, 1), max_train_pixels=5_000,
        n_estimators=20)}
    assert set(rows) == {("lda", "full"), ("lda", "srf"), ("random_forest", "full"),
                         ("random_forest", "srf")}
    assert rows[("lda", "full")]["n"] == 1 and rows[("random_forest", "full")]["n"] == 2
    assert all(0.0 <= r["mean"] <= 1.0 and r["init"] == "none" for r in rows.values())
    # narrow SWIR absorptions: the full spectrum separates the minerals, 12 S2 bands do not
    assert rows[("lda", "full")]["mean"] > rows[("lda", "srf")]["mean"] + 0.1


def test_label_budget_and_canopy_baselines(bench):
    few = segmentation_baselines("demo_landcover", bench / "spectralearth", task="landcover", train_subset=2,
                                 seeds=(0,), models=("lda",))
    assert {r.adapter for r in few} == {"full", "srf"} and all(r.values[0] > 0 for r in few)
    rows = canopy_baselines("demo_canopy", bench / "canopy", task="canopy",
                            dataset_args={"val_fraction": 0.2, "test_fraction": 0.2, "seed": 0})
    assert {(r.model, r.adapter) for r in rows} == {("ridge", "full"), ("ridge", "srf"),
                                                     ("pls", "full"), ("pls", "srf")}
    assert all(r.metric == "hyperview_score" and 0 < r.values[0] < 2 for r in rows)

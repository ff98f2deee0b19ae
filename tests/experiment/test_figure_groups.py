"""Figures say what they draw (issue 18, item 4): rows grouped as the table groups them (backbone
entry and adapter name), titles that name what is averaged and over what n, the spectral map of
the adapter a file names, the best row of every backbone in the predictions figure. Checked on
the data the figures are drawn from (bar heights, legend labels, titles), not on pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hsiadapt.experiment import figure_groups as fg
from hsiadapt.experiment import figures
from hsiadapt.experiment.record import RunRecord, collect_records, write_record
from hsiadapt.spectral import BandSet

NAMES = ["tree", "water", "dirt", "road"]
#: VNIR-only source bands: `select` with coverage nearest and with coverage drop differ
VNIR = BandSet.from_wavelengths(np.linspace(420, 980, 40), 10.0, name="vnir")
#: (backbone entry, adapter) -> per-class IoU of its seeds' runs
IOU = {
    ("random", "select"): [[0.2, 0.4, 0.1, 0.1]],
    ("random", "select_drop"): [[0.1, 0.3, 0.1, 0.0]],
    ("s2prior", "select"): [[0.6, 0.8, 0.3, 0.3], [0.4, 0.6, 0.3, 0.1]],
    ("s2prior", "select_drop"): [[0.7, 0.9, 0.5, 0.5]],
}
ARGS = {"select": {"coverage": "nearest"}, "select_drop": {"coverage": "drop"}}


def _record(backbone: str, adapter: str, seed: int, iou: list[float]) -> RunRecord:
    test = {f"iou/{n}": v for n, v in zip(NAMES, iou, strict=True)}
    test["miou"] = float(np.mean(iou))
    return RunRecord(
        run_id=f"scene__{backbone}__{adapter}__seed{seed}", status="finished", task="scene",
        dataset="hsi_folder", adapter=adapter, input_mode="select", backbone=backbone,
        model="stub", seed=seed, task_type="segmentation", test=test, primary_metric="miou",
        direction="max", adapter_args=ARGS[adapter], classes=NAMES, class_codes=[1, 2, 3, 4],
        source_bands=VNIR.to_dict())


@pytest.fixture
def runs(tmp_path) -> Path:
    rng = np.random.default_rng(0)
    for (b, a), ious in IOU.items():
        for seed, iou in enumerate(ious):
            rec = _record(b, a, seed, iou)
            d = tmp_path / rec.run_id
            d.mkdir()
            write_record(d, rec)
            gt = rng.integers(0, 4, (2, 8, 8))
            # each run's prediction is marked with its own constant, to see which is shown
            pred = np.full_like(gt, 10 * (b == "s2prior") + list(IOU).index((b, a)))
            np.savez(d / "samples.npz", gt=gt, pred=pred,
                     rgb=rng.random((2, 8, 8, 3)).astype(np.float32))
    return tmp_path


@pytest.fixture
def drawn(runs, monkeypatch):
    shown = {}

    def keep(fig, out, name):
        shown[name] = fig
        return [Path(out) / f"{name}.png"]

    monkeypatch.setattr(figures, "_save", keep)
    figures.make_figures(runs, runs / "figures")
    return shown


def test_rows_are_the_tables_rows():
    recs = [_record(b, a, s, iou) for (b, a), ious in IOU.items() for s, iou in enumerate(ious)]
    rows = fg.rows(recs)
    assert [(r.backbone, r.adapter, r.n) for r in rows] == [
        ("random", "select", 1), ("random", "select_drop", 1), ("s2prior", "select", 2),
        ("s2prior", "select_drop", 1)]
    bars = {(b.row.backbone, b.row.adapter): b for b in fg.class_bars(recs, NAMES)}
    np.testing.assert_allclose(bars[("s2prior", "select")].mean, [0.5, 0.7, 0.3, 0.2])
    assert bars[("random", "select")].std is None  # one seed: no error bar
    best = {r.backbone: (r.adapter, m.seed) for r, m in fg.best_rows(recs)}
    assert best == {"random": ("select", 0), "s2prior": ("select_drop", 0)}


def test_per_class_bars_never_average_two_backbones(drawn):
    fig = drawn["per_class_iou_scene"]
    [ax] = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["random / select (n=1)", "random / select_drop (n=1)",
                      "s2prior / select (n=2)", "s2prior / select_drop (n=1)"]
    heights = [[p.get_height() for p in c] for c in ax.containers if hasattr(c, "patches")]
    np.testing.assert_allclose(heights[0], IOU[("random", "select")][0])
    np.testing.assert_allclose(heights[2], [0.5, 0.7, 0.3, 0.2])
    title = ax.get_title()
    assert "backbone and adapter" in title and "mean over each row's seeds" in title
    assert "n in the legend" in title


def test_spectral_map_file_draws_the_adapter_it_names(drawn):
    assert {"spectral_map_scene_select", "spectral_map_scene_select_drop"} <= set(drawn)
    for name, coverage in (("select", "nearest"), ("select_drop", "drop")):
        fig = drawn[f"spectral_map_scene_{name}"]
        assert f"adapter '{name}'" in fig._suptitle.get_text()
        assert f"coverage={coverage}" in fig.axes[0].get_title()


def test_predictions_show_the_best_row_of_every_backbone(drawn):
    fig = drawn["predictions_scene"]
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert any(t.startswith("random: select, seed 0") for t in titles)
    assert any(t.startswith("s2prior: select_drop, seed 0") for t in titles)
    assert any("n=1" in t for t in titles)
    # the images drawn are those runs' predictions (marked 0 and 13: see the fixture)
    shown = [int(np.ma.max(ax.get_images()[0].get_array())) for ax in fig.axes[2:4]]
    assert shown == [0, 13]
    assert "best adapter per backbone" in fig._suptitle.get_text()


def test_seed_spread_labels_each_row_with_its_n(drawn, runs):
    fig = drawn["seed_spread"]
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[2] == "s2prior / select\n(n=2)"
    assert "dots: runs (seeds); bar: their mean" in fig.axes[0].get_title()
    assert len(collect_records(runs)) == 5

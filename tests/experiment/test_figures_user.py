"""Figures and tables a new user can read: class legends with the GeoTIFF's colours, the
spectral map's axis and legend, files named after the dataset, one seed shown without '± 0'."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from hsiadapt.experiment import figures
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.predict import class_legend
from hsiadapt.experiment.sweep import run_sweep
from hsiadapt.experiment.table import build_table, collect_runs
from hsiadapt.spectral import build_map, get_sensor
from hsiadapt.spectral.plot import plot_map

DATA = Path(__file__).resolve().parents[1] / "data/hsi_folder"


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("figures_user")
    cfg = tmp / "c.yaml"
    cfg.write_text(textwrap.dedent(f"""
    name: user
    data_root: {DATA}
    output: runs
    seeds: [0]
    tasks:
      - name: my_fields
        dataset: hsi_folder
        root: root
        dataset_args: {{background_codes: [0], class_names: [crop, grass, water]}}
        recipe: study_segmentation
        recipe_overrides: {{max_epochs: 1, batch_size: 2, image_size: 16, lr: 0.001,
                            head: {{channels: 8, num_convs: 3, dropout: 0.0}}}}
    adapters:
      - {{name: srf, input_mode: srf, args: {{coverage: nearest}}}}
    backbones:
      - {{name: stub, pretrained: false}}
    trainer: {{accelerator: cpu}}
    """))
    c = load_config(cfg)
    [res] = run_sweep(c, c.runs(), echo=lambda s: None)
    assert res.status == "finished", res.error
    return Path(c.output)


def test_single_seed_cell_shows_value_and_n1(runs):
    md = build_table(collect_runs(runs)).render("md")
    row = next(ln for ln in md.splitlines() if ln.startswith("| stub"))
    assert "(n=1)" in row and "±" not in row


def test_prediction_panels_have_a_class_legend_in_the_geotiff_colours(runs, monkeypatch):
    shown = {}

    def keep(fig, out, name):
        shown[name] = fig
        return [out / f"{name}.png"]

    monkeypatch.setattr(figures, "_save", keep)
    names = figures.make_figures(runs)
    assert any(p.name == "predictions_my_fields.png" for p in names)
    fig = shown["predictions_my_fields"]
    [leg] = fig.legends
    labels = [t.get_text() for t in leg.get_texts()]
    assert labels == ["1 crop", "2 grass", "5 water", "ignored / nodata"]  # codes, names
    expected = class_legend(["crop", "grass", "water"], [1, 2, 5])
    for patch, (_code, _name, rgb) in zip(leg.get_patches(), expected, strict=False):
        np.testing.assert_allclose(patch.get_facecolor()[:3], np.array(rgb) / 255, atol=1e-6)
    # the spectral map is named after the dataset (task), not its first tile
    assert "spectral_map_my_fields_srf" in shown
    assert not [n for n in shown if "scene_" in n]


def test_spectral_map_axis_covers_every_target_band_and_legend_is_beside():
    m = build_map(get_sensor("hyperview"), get_sensor("sentinel2_l2a"), "srf", coverage="drop")
    fig = plot_map(m)
    ax = fig.axes[0]
    assert ax.get_xlim()[1] >= 2320  # B12's response reaches ~2320 nm (was cut at 2253)
    fig.canvas.draw()
    assert ax.get_legend().get_window_extent().x0 >= ax.get_window_extent().x1

"""Adding an adapter is one file plus one registry line: a toy fixed adapter and a toy learned
adapter go through the contract checks, ``run`` and ``predict`` with nothing else changed."""

import textwrap

import numpy as np
import pytest
import rasterio
import torch

from hsiadapt.adapters import ADAPTERS
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.plan import fixed_adapter, plan_run
from hsiadapt.experiment.predict import load_run_model, predict_scene
from hsiadapt.experiment.sweep import run_sweep

from .conftest import DATA
from .toy_adapters.gain import GainAdapter
from .toy_adapters.smooth import SmoothAdapter


@pytest.fixture
def toy_adapters():
    ADAPTERS.register("toy_smooth")(SmoothAdapter)  # the registry line of the fixed one
    ADAPTERS.register("toy_gain")(GainAdapter)  # ... and of the learned one
    yield
    ADAPTERS.unregister("toy_smooth")
    ADAPTERS.unregister("toy_gain")


def _config(tmp_path):
    text = textwrap.dedent(f"""
    name: toy
    data_root: {DATA}
    output: {tmp_path / "runs"}
    seeds: [0]
    tasks:
      - name: folder
        dataset: hsi_folder
        root: hsi_folder/root
        dataset_args: {{mask_dir: masks}}
        recipe: study_segmentation
        recipe_overrides: {{max_epochs: 1, batch_size: 2, image_size: 16, lr: 0.001,
                            head: {{channels: 8, num_convs: 1, dropout: 0.0}}}}
    adapters:
      - {{name: toy_smooth, input_mode: toy_smooth}}
      - {{name: toy_gain, input_mode: toy_gain}}
    backbones:
      - {{name: stub, pretrained: false}}
    trainer: {{accelerator: cpu}}
    """)
    p = tmp_path / "toy.yaml"
    p.write_text(text)
    return p


def test_toy_adapters_placed_by_what_they_declare(toy_adapters, tmp_path):
    cfg = load_config(_config(tmp_path))
    plans = {s.adapter.name: plan_run(s) for s in cfg.runs()}
    assert fixed_adapter("toy_smooth") and not fixed_adapter("toy_gain")
    # the fixed one runs in the data pipeline (and its cache), the learned one in the model
    assert plans["toy_smooth"].data.adapter == "toy_smooth" and plans["toy_smooth"].data.cache
    assert plans["toy_smooth"].model.input_mode == "none"
    assert plans["toy_gain"].data.adapter is None
    assert plans["toy_gain"].model.input_mode == "toy_gain"


def test_toy_adapters_run_and_predict(toy_adapters, tmp_path):
    cfg = load_config(_config(tmp_path))
    results = {r.run_id.split("__")[2]: r for r in run_sweep(cfg, cfg.runs(), echo=lambda s: None)}
    assert {k: r.status for k, r in results.items()} == {"toy_smooth": "finished",
                                                          "toy_gain": "finished"}
    # the fixed adapter's output was cached; the learned adapter's gains were trained
    assert any((tmp_path / "runs" / "_cache" / "adapted").iterdir())
    gain_run = load_run_model(tmp_path / "runs" / results["toy_gain"].run_id)
    assert gain_run.adapter is None
    assert not torch.allclose(gain_run.model.adapter.gain, torch.ones(12))
    smooth_run = load_run_model(tmp_path / "runs" / results["toy_smooth"].run_id)
    assert isinstance(smooth_run.adapter, SmoothAdapter) and smooth_run.model.adapter is None
    scene = DATA / "hsi_folder/root/images/scene_4.tif"
    for name, r in results.items():
        out = predict_scene(tmp_path / "runs" / r.run_id, scene, tmp_path / f"{name}.tif")
        with rasterio.open(out) as src:
            pred = src.read(1)
        assert pred.shape == (6, 6)
        # the masks' own codes (0, 1, 2, 5), not class ordinals
        assert set(np.unique(pred).tolist()) <= {0, 1, 2, 5}
        assert smooth_run.class_codes == [0, 1, 2, 5]


def test_predict_refuses_a_scene_on_another_scale(toy_adapters, tmp_path):
    cfg = load_config(_config(tmp_path))
    [spec] = cfg.runs({"adapter": ["toy_smooth"]})
    [res] = run_sweep(cfg, [spec], echo=lambda s: None)
    scene = tmp_path / "scene.tif"
    with rasterio.open(DATA / "hsi_folder/root/images/scene_4.tif") as src:
        prof, tags = src.profile, [src.tags(b + 1) for b in range(src.count)]
        a = src.read()
    with rasterio.open(scene, "w", **prof) as dst:  # same sensor, radiance-like x 30 values
        dst.write(np.where(a == -32768, a, a * 30).astype(a.dtype))
        dst.scales = [1e-4] * prof["count"]
        for b, t in enumerate(tags):
            dst.update_tags(b + 1, **t)
    with pytest.raises(ValueError, match="differ from the training data's statistics"):
        predict_scene(tmp_path / "runs" / res.run_id, scene, tmp_path / "p.tif")
    out = predict_scene(tmp_path / "runs" / res.run_id, scene, tmp_path / "p.tif",
                        allow_scale_mismatch=True)
    assert out.is_file()

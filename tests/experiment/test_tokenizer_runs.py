"""``input_mode: tokenizer`` in an experiment config: the run plan folds the same normalisations
as for ``full_spectrum`` (step 0 = the adapter run, after each run's own normalisation), a tiny
grid trains end to end, and a finished run reloads with its tokenizer's statistics."""

import dataclasses
import re

import numpy as np
import pytest
import torch

from hsiadapt.experiment._values import ConfigError
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.plan import build_run, plan_run
from hsiadapt.experiment.sweep import run_sweep
from hsiadapt.models.tokenizer import find_tokenizer

from .conftest import write_tiny_config


@pytest.mark.parametrize("init", ["srf", "select"])
@pytest.mark.parametrize("normalization", ["data", "study"])
def test_tokenizer_run_step0_equals_adapter_run(tmp_path, init, normalization):
    cfg = load_config(write_tiny_config(tmp_path, adapters=(init, "tokenizer")))
    stats = tmp_path / "stats"
    stats.mkdir()
    rng = np.random.default_rng(0)
    np.save(stats / "mu.npy", 2000 + 500 * rng.random(202))
    np.save(stats / "sigma.npy", 300 + 200 * rng.random(202))
    out = {}
    for spec in cfg.runs({"seed": ["0"]}):
        task = dataclasses.replace(spec.task, normalization=normalization,
                                   raw_statistics=str(stats), statistics_units="dn")
        args = {"init": init} if spec.adapter.input_mode == "tokenizer" else {}
        spec = dataclasses.replace(spec, task=task,
                                   adapter=dataclasses.replace(spec.adapter, args=args))
        torch.manual_seed(0)  # the same backbone weights in both runs
        built = build_run(plan_run(spec), tmp_path / "runs" / spec.run_id)
        dm = built.datamodule
        batch = next(iter(torch.utils.data.DataLoader(dm.splits["val"], batch_size=2,
                                                      collate_fn=dm.val_dataloader().collate_fn)))
        model = built.task.model.eval()
        with torch.no_grad():
            x = batch["image"] if model.adapter is None else model.adapter(batch["image"])
            out[spec.adapter.input_mode] = model.backbone_info.features(x)[-1]
    assert out[init].abs().mean() > 0.05
    torch.testing.assert_close(out["tokenizer"], out[init], rtol=1e-4, atol=1e-4)


def test_tokenizer_grid_trains_and_reloads(tmp_path):
    from hsiadapt.experiment.predict import load_run_model
    from hsiadapt.experiment.record import read_record
    from hsiadapt.experiment.run_files import run_weights

    path = write_tiny_config(tmp_path, seeds=(0,), adapters=("tokenizer",))
    path.write_text(path.read_text().replace("input_mode: tokenizer",
                                             "input_mode: tokenizer\n    args: {init: select}"))
    cfg = load_config(path)
    [res] = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert res.status == "finished", res.error
    rd = tmp_path / "runs" / res.run_id
    rec = read_record(rd)
    assert rec is not None and rec.input_mode == "tokenizer" and rec.adapter == "tokenizer"
    assert np.isfinite(list(rec.test.values())).all()
    loaded = load_run_model(rd)
    tok = find_tokenizer(loaded.model)
    assert tok is not None and tok.init == "select" and len(tok.source) == 202
    saved = run_weights(rd)
    key = next(k for k in saved if k.endswith("target_mean"))
    assert float(saved[key].abs().max()) > 0  # the fold's statistics were trained with...
    torch.testing.assert_close(tok.target_mean, saved[key])  # ...and come back on reload
    assert loaded.normalize is not None
    torch.testing.assert_close(tok.source_mean.float(), loaded.normalize.mean.float().ravel())


def test_tokenizer_arguments_are_checked(tmp_path):
    path = write_tiny_config(tmp_path, adapters=("tokenizer",))
    path.write_text(path.read_text().replace("input_mode: tokenizer",
                                             "input_mode: tokenizer\n    args: {rnk: 4}"))
    with pytest.raises(ConfigError, match=re.escape("did you mean 'rank'?")):
        load_config(path)

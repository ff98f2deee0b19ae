"""``input_mode: tokenizer`` in an experiment config: a tiny grid trains end to end, and a
finished run reloads with its tokenizer's statistics (step 0 after each run's own normalisation:
``test_full_spectrum_fold.py``)."""

import re

import numpy as np
import pytest
import torch

from hsiadapt.experiment._values import ConfigError
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.sweep import run_sweep
from hsiadapt.models.tokenizer_install import find_tokenizer

from .conftest import write_tiny_config


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
    # support: seen (the default) ran after each optimizer step of the Lightning fit: the table
    # moved, and only where the training bands read it
    table = tok.mlp.weight.detach().double()
    reads = tok.mlp.responses(tok.centers, tok.fwhm)
    unseen = table - torch.linalg.pinv(reads, rtol=1e-5) @ (reads @ table)
    assert float(table.abs().max()) > 0
    assert float(unseen.abs().max()) < 1e-4 * float(table.abs().max())


def test_tokenizer_arguments_are_checked(tmp_path):
    path = write_tiny_config(tmp_path, adapters=("tokenizer",))
    path.write_text(path.read_text().replace("input_mode: tokenizer",
                                             "input_mode: tokenizer\n    args: {rnk: 4}"))
    with pytest.raises(ConfigError, match=re.escape("did you mean 'rank'?")):
        load_config(path)

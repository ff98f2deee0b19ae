"""A wavelength-aware torchgeo backbone in an experiment grid: ``input_mode: native`` with the
same recipe, head, run folder and results table as every other run; the batches' band table
(centres and FWHM) reaches the backbone."""

import pytest

from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.sweep import run_sweep

from .conftest import write_tiny_config


@pytest.mark.parametrize(("name", "args", "size"), [
    ("panopticon_vitb14", "{depth: 1, attn_dim: 32, img_size: 14}", 14),
    pytest.param("copernicusfm_base", "{depth: 1}", 16, marks=pytest.mark.slow),
    pytest.param("dofa_base", "{depth: 1}", 16, marks=pytest.mark.slow),
])
def test_native_grid_runs_and_scores(tmp_path, monkeypatch, name, args, size):
    from hsiadapt.models.backbones import base

    seen = []
    features = base.Backbone.features

    def spy(self, x, wavelengths=None, fwhm=None):
        seen.append((x.shape[1], None if wavelengths is None else wavelengths.shape,
                     None if fwhm is None else fwhm.shape))
        return features(self, x, wavelengths, fwhm)

    monkeypatch.setattr(base.Backbone, "features", spy)
    path = write_tiny_config(tmp_path, seeds=(0,), adapters=("native",))
    text = path.read_text().replace("image_size: 16", f"image_size: {size}")
    text = text.replace("  - name: stub\n    pretrained: false",
                        f"  - name: {name}\n    pretrained: false\n    args: {args}")
    path.write_text(text)
    cfg = load_config(path)
    [res] = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert res.status == "finished", res.error
    rec = read_record(tmp_path / "runs" / res.run_id)
    assert rec is not None and rec.model == name and rec.input_mode == "native"
    assert rec.weights == "random" and 0.0 <= rec.test["miou"] <= 1.0
    # every forward got the 202 EnMAP bands with their centres and FWHM, batch-shaped
    assert seen and all(c == 202 and w is not None and w[-1] == 202 and f is not None
                        and f[-1] == 202 for c, w, f in seen)

"""hsiadapt's input stages from terratorch: ``configs/terratorch/tiny_tokenizer.yaml`` trains
for one epoch through terratorch's own CLI (``terratorch fit -c``, in process), and
``hsiadapt_spectral`` is built from terratorch's backbone registry for each input mode."""

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "terratorch" / "tiny_tokenizer.yaml"
BANDS = ROOT / "tests" / "data" / "terratorch_tiny" / "root" / "wavelengths.csv"


def test_terratorch_fit_runs_the_config(tmp_path, monkeypatch):
    from terratorch.cli_tools import build_lightning_cli

    from hsiadapt.models.terratorch_plugin import HSISpectralBackbone
    from hsiadapt.models.tokenizer_install import find_tokenizer

    monkeypatch.chdir(ROOT)  # the config's paths are relative to the repository root
    monkeypatch.setattr("sys.argv", ["terratorch"])
    # terratorch's CLI sets GDAL options in os.environ for good (terratorch==1.2.11:
    # terratorch/cli_tools.py:580 `os.environ.update(rasterio_best_practices)`), among them
    # GDAL_DISABLE_READDIR_ON_OPEN=EMPTY_DIR, which hides ENVI headers from later readers
    monkeypatch.setattr("os.environ", dict(os.environ))
    torch.manual_seed(0)
    cli = build_lightning_cli(["fit", "-c", str(CONFIG), "--trainer.default_root_dir",
                               str(tmp_path)])
    assert cli.trainer.state.finished and cli.trainer.current_epoch == 1
    assert torch.isfinite(torch.as_tensor(cli.trainer.callback_metrics["train/loss"]))
    backbone = cli.model.model.encoder
    assert isinstance(backbone, HSISpectralBackbone)
    tok = find_tokenizer(backbone)
    assert tok is not None and tok.source is not None and len(tok.source) == 16
    # the tokenizer's shared part starts at zero and was trained end to end by terratorch's task
    assert float(tok.offset().detach().abs().max()) > 0


@pytest.mark.parametrize(("mode", "gfm", "args"), [
    ("select", "terramind_v1_tiny", {}),
    ("srf", "terramind_v1_tiny", {}),
    ("tokenizer", "terramind_v1_tiny", {}),
    ("native", "copernicusfm_base", {"depth": 1}),
])
def test_registered_in_terratorch_backbone_registry(mode, gfm, args):
    from terratorch.registry import BACKBONE_REGISTRY

    import hsiadapt.models.terratorch_plugin  # noqa: F401  (registers)

    assert "hsiadapt_spectral" in BACKBONE_REGISTRY
    bb = BACKBONE_REGISTRY.build("hsiadapt_spectral", source=str(BANDS), input_mode=mode,
                                 gfm=gfm, pretrained=False, backbone_args=args)
    x = torch.rand(2, 16, 32, 32)
    with torch.no_grad():
        feats = bb(x)
    assert len(feats) == len(bb.out_channels) and feats[-1].shape == (2, 4, bb.out_channels[-1])
    with pytest.raises(ValueError, match="built for 16 bands"):
        bb(torch.rand(1, 12, 32, 32))

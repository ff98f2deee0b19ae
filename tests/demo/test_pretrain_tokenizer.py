"""``hsiadapt pretrain --tokenizer``: only the tokenizer's learned part trains, behind a frozen
prior; the result holds nothing per sensor and a fine-tuning run starts from it."""

import dataclasses

import numpy as np
import pytest
import torch

from hsiadapt.cli import main
from hsiadapt.demo.pretrain import PretrainRecipe
from hsiadapt.demo.pretrain_tokenizer import (
    Residual,
    TokenizerRecipe,
    pretrain_tokenizer,
    train_tokenizer,
)
from hsiadapt.models.backbones import build_backbone
from hsiadapt.models.model import build_model
from hsiadapt.models.tokenizer_install import find_tokenizer, install_tokenizer
from hsiadapt.models.tokenizer_options import tokenizer_defaults
from hsiadapt.spectral import build_map, get_sensor

ARGS = {"init": "select", "gain": 10.0, "offset": "mlp"}
TINY = TokenizerRecipe(prior=PretrainRecipe(corpus_chips=8, steps=2, batch_size=2, chip=32),
                       args=ARGS, corpus_chips=8, steps=3, batch_size=2)


def test_training_changes_only_the_tokenizers_learned_part():
    enmap, s2 = get_sensor("enmap_spectralearth"), get_sensor("sentinel2_l2a")
    torch.manual_seed(0)
    bb = build_backbone("terramind_v1_tiny", pretrained=False, bands=list(s2.names))
    tok = install_tokenizer(bb, enmap, s2, **ARGS)
    rng = np.random.default_rng(0)
    # smooth spectra with narrow dips, so the residual beyond the S2 bands is not zero
    chips = (rng.uniform(0.1, 0.5, (4, 202, 1, 1)) + 0.05 * rng.standard_normal((4, 202, 32, 32))
             ).astype(np.float32) * 1e4
    residual = Residual(chips, build_map(enmap, s2, "select").matrix)
    tok.set_bands(enmap, residual.mean, residual.std)
    tok.set_target_statistics(residual.tmean, residual.tstd)
    before = {k: v.clone() for k, v in bb.module.state_dict().items()}
    losses = train_tokenizer(bb, tok, lambda step: chips[:2], residual, steps=3, lr=1e-2,
                             echo=lambda s: None)
    assert losses[0] == pytest.approx(1.0)  # the head starts at zero: relative loss 1
    after = bb.module.state_dict()
    learned = {k for k in after if ".proj.mlp." in k or k.endswith(".proj.basis")}
    assert len(learned) == 7  # the tokenizer's MLP (3 layers) and basis
    changed = {k for k in after if not torch.equal(before[k], after[k])}
    assert changed <= learned  # the prior, W and the transformer are untouched
    assert changed >= {k for k in learned if "mlp.4" in k or k.endswith(".basis")}
    assert all(v.requires_grad for v in bb.module.parameters())  # handed back trainable


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory):
    return pretrain_tokenizer(TINY, cache_dir=tmp_path_factory.mktemp("cache"),
                              echo=lambda s: None, every=1)


def test_pretrained_tokenizer_is_cached_and_holds_nothing_per_sensor(pretrained):
    state = torch.load(pretrained, weights_only=True)
    # the args it was made with, completed with the defaults: a later change of a default
    # cannot make the file claim other args
    assert set(state) == {"mlp", "basis", "args"} and state["args"] == tokenizer_defaults(ARGS)
    assert ARGS.items() < state["args"].items()
    shapes = [v.shape for v in (state["basis"], *state["mlp"].values())]
    assert not any(202 in s for s in shapes)  # nothing per EnMAP band
    assert float(state["mlp"]["4.weight"].abs().max()) > 0  # it trained
    cache = pretrained.parent.parent
    lines: list[str] = []
    assert pretrain_tokenizer(TINY, cache_dir=cache, echo=lines.append) == pretrained
    assert not any("step" in ln for ln in lines)  # found, not trained again


def test_a_default_given_explicitly_is_the_same_pretrained_tokenizer():
    spelled = dataclasses.replace(TINY, args=tokenizer_defaults(TINY.args))
    assert spelled.key("p.pt") == TINY.key("p.pt")
    other = dataclasses.replace(TINY, args={**TINY.args, "quadrature": "fwhm"})
    assert other.key("p.pt") != TINY.key("p.pt")


@pytest.mark.parametrize("source", ["enmap_spectralearth", "prisma"])
def test_fine_tuning_starts_from_the_pretrained_tokenizer(pretrained, source):
    state = torch.load(pretrained, weights_only=True)
    model = build_model(task="segmentation", source=source, input_mode="tokenizer",
                        backbone="terramind_v1_tiny", num_outputs=3, pretrained=False,
                        adapter_args={**ARGS, "pretrained": str(pretrained)})
    tok = find_tokenizer(model)
    assert tok is not None
    torch.testing.assert_close(tok.basis.detach(), state["basis"])
    assert float(tok.offset().detach().abs().max()) > 0  # no longer zero at step 0
    with pytest.raises(ValueError, match="pretrained.*made with args"):
        build_model(task="segmentation", source=source, input_mode="tokenizer",
                    backbone="terramind_v1_tiny", num_outputs=3, pretrained=False,
                    adapter_args={"init": "select", "offset": "mlp", "gain": 1.0,
                                  "pretrained": str(pretrained)})


def test_cli_pretrain_tokenizer(tmp_path, capsys):
    assert main(["pretrain", "--tokenizer", "--tokenizer-steps", "1", "--tokenizer-args",
                 "{init: select, gain: 10}", "--corpus-chips", "4", "--steps", "1",
                 "--batch-size", "2", "--chip", "32", "--cache-dir", str(tmp_path)]) == 0
    assert "pretrained: " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="tokenizer-args.*YAML mapping"):
        main(["pretrain", "--tokenizer", "--tokenizer-args", "[1, 2]",
              "--cache-dir", str(tmp_path)])

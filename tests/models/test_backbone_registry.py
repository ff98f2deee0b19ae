"""Every registered backbone, built from what its card declares (issue 19: a new entry is tested
without a list to edit): random weights, a tiny input laid out as its input policy asks, patch
tokens of the declared width; the declared patch embedding is a linear layer over the input."""

import inspect

import pytest
import torch

from hsiadapt.models.backbones import BACKBONES, build_backbone
from hsiadapt.spectral import get_sensor

#: cards at least this wide are large models: built in the slow selection only
LARGE_DIM = 1024


def _params(name):
    card = BACKBONES.get(name)
    marks = [pytest.mark.slow] if card.dim >= LARGE_DIM else []
    return pytest.param(name, marks=marks, id=name)


def _inputs(card):
    """Keyword arguments and channel count for a small input, by the card's input policy."""
    if card.input == "named_bands":
        assert card.target is not None, f"{card.name}: a named_bands backbone declares its target"
        names = get_sensor(card.target).names[:4]
        return {"bands": names}, len(names)
    if card.input == "channels":
        return {"in_chans": 5}, 5
    assert card.input == "wavelengths", f"{card.name}: unknown input policy {card.input!r}"
    return {}, 5


@pytest.mark.parametrize("name", [_params(n) for n in BACKBONES.names()])
def test_every_backbone_builds_and_gives_patch_tokens(name):
    card = BACKBONES.get(name)
    kwargs, c = _inputs(card)
    side = 2 * card.patch_size
    if "img_size" in inspect.signature(card.factory).parameters:  # input size fixed when built
        kwargs["img_size"] = side
    torch.manual_seed(0)
    bb = build_backbone(name, pretrained=False, **kwargs)
    assert bb.pretrained == "random" and bb.name == name
    assert (bb.dim, bb.patch_size) == (card.dim, card.patch_size)
    x = torch.rand(1, c, side, side)
    wl = torch.linspace(450, 2200, c)
    with torch.no_grad():
        feats = bb.features(x, wl if bb.wavelength_conditioned else None)
    assert feats[-1].shape == (1, 4, card.dim) and torch.isfinite(feats[-1]).all()
    if card.patch_embedding is not None:
        _, _, lin = card.patch_embedding(bb.module)
        assert isinstance(lin, torch.nn.Linear) and lin.in_features % c == 0
    if card.statistics is not None:
        stats = card.statistics()
        assert stats and all(s > 0 for _, s in stats.values())


def test_unknown_backbone_is_a_clear_error():
    with pytest.raises(KeyError, match="terramind_v1_tiny"):
        build_backbone("terramind_v1_tny", pretrained=False)

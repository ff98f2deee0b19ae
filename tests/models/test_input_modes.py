"""The input modes are registered objects: what each declares, the clear error for an unknown
one, and a new mode that needs no edit outside its own registration (issue 19)."""

import pytest
import torch

from hsiadapt.adapters import ADAPTERS
from hsiadapt.experiment._values import ConfigError
from hsiadapt.experiment.config import AdapterSpec
from hsiadapt.models.input_modes import MODES, InputMode, input_mode, input_modes, native_args
from hsiadapt.models.model import build_model


@pytest.mark.parametrize("name", input_modes())
def test_every_mode_declares_where_it_runs(name):
    mode = input_mode(name)
    assert mode.name == name
    fixed = name in ADAPTERS and not ADAPTERS.get(name).trainable
    assert (mode.runs_in == "data") == fixed
    # the folded embeddings bridge two normalisations; nothing else does
    assert mode.folds_normalization == (name in ("full_spectrum", "tokenizer"))
    assert callable(mode.arguments) and callable(mode.build)


def test_unknown_mode_lists_the_modes():
    with pytest.raises(ValueError, match=r"unknown input_mode 'bogus'.*full_spectrum.*tokenizer"):
        input_mode("bogus")
    with pytest.raises(ValueError, match="unknown input_mode 'bogus'"):
        build_model(task="segmentation", source="enmap_spectralearth", input_mode="bogus",
                    backbone="stub", num_outputs=3, pretrained=False)
    with pytest.raises(ConfigError, match="input_mode"):
        AdapterSpec(name="a", input_mode="bogus").validate("adapters[0]")


@pytest.fixture
def first_band_mode():
    """A new kind of input, registered the way a plug-in would: the first target-count source
    bands, unchanged (not useful, but every part of it is the mode's own)."""

    class FirstBands(torch.nn.Module):
        def __init__(self, n: int) -> None:
            super().__init__()
            self.n = n

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x[:, : self.n]

    def build(x):
        return FirstBands(len(x.target)), x.make(x.target.names, len(x.target))

    MODES.register("first_bands")(InputMode("first_bands", "model", False, native_args, build))
    yield "first_bands"
    MODES.unregister("first_bands")


def test_a_new_mode_is_one_registration(first_band_mode):
    assert first_band_mode in input_modes()
    AdapterSpec(name="fb", input_mode=first_band_mode).validate("adapters[0]")
    with pytest.raises(ValueError, match="has no argument .*'scale'"):
        AdapterSpec(name="fb", input_mode=first_band_mode, args={"scale": 2}).validate("a")
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode=first_band_mode,
                    backbone="stub", num_outputs=3, pretrained=False,
                    head_args={"channels": 8, "num_convs": 1})
    y = m(torch.rand(1, 202, 32, 32))
    assert y.shape == (1, 3, 32, 32) and torch.isfinite(y).all()

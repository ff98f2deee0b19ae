"""Input modes: how a run's HSI bands reach the backbone, one registered object each.

An :class:`InputMode` declares what the rest of the package needs to know about it, so nothing
switches on its name:

* ``runs_in``: ``"data"`` for a fixed adapter (applied in the data pipeline, where its output is
  cached; the model then takes the target bands), ``"model"`` otherwise;
* ``folds_normalization``: the mode rebuilds the backbone's patch embedding for the source bands
  and bridges two normalisations (it is given a
  :class:`~hsiadapt.models.fold.NormalizationFold`);
* ``arguments``: a function whose signature is what the config's adapter ``args`` may hold;
* ``build``: the input stage and the backbone for a :class:`ModeInputs`.

Every registered adapter is an input mode of its own (:func:`input_mode` makes it from the
adapter's class); the others are registered in :data:`MODES`: ``full_spectrum``, ``tokenizer``,
``native``. A new kind of input is one function plus one ``MODES.register`` line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from hsiadapt.adapters import ADAPTERS, build_adapter
from hsiadapt.models.backbones import Backbone
from hsiadapt.models.fold import NormalizationFold, expand_patch_embedding
from hsiadapt.models.tokenizer import tokenizer_args
from hsiadapt.models.tokenizer_install import install_tokenizer
from hsiadapt.registry import Registry
from hsiadapt.spectral import BandSet, build_map
from hsiadapt.spectral.resampling import DEFAULT_INTEGRATION

__all__ = ["DATA_ADAPTED", "MODES", "InputMode", "ModeInputs", "full_spectrum_args",
           "input_mode", "input_modes", "native_args"]

#: the initialisation a folded embedding starts from when ``init`` is not given
DEFAULT_INIT: Literal["srf", "select"] = "srf"


@dataclass(frozen=True)
class ModeInputs:
    """What a mode's ``build`` gets: the data's bands, the backbone's, the mode's arguments, and
    ``make(band_names, n_channels)``, which builds the backbone by the policy it declares."""

    source: BandSet
    target: BandSet
    args: dict[str, Any]
    extra_channels: int
    fold: NormalizationFold | None
    make: Callable[[list[str] | None, int], Backbone]


Build = Callable[[ModeInputs], tuple[nn.Module | None, Backbone]]


@dataclass(frozen=True)
class InputMode:
    """One way into the backbone (module docstring)."""

    name: str
    runs_in: Literal["data", "model"]
    folds_normalization: bool
    arguments: Callable[..., Any]
    build: Build


MODES: Registry[InputMode] = Registry("input_mode")


def full_spectrum_args(*, init: Literal["srf", "select"] = DEFAULT_INIT, coverage: str = "error",
                       integration: str = DEFAULT_INTEGRATION) -> None:
    """The arguments ``input_mode: full_spectrum`` takes: ``init``, the matrix the extended
    embedding starts from; ``coverage``, ``integration`` as for that adapter."""


def native_args() -> None:
    """``input_mode: native`` takes no arguments."""


def _map_args(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k in ("coverage", "integration")}


def _full_spectrum(x: ModeInputs) -> tuple[nn.Module | None, Backbone]:
    smap = build_map(x.source, x.target, x.args.get("init", DEFAULT_INIT), **_map_args(x.args))
    bb = x.make(smap.target.names, len(smap.target))
    expand_patch_embedding(bb, smap, extra_channels=x.extra_channels, fold=x.fold)
    return None, bb


def _tokenizer(x: ModeInputs) -> tuple[nn.Module | None, Backbone]:
    bb = x.make(x.target.names, len(x.target))
    install_tokenizer(bb, x.source, x.target, extra_channels=x.extra_channels, fold=x.fold,
                      **x.args)
    return None, bb


def _native(x: ModeInputs) -> tuple[nn.Module | None, Backbone]:
    return None, x.make(None, len(x.source))


def _adapted_upstream(x: ModeInputs) -> tuple[nn.Module | None, Backbone]:
    return None, x.make(x.target.names, len(x.target))


for _mode in (InputMode("full_spectrum", "model", True, full_spectrum_args, _full_spectrum),
              InputMode("tokenizer", "model", True, tokenizer_args, _tokenizer),
              InputMode("native", "model", False, native_args, _native)):
    MODES.register(_mode.name)(_mode)

#: the model side of a fixed adapter that ran in the data pipeline (``input_mode: none``): the
#: input already carries the target bands. Internal: not a choice in a config
DATA_ADAPTED = InputMode("none", "model", False, native_args, _adapted_upstream)


def _adapter_mode(name: str) -> InputMode:
    cls: Any = ADAPTERS.get(name)

    def build(x: ModeInputs) -> tuple[nn.Module | None, Backbone]:
        adapter = build_adapter(name, x.source, x.target, **x.args)
        return adapter, x.make(adapter.target.names, len(adapter.target))

    return InputMode(name, "model" if cls.trainable else "data", False, cls, build)


def input_modes() -> tuple[str, ...]:
    """Every input mode a config may name: each registered adapter, then :data:`MODES` in the
    order they were registered (``full_spectrum``, ``tokenizer``, ``native``)."""
    return (*ADAPTERS.names(), *MODES.in_order())


def input_mode(name: str) -> InputMode:
    """The input mode called ``name`` (``"none"``: :data:`DATA_ADAPTED`).

    Raises:
        ValueError: an unknown name; the message lists every mode.
    """
    if name in ADAPTERS:
        return _adapter_mode(name)
    if name in MODES:
        return MODES.get(name)
    if name == DATA_ADAPTED.name:
        return DATA_ADAPTED
    raise ValueError(f"unknown input_mode {name!r}: use one of "
                     f"{', '.join((*input_modes(), DATA_ADAPTED.name))}")

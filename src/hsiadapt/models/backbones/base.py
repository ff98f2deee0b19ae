"""What a backbone is, and what it declares about itself.

Every registry entry is a :class:`BackboneDef`: the factory plus what :func:`build_model` and the
run plan need to know *before* building it - the band set it was pretrained on, its pretraining
statistics, how it takes input channels, where its patch embedding is, its token layout - so
nothing above this package checks backbone names. A factory returns a :class:`Backbone`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from torch import nn

from hsiadapt.registry import Registry

__all__ = ["BACKBONES", "Backbone", "BackboneDef", "InputPolicy", "WeightsNotFoundError",
           "build_backbone", "check_ckpt"]

#: How a backbone takes its input channels:
#: ``named_bands`` - by band name of its pretraining sensor (``bands=``), patch-embedding weights
#: selected by name (TerraMind, Prithvi); ``channels`` - any number (``in_chans=``); ``wavelengths``
#: - any number, conditioned on the band table (DOFA, Copernicus-FM, Panopticon).
InputPolicy = Literal["named_bands", "channels", "wavelengths"]


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights were asked for but cannot be had (offline, not cached, no file)."""


@dataclass
class Backbone:
    """A built feature extractor returning a list of per-layer patch-token tensors ``(B, N, D)``.

    Attributes:
        module: the network; ``module(x)`` (and for wavelength-conditioned models
            ``module(x, wavelengths)``) returns the list of layer outputs.
        name: registry name.
        bands: band names it consumes, in order (``None``: any bands).
        dim: token width.
        patch_size: pixels per token side.
        pretrained: ``"hf"``, ``"torchgeo"``, ``"ckpt:<path>"`` or ``"random"``.
        wavelength_conditioned: takes the band wavelengths as a second input (DOFA).
    """

    module: nn.Module
    name: str
    bands: list[str] | None
    dim: int
    patch_size: int
    pretrained: str
    wavelength_conditioned: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def features(self, x: torch.Tensor, wavelengths: torch.Tensor | None = None,
                 fwhm: torch.Tensor | None = None) -> list[torch.Tensor]:
        """Per-layer patch tokens of ``x``; a wavelength-conditioned backbone also reads the
        band centres and (when it uses them, e.g. Copernicus-FM) the FWHM, in nm, ``(C,)`` or
        ``(B, C)``; unknown FWHM may be ``None`` or NaN."""
        if self.wavelength_conditioned:
            if wavelengths is None:
                raise ValueError(f"backbone {self.name} needs the band wavelengths")
            return self.module(x, wavelengths, fwhm)
        return self.module(x)


PatchEmbedding = Callable[[nn.Module], tuple[nn.Module, str, nn.Linear]]


@dataclass(frozen=True)
class BackboneDef:
    """A registered backbone: its factory and what it declares about itself.

    Attributes:
        name: registry name.
        factory: ``factory(bands=, pretrained=, ckpt_path=, **kw) -> Backbone``.
        input: how it takes channels (:data:`InputPolicy`).
        target: the sensor (``hsiadapt.spectral`` name) whose bands it was pretrained on;
            ``None`` for backbones that take any bands.
        dim, patch_size: token width and pixels per token side.
        statistics: pretraining mean/std per band name (in the pretraining data's units), when
            known: ``statistics() -> {band: (mean, std)}``.
        patch_embedding: ``patch_embedding(module) -> (parent, attribute, nn.Linear)``, the
            patch projection with inputs laid out as ``(ph, pw, band)``; ``None`` when the
            full-spectrum embedding is not supported.
        extra_channels: keyword that names extra (non-sensor) input channels such as the
            validity mask (``"new_bands"`` for TerraMind); ``None`` - a ``channels`` backbone
            just gets more channels, a ``named_bands`` one cannot take them.
        token_layout: what ``features`` returns; every backbone here gives patch tokens in
            row-major grid order, prefix (CLS) tokens removed.
        default_pretrained: what ``pretrained`` means when a config leaves it out.
    """

    name: str
    factory: Callable[..., Backbone]
    input: InputPolicy
    target: str | None
    dim: int
    patch_size: int = 16
    statistics: Callable[[], dict[str, tuple[float, float]]] | None = None
    patch_embedding: PatchEmbedding | None = None
    extra_channels: str | None = None
    token_layout: Literal["patch_grid"] = "patch_grid"
    default_pretrained: bool = True

    def __call__(self, **kwargs: Any) -> Backbone:
        return self.factory(**kwargs)

    def pretraining_statistics(self, bands: Sequence[str]) -> tuple[list[float], list[float]]:
        """Pretraining mean and std of the named bands.

        Raises:
            ValueError: no statistics are known for this backbone, or for one of the bands.
        """
        if self.statistics is None:
            raise ValueError(f"no pretraining statistics are known for backbone {self.name!r}; "
                             "use normalization: data (statistics of your training split)")
        table = self.statistics()
        missing = [b for b in bands if b not in table]
        if missing:
            raise ValueError(f"{self.name} has no statistics for bands {missing} (pretraining "
                             f"statistics are known for {list(table)})")
        return [table[b][0] for b in bands], [table[b][1] for b in bands]


#: Registry of backbones: name -> :class:`BackboneDef`.
BACKBONES: Registry[BackboneDef] = Registry("backbone")


def register_backbone(card: BackboneDef) -> BackboneDef:
    """Register ``card`` under its name."""
    return BACKBONES.register(card.name)(card)


def build_backbone(name: str, **kwargs: Any) -> Backbone:
    """Build a registered backbone (``BACKBONES.names()``)."""
    return BACKBONES.get(name)(**kwargs)


def check_ckpt(ckpt_path: str | os.PathLike | None) -> Path | None:
    """The checkpoint path, checked to exist (``None`` passes through)."""
    if ckpt_path is None:
        return None
    p = Path(ckpt_path)
    if not p.is_file():
        raise WeightsNotFoundError(f"checkpoint {p} does not exist; set ckpt_path to the path of a "
                                   "local weights file (.pt / .pth / .safetensors)")
    return p

"""hsiadapt's spectral input stages inside terratorch models, through terratorch's own registry.

Importing this module registers one backbone, ``hsiadapt_spectral``, in terratorch's
``TERRATORCH_BACKBONE_REGISTRY`` (terratorch 1.2.11 ``terratorch/registry/registry.py``: l.157
``def register(self, constructor: Callable | type) -> Callable:`` keys it by the function's
``__name__``). terratorch's ``EncoderDecoderFactory`` builds it from a config's
``model_args: {backbone: hsiadapt_spectral, backbone_source: ..., backbone_input_mode: ...}``
(its ``backbone_`` keys become our arguments) and puts terratorch's necks, decoder and head
after it. A config loads this module through terratorch's documented hook for third-party
components, ``custom_modules_path`` (``cli_tools.py`` l.503 ``parser.add_argument(
"--custom_modules_path", type=str, default=None)``), pointing at a folder whose ``__init__.py``
imports it (``configs/terratorch/custom_modules``). See ``docs/terratorch.md``.

The module is: the input mode (a fixed adapter - ``select``, ``srf`` -, a trainable one,
``full_spectrum``, ``tokenizer`` or ``native``) -> an hsiadapt backbone, returning its per-layer
patch tokens ``(B, N, D)`` (no CLS token) as terratorch's ViT necks expect. The band table of the
data is fixed when it is built (``source``: a sensor name or a band-table file); a wavelength-aware
backbone is given it with every batch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from hsiadapt.models.backbones import Backbone
from hsiadapt.models.model import build_model
from hsiadapt.spectral import BandSet
from hsiadapt.spectral.io import load_bandset

__all__ = ["HSISpectralBackbone", "hsiadapt_spectral", "register"]


class HSISpectralBackbone(nn.Module):
    """``input stage -> backbone`` with terratorch's backbone contract: ``out_channels`` (one
    width per returned layer) and ``forward(x) -> list[Tensor]``."""

    wavelengths: torch.Tensor
    fwhm: torch.Tensor

    def __init__(self, adapter: nn.Module | None, backbone: Backbone, source: BandSet) -> None:
        super().__init__()
        self.adapter = adapter
        self.backbone_info = backbone
        self.backbone = backbone.module
        self.patch_size = backbone.patch_size
        self.source = source
        self.register_buffer("wavelengths", torch.as_tensor(source.centers, dtype=torch.float32),
                             persistent=False)
        self.register_buffer("fwhm", torch.as_tensor(source.fwhm, dtype=torch.float32),
                             persistent=False)
        with torch.no_grad():
            probe = torch.zeros(1, len(source), self.patch_size, self.patch_size)
            n_layers = len(self._features(probe))
        self.out_channels = [backbone.dim] * n_layers

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        if self.adapter is not None:
            x = self.adapter(x)
        return self.backbone_info.features(x, self.wavelengths, self.fwhm)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.shape[1] != len(self.source):
            raise ValueError(f"hsiadapt_spectral was built for {len(self.source)} bands "
                             f"(backbone_source), got {x.shape[1]}: give the data's band table")
        return self._features(x)


def hsiadapt_spectral(*, source: str, input_mode: str = "srf",
                      gfm: str = "terramind_v1_tiny", target: str = "sentinel2_l2a",
                      pretrained: bool = True, ckpt_path: str | None = None,
                      adapter_args: dict[str, Any] | None = None,
                      backbone_args: dict[str, Any] | None = None) -> HSISpectralBackbone:
    """An hsiadapt input stage and backbone for a terratorch model (module docstring).

    Args:
        source: the data's band table: a sensor name (``hsiadapt sensors``) or a file.
        input_mode: ``select``, ``srf``, ``linear``, ``spectral_conv``, ``full_spectrum``,
            ``tokenizer`` or ``native``, as in an hsiadapt config.
        gfm: an hsiadapt backbone name (``hsiadapt.models.backbones.BACKBONES``; named so
            that terratorch's ``backbone_`` prefix does not double up); target: the bands it
            was pretrained on.
        pretrained, ckpt_path: its weights (as in an hsiadapt config's backbone entry).
        adapter_args, backbone_args: the input mode's and the backbone's arguments.
    """
    bands = load_bandset(source)
    built = build_model(task="segmentation", source=bands, input_mode=input_mode,
                        backbone=gfm, target=target, num_outputs=1, pretrained=pretrained,
                        ckpt_path=ckpt_path, adapter_args=adapter_args,
                        backbone_args=backbone_args, head_args={"channels": 8, "num_convs": 1})
    return HSISpectralBackbone(built.adapter, built.backbone_info, bands)


def register() -> None:
    """Register :func:`hsiadapt_spectral` in terratorch's backbone registry (idempotent)."""
    from terratorch.registry import TERRATORCH_BACKBONE_REGISTRY

    if hsiadapt_spectral.__name__ not in TERRATORCH_BACKBONE_REGISTRY:
        TERRATORCH_BACKBONE_REGISTRY.register(hsiadapt_spectral)


register()

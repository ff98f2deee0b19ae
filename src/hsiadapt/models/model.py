"""An adapted model: spectral input strategy + backbone + task head.

Input strategies:

* an adapter in front (``select``, ``srf``, ``linear``, ``spectral_conv``): the backbone is built
  for the adapter's output bands (by name, so dropped bands are simply absent);
* ``full_spectrum``: no adapter; the backbone's pretrained patch embedding is extended to every
  HSI band, initialised as the product of the pretrained weights and the ``select`` or ``srf``
  matrix - at step 0 the model computes exactly what ``adapter -> backbone`` computes, and
  fine-tuning can then use all bands;
* ``native``: the backbone takes the HSI bands itself (HSI-native ViT, DOFA).

Optionally the validity mask is appended as one more input channel (the study feeds the
HYPERVIEW field mask as a 13th channel); its patch-embedding weights start random.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from hsiadapt.models.backbones import BACKBONES, Backbone, build_backbone
from hsiadapt.models.fold import NormalizationFold, expand_patch_embedding
from hsiadapt.models.heads import HEADS
from hsiadapt.models.input_modes import ModeInputs, input_modes
from hsiadapt.models.input_modes import input_mode as get_input_mode
from hsiadapt.models.precision import DEFAULT_PRECISION, apply_precision, matmul_precision_for
from hsiadapt.spectral import BandSet, get_sensor
from hsiadapt.spectral.io import load_bandset

__all__ = ["INPUT_MODES", "AdaptedModel", "NormalizationFold", "build_model",
           "expand_patch_embedding", "input_modes"]

#: the input modes at import (adapters registered later, e.g. by a plug-in, join
#: ``input_modes()``; the modes themselves: :mod:`hsiadapt.models.input_modes`)
INPUT_MODES = input_modes()
MASK_BAND = "MASK"


class AdaptedModel(nn.Module):
    """``adapter -> backbone -> head``; call with ``(x, valid=None, wavelengths=None)``."""

    def __init__(self, adapter: nn.Module | None, backbone: Backbone, head: nn.Module, *,
                 mask_channel: bool = False, input_mode: str = "adapter") -> None:
        super().__init__()
        self.adapter = adapter
        self.backbone_info = backbone
        self.backbone = backbone.module
        self.head = head
        self.mask_channel = mask_channel
        self.input_mode = input_mode
        self.precision: str = DEFAULT_PRECISION  # set by build_model
        self.matmul_precision: str = torch.get_float32_matmul_precision()

    def forward(self, x: torch.Tensor, valid: torch.Tensor | None = None,
                wavelengths: torch.Tensor | None = None,
                fwhm: torch.Tensor | None = None) -> torch.Tensor:
        size = tuple(x.shape[-2:])
        p = self.backbone_info.patch_size
        if size[0] % p or size[1] % p:
            raise ValueError(f"input {size} is not a multiple of the backbone's patch size {p}; "
                             "resize or pad the chips (data module size=...)")
        if self.adapter is not None:
            x = self.adapter(x)
            if wavelengths is not None and self.backbone_info.wavelength_conditioned:
                # the backbone sees the adapter's bands, not the batch's (a learned adapter in
                # front of a wavelength-aware backbone, e.g. linear -> DOFA)
                target: BandSet = getattr(self.adapter, "target")  # noqa: B009
                wavelengths = torch.as_tensor(target.centers, dtype=x.dtype, device=x.device)
                fwhm = torch.as_tensor(target.fwhm, dtype=x.dtype, device=x.device)
        if self.mask_channel:
            m = valid if valid is not None else torch.ones(x.shape[0], *size, device=x.device)
            x = torch.cat([x, m[:, None].to(x.dtype)], dim=1)
        feats = self.backbone_info.features(x, wavelengths, fwhm)
        return self.head(feats, size, p, valid)


def build_model(
    *,
    task: Literal["segmentation", "regression", "multilabel"],
    source: BandSet | str,
    input_mode: str = "srf",
    backbone: str = "terramind_v1_base",
    target: BandSet | str = "sentinel2_l2a",
    num_outputs: int,
    pretrained: bool = True,
    ckpt_path: str | None = None,
    adapter_args: dict[str, Any] | None = None,
    head_args: dict[str, Any] | None = None,
    backbone_args: dict[str, Any] | None = None,
    mask_channel: bool = False,
    full_spectrum_init: Literal["srf", "select"] | None = None,
    full_spectrum_fold: NormalizationFold | None = None,
    precision: str = DEFAULT_PRECISION,
) -> AdaptedModel:
    """Assemble a model for one task.

    Args:
        task: head type.
        source: the HSI bands the data carry.
        input_mode: an adapter name (``select``, ``srf``, ``linear``, ``spectral_conv``),
            ``"full_spectrum"``, ``"native"`` (backbone consumes the HSI bands), or ``"none"``
            (data already adapted upstream, e.g. by the data module or its cache: the input
            carries the target bands).
        backbone: registered backbone name.
        target: the bands the backbone was pretrained on.
        num_outputs: classes or targets.
        pretrained, ckpt_path: backbone weights (see :mod:`hsiadapt.models.backbones`).
        adapter_args: for the adapter (``coverage``, ``integration``, ``init``...).
        head_args: for the head (``channels``, ``dropout``, ``hidden``...).
        backbone_args: extra backbone arguments.
        mask_channel: append the validity mask as an input channel.
        full_spectrum_init: matrix that initialises the full-spectrum embedding.
        full_spectrum_fold: the normalisations to fold into it (see
            :func:`expand_patch_embedding`), so step 0 equals the adapter run after
            normalisation.
        precision: the Lightning precision the model will run in; the process's float32 matmul
            precision is set from it once the backbone is built (terratorch's import lowers it;
            see :mod:`hsiadapt.models.precision`).
    """
    matmul_precision_for(precision)  # an unknown precision fails before anything is built
    mode = get_input_mode(input_mode)  # an unknown mode fails before anything is built
    src = source if isinstance(source, BandSet) else load_bandset(source)
    dst = target if isinstance(target, BandSet) else get_sensor(target)
    extra = [MASK_BAND] if mask_channel else []
    make = _backbone_maker(backbone, extra, pretrained=pretrained, ckpt_path=ckpt_path,
                           backbone_args=backbone_args)
    args = dict(adapter_args or {})
    if mode.folds_normalization and full_spectrum_init is not None:
        args.setdefault("init", full_spectrum_init)
    adapter, bb = mode.build(ModeInputs(src, dst, args, len(extra), full_spectrum_fold, make))
    if task not in HEADS:
        raise ValueError(f"unknown task {task!r}: {', '.join(HEADS.names())}")
    head = HEADS.get(task)(bb.dim, num_outputs, **dict(head_args or {}))
    model = AdaptedModel(adapter, bb, head, mask_channel=mask_channel, input_mode=input_mode)
    model.precision = precision
    model.matmul_precision = apply_precision(precision)
    return model


def _backbone_maker(backbone: str, extra: list[str], *, pretrained: bool, ckpt_path: str | None,
                    backbone_args: dict[str, Any] | None) -> Any:
    """``make(band_names, n_channels)``: the backbone for these input bands, by the policy its
    card declares (named bands, a channel count, or wavelengths), plus the ``extra`` channels."""
    card = BACKBONES.get(backbone)

    def make(bands: list[str] | None, n_channels: int) -> Backbone:
        kw = dict(backbone_args or {})
        if extra:
            if card.extra_channels is not None:
                kw.setdefault(card.extra_channels, extra)
            elif card.input == "named_bands":
                raise ValueError(f"backbone {backbone!r} cannot take the extra mask channel; "
                                 "set the recipe's mask_channel to false")
        if card.input == "channels":
            kw.setdefault("in_chans", n_channels + len(extra))
        if card.input != "wavelengths" and bands is not None:
            kw["bands"] = bands + extra
        return build_backbone(backbone, pretrained=pretrained, ckpt_path=ckpt_path, **kw)

    return make

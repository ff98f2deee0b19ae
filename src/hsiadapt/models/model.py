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

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from hsiadapt.adapters import ADAPTERS, build_adapter
from hsiadapt.models.backbones import BACKBONES, Backbone, build_backbone
from hsiadapt.models.heads import MultiLabelHead, RegressionHead, SegmentationHead
from hsiadapt.models.precision import DEFAULT_PRECISION, apply_precision, matmul_precision_for
from hsiadapt.models.tokenizer import install_tokenizer
from hsiadapt.spectral import BandSet, SpectralMap, build_map, get_sensor
from hsiadapt.spectral.io import load_bandset

__all__ = ["INPUT_MODES", "AdaptedModel", "NormalizationFold", "build_model", "expand_patch_embedding", "input_modes"]

#: the built-in input modes (adapters registered later, e.g. by a plug-in, join ``input_modes()``)
INPUT_MODES = (*ADAPTERS.names(), "full_spectrum", "tokenizer", "native")


def input_modes() -> tuple[str, ...]:
    """Every input mode: each registered adapter, ``full_spectrum``, ``tokenizer``, ``native``."""
    return (*ADAPTERS.names(), "full_spectrum", "tokenizer", "native")
MASK_BAND = "MASK"


@dataclass(frozen=True)
class NormalizationFold:
    """The two normalisations a full-spectrum embedding must bridge: the full-spectrum run
    normalises the source bands (``source_mean``/``source_std``), the adapter run it starts from
    normalised the adapted bands (``target_mean``/``target_std``). Zero std counts as 1 (as
    :class:`hsiadapt.data.transforms.Normalize` does)."""

    source_mean: np.ndarray
    source_std: np.ndarray
    target_mean: np.ndarray
    target_std: np.ndarray


def expand_patch_embedding(backbone: Backbone, spectral_map: SpectralMap,
                           extra_channels: int = 0, fold: NormalizationFold | None = None) -> None:
    """Replace the backbone's patch embedding for the map's target bands by one for its source
    bands: ``W'[d, p, j] = sum_k W[d, p, k] * M[j, k]`` (plus ``extra_channels`` trailing
    channels kept from the old embedding). In place.

    With ``fold``, step 0 equals the adapter run *after normalisation*: the adapter run sees
    ``z_k = (sum_j M[j, k] x_j - m_k) / s_k``, the full-spectrum run ``u_j = (x_j - r_j) / q_j``,
    so ``z_k = sum_j M[j, k] q_j / s_k * u_j + (sum_j M[j, k] r_j - m_k) / s_k``: the matrix is
    scaled by ``q_j / s_k`` and the constant goes into the embedding's bias."""
    card = BACKBONES.get(backbone.name)
    if card.patch_embedding is None:
        supported = [n for n in BACKBONES.names() if BACKBONES.get(n).patch_embedding is not None]
        raise NotImplementedError(f"full_spectrum input needs a patch embedding to extend; backbone "
                                  f"{backbone.name!r} declares none (supported: {supported})")
    parent, attr, lin = card.patch_embedding(backbone.module)
    n_tgt = len(spectral_map.target) + extra_channels
    d, fan_in = lin.weight.shape
    if fan_in % n_tgt:
        raise ValueError(f"patch embedding has {fan_in} inputs, not a multiple of {n_tgt} bands")
    pix = fan_in // n_tgt
    w = lin.weight.detach().reshape(d, pix, n_tgt)
    k_tgt = len(spectral_map.target)
    mat = np.asarray(spectral_map.matrix, dtype=np.float64)  # (C_in, K)
    shift = None
    if fold is not None:
        q = np.where(fold.source_std > 0, fold.source_std, 1.0).astype(np.float64)
        s = np.where(fold.target_std > 0, fold.target_std, 1.0).astype(np.float64)
        if q.shape != (mat.shape[0],) or s.shape != (k_tgt,):
            raise ValueError(f"normalisation fold has {q.shape[0]} source / {s.shape[0]} target "
                             f"statistics for a {mat.shape[0]} x {k_tgt} map")
        shift = (mat.T @ np.asarray(fold.source_mean, np.float64)
                 - np.asarray(fold.target_mean, np.float64)) / s  # (K,)
        mat = mat * q[:, None] / s[None, :]
    m = torch.as_tensor(mat, dtype=w.dtype)
    new = torch.einsum("dpk,jk->dpj", w[..., :k_tgt], m)
    if extra_channels:
        new = torch.cat([new, w[..., k_tgt:]], dim=-1)
    c_in = new.shape[-1]
    bias = lin.bias.detach() if lin.bias is not None else None
    if shift is not None:
        add = torch.einsum("dpk,k->d", w[..., :k_tgt], torch.as_tensor(shift, dtype=w.dtype))
        bias = add if bias is None else bias + add
    layer = nn.Linear(pix * c_in, d, bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(new.reshape(d, pix * c_in))
        if bias is not None:
            layer.bias.copy_(bias)
    setattr(parent, attr, layer)


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
    full_spectrum_init: Literal["srf", "select"] = "srf",
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
    src = source if isinstance(source, BandSet) else load_bandset(source)
    dst = target if isinstance(target, BandSet) else get_sensor(target)
    adapter_args = dict(adapter_args or {})
    card = BACKBONES.get(backbone)
    extra = [MASK_BAND] if mask_channel else []

    def make(bands: list[str] | None, n_channels: int) -> Backbone:
        """Build the backbone for these input bands, by the policy it declares."""
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

    adapter = None
    if input_mode in ADAPTERS:
        adapter = build_adapter(input_mode, src, dst, **adapter_args)
        bb = make(adapter.target.names, len(adapter.target))
    elif input_mode == "none":
        bb = make(dst.names, len(dst))
    elif input_mode == "full_spectrum":
        smap = build_map(src, dst, full_spectrum_init,
                         **{k: v for k, v in adapter_args.items() if k in ("coverage",
                                                                            "integration")})
        bb = make(smap.target.names, len(smap.target))
        expand_patch_embedding(bb, smap, extra_channels=len(extra), fold=full_spectrum_fold)
    elif input_mode == "tokenizer":  # see hsiadapt.models.tokenizer
        bb = make(dst.names, len(dst))
        install_tokenizer(bb, src, dst, extra_channels=len(extra), fold=full_spectrum_fold,
                          **adapter_args)
    elif input_mode == "native":
        bb = make(None, len(src))
    else:
        raise ValueError(f"unknown input_mode {input_mode!r}: use one of "
                         f"{', '.join((*input_modes(), 'none'))}")
    hargs = dict(head_args or {})
    if task == "segmentation":
        head: nn.Module = SegmentationHead(bb.dim, num_outputs, **hargs)
    elif task == "regression":
        head = RegressionHead(bb.dim, num_outputs, **hargs)
    elif task == "multilabel":
        head = MultiLabelHead(bb.dim, num_outputs, **hargs)
    else:
        raise ValueError(f"unknown task {task!r}: segmentation, regression or multilabel")
    model = AdaptedModel(adapter, bb, head, mask_channel=mask_channel, input_mode=input_mode)
    model.precision = precision
    model.matmul_precision = apply_precision(precision)
    return model

"""Backbones: a thin typed layer over terratorch (and torchgeo/timm for the HSI-native ViT).

Every backbone entry returns a :class:`Backbone`: the module, which bands it takes (by name, in
order), its token width, patch size, and whether its weights are pretrained - recorded so a run
says so. ``pretrained=True`` loads official weights (Hugging Face cache through terratorch);
``ckpt_path=`` loads a local file; with neither, weights are random only because the caller
asked for ``pretrained=False``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from hsiadapt.models.precision import import_terratorch
from hsiadapt.registry import Registry

__all__ = ["BACKBONES", "Backbone", "WeightsNotFoundError", "build_backbone"]

log = logging.getLogger(__name__)

#: Registry of backbone factories: name -> callable(bands, pretrained, ckpt_path, **kw).
BACKBONES: Registry[Callable[..., Backbone]] = Registry("backbone")


class WeightsNotFoundError(FileNotFoundError):
    """Pretrained weights were asked for but cannot be had (offline, not cached, no file)."""


@dataclass
class Backbone:
    """A feature extractor returning a list of per-layer token tensors ``(B, N, D)``.

    Attributes:
        module: the network; ``module(x)`` (and for wavelength-conditioned models
            ``module(x, wavelengths)``) returns the list of layer outputs.
        name: registry name.
        bands: band names it consumes, in order (``None``: any bands, wavelength-conditioned).
        dim: token width.
        patch_size: pixels per token side.
        pretrained: ``"hf"``, ``"ckpt:<path>"`` or ``"random"``.
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

    def features(self, x: torch.Tensor, wavelengths: torch.Tensor | None = None) -> list[torch.Tensor]:
        if self.wavelength_conditioned:
            if wavelengths is None:
                raise ValueError(f"backbone {self.name} needs the band wavelengths")
            return self.module(x, wavelengths)
        return self.module(x)


def build_backbone(name: str, **kwargs: Any) -> Backbone:
    """Build a registered backbone (``BACKBONES.names()``)."""
    return BACKBONES.get(name)(**kwargs)


def _check_ckpt(ckpt_path: str | os.PathLike | None) -> Path | None:
    if ckpt_path is None:
        return None
    p = Path(ckpt_path)
    if not p.is_file():
        raise WeightsNotFoundError(f"checkpoint {p} does not exist; pass the path of a local "
                                   "weights file (.pt / .pth / .safetensors)")
    return p


def _hf_cached(repo_id: str, filename: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    hit = try_to_load_from_cache(repo_id=repo_id, filename=filename)
    return hit if isinstance(hit, str) else None


def _offline_error(what: str, repo_id: str, filename: str, err: Exception | None) -> WeightsNotFoundError:
    cache = os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME") or "~/.cache/huggingface"
    return WeightsNotFoundError(
        f"pretrained weights for {what} ({repo_id}/{filename}) are not in the Hugging Face cache "
        f"({cache}) and could not be downloaded"
        + (f" ({type(err).__name__})" if err else "")
        + ". Either (1) download them once with network access (e.g. `huggingface-cli download "
        f"{repo_id} {filename}`) so the cache has them, or (2) pass ckpt_path=/path/to/{filename}. "
        "Random initialisation is used only when you ask for pretrained=False."
    )


# -- TerraMind ----------------------------------------------------------------------------------
_TERRAMIND = {
    "terramind_v1_tiny": 192,
    "terramind_v1_small": 384,
    "terramind_v1_base": 768,
    "terramind_v1_large": 1024,
}


def _terramind(variant: str, dim: int) -> Callable[..., Backbone]:
    def factory(
        bands: Sequence[str] | None = None,
        pretrained: bool = True,
        ckpt_path: str | os.PathLike | None = None,
        new_bands: Sequence[str] = (),
        **kwargs: Any,
    ) -> Backbone:
        """TerraMind v1 ViT encoder on the S2L2A modality.

        Args:
            bands: S2L2A band names the input carries (default all 12); pretrained patch-embedding
                weights are selected by name (terratorch), so a dropped band is simply absent.
            pretrained: load the official weights (Hugging Face cache / download).
            ckpt_path: load a local weights file instead (takes precedence).
            new_bands: names in ``bands`` that are not S2L2A bands (e.g. ``"MASK"``); their
                patch-embedding weights start random.
        """
        tm = import_terratorch("terratorch.models.backbones.terramind.model.terramind_register")
        BACKBONE_REGISTRY = import_terratorch("terratorch.registry").BACKBONE_REGISTRY

        all_bands = list(tm.PRETRAINED_BANDS["untok_sen2l2a@224"])
        chosen = list(bands) if bands is not None else all_bands
        unknown = [b for b in chosen if b not in all_bands and b not in new_bands]
        if unknown:
            raise ValueError(f"{variant}: bands {unknown} are not TerraMind S2L2A bands {all_bands}")
        ckpt = _check_ckpt(ckpt_path)
        source = "random"
        build_kwargs: dict[str, Any] = dict(modalities=["S2L2A"], pretrained=False, **kwargs)
        if ckpt is not None:
            source = f"ckpt:{ckpt}"
        elif pretrained:
            info = tm.pretrained_weights[variant]
            path = _hf_cached(info["hf_hub_id"], info["hf_hub_filename"])
            if path is None:
                try:
                    from huggingface_hub import hf_hub_download

                    path = hf_hub_download(info["hf_hub_id"], info["hf_hub_filename"])
                except Exception as err:
                    raise _offline_error(variant, info["hf_hub_id"], info["hf_hub_filename"],
                                         err) from None
            ckpt, source = Path(path), "hf"
        if ckpt is not None:
            # terratorch's own loader: state dict loaded weights-only, then patch-embedding
            # weights selected by band name
            module = BACKBONE_REGISTRY.build(variant, ckpt_path=str(ckpt), **build_kwargs)
        else:
            module = BACKBONE_REGISTRY.build(variant, **build_kwargs)
        if chosen != all_bands:
            tm.select_modality_patch_embed_weights(module, {"S2L2A": chosen},
                                                   tm.PRETRAINED_BANDS)
        return Backbone(module=module, name=variant, bands=chosen, dim=dim, patch_size=16,
                        pretrained=source)

    factory.__name__ = variant
    return factory


for _name, _dim in _TERRAMIND.items():
    BACKBONES.register(_name)(_terramind(_name, _dim))


# -- Prithvi-EO-2.0 -----------------------------------------------------------------------------
_PRITHVI_BANDS = ["BLUE", "GREEN", "RED", "NIR_NARROW", "SWIR_1", "SWIR_2"]


def _prithvi(variant: str) -> Callable[..., Backbone]:
    def factory(bands: Sequence[str] | None = None, pretrained: bool = True,
                ckpt_path: str | os.PathLike | None = None, **kwargs: Any) -> Backbone:
        """Prithvi-EO-2.0 through terratorch, on the six HLS bands (``hls`` sensor)."""
        BACKBONE_REGISTRY = import_terratorch("terratorch.registry").BACKBONE_REGISTRY

        chosen = list(bands) if bands is not None else list(_PRITHVI_BANDS)
        ckpt = _check_ckpt(ckpt_path)
        if pretrained and ckpt is None and os.environ.get("HF_HUB_OFFLINE") == "1":
            raise WeightsNotFoundError(
                f"{variant}: offline and no ckpt_path; pass ckpt_path= or pretrained=False")
        module = BACKBONE_REGISTRY.build(variant, pretrained=bool(pretrained and ckpt is None),
                                         ckpt_path=str(ckpt) if ckpt else None, bands=chosen,
                                         num_frames=1, **kwargs)
        dim = int(module.out_channels[-1])
        src = f"ckpt:{ckpt}" if ckpt else ("hf" if pretrained else "random")
        return Backbone(module=_PrithviTokens(module), name=variant, bands=chosen, dim=dim,
                        patch_size=16, pretrained=src)

    factory.__name__ = variant
    return factory


class _PrithviTokens(nn.Module):
    """Prithvi returns tokens with a leading CLS token; drop it so every backbone gives patches."""

    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        return [f[:, 1:] for f in self.inner(x)]


for _name in ("prithvi_eo_v2_100_tl", "prithvi_eo_v2_300", "prithvi_eo_v2_300_tl"):
    BACKBONES.register(_name)(_prithvi(_name))


# -- DOFA (wavelength-conditioned; takes the HSI bands natively) ---------------------------------
class _DOFATokens(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor, wavelengths: torch.Tensor) -> list[torch.Tensor]:
        wl_um = (wavelengths[0] if wavelengths.ndim == 2 else wavelengths) / 1000.0
        from timm.layers import resample_abs_pos_embed

        m = self.inner
        tokens, _ = m.patch_embed(x, wl_um)
        grid = (x.shape[-2] // m.patch_size, x.shape[-1] // m.patch_size)
        pos = resample_abs_pos_embed(m.pos_embed, new_size=grid, num_prefix_tokens=1)
        tokens = tokens + pos[:, 1:, :]
        cls = (m.cls_token + pos[:, :1, :]).expand(x.shape[0], -1, -1)
        h = torch.cat([cls, tokens], dim=1)
        outs = []
        for blk in m.blocks:
            h = blk(h)
            outs.append(h[:, 1:])
        return outs


@BACKBONES.register("dofa_base")
def dofa_base(bands: Sequence[str] | None = None, pretrained: bool = True,
              ckpt_path: str | os.PathLike | None = None, img_size: int = 224,
              **kwargs: Any) -> Backbone:
    """DOFA ViT-B/16 (torchgeo): wavelength-conditioned patch embedding, any number of bands."""
    from torchgeo.models import DOFABase16_Weights, dofa_base_patch16_224

    ckpt = _check_ckpt(ckpt_path)
    model = dofa_base_patch16_224(weights=None, img_size=img_size, **kwargs)
    src = "random"
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=False)
        src = f"ckpt:{ckpt}"
    elif pretrained:
        w = DOFABase16_Weights.DOFA_MAE
        try:
            state = w.get_state_dict(progress=False)
        except Exception as err:
            raise WeightsNotFoundError(
                f"dofa_base: pretrained weights ({w.url}) are not in torch's cache and could not "
                f"be downloaded ({type(err).__name__}). Download them once with network access, "
                "or pass ckpt_path=/path/to/weights.pth") from None
        model.load_state_dict(state, strict=False)
        src = "torchgeo"
    return Backbone(module=_DOFATokens(model), name="dofa_base", bands=None, dim=768,
                    patch_size=16, pretrained=src, wavelength_conditioned=True)


# -- HSI-native ViT-S/16 (SpectralEarth-style) ---------------------------------------------------
class _TimmTokens(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        m = self.inner
        h = m.patch_embed(x)
        h = m._pos_embed(h)
        h = m.norm_pre(h)
        outs = []
        n_prefix = getattr(m, "num_prefix_tokens", 1)
        for blk in m.blocks:
            h = blk(h)
            outs.append(h[:, n_prefix:])
        return outs


@BACKBONES.register("spectralearth_vit_s16")
def spectralearth_vit_s16(bands: Sequence[str] | None = None, pretrained: bool = False,
                          ckpt_path: str | os.PathLike | None = None, in_chans: int = 202,
                          img_size: int = 128, **kwargs: Any) -> Backbone:
    """The HSI-native baseline: ViT-S/16 on all EnMAP bands (SpectralEarth's setting).

    torchgeo 0.8.1 (the release installable here) ships no SpectralEarth weight enum, so
    pretrained weights come from a local file: ``ckpt_path=`` (a SpectralEarth ViT-S/16
    checkpoint; ``model.``/``backbone.`` prefixes are stripped).
    """
    from torchgeo.models import vit_small_patch16_224

    if pretrained and ckpt_path is None:
        raise WeightsNotFoundError(
            "spectralearth_vit_s16: torchgeo 0.8.1 provides no SpectralEarth weights; pass "
            "ckpt_path=/path/to/spectralearth_vit_s16.pth, or pretrained=False for random init")
    ckpt = _check_ckpt(ckpt_path)
    model = vit_small_patch16_224(weights=None, in_chans=in_chans, img_size=img_size,
                                  num_classes=0, dynamic_img_size=True, **kwargs)
    src = "random"
    if ckpt is not None:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)
        state = state.get("state_dict", state)
        state = {k.split("model.", 1)[-1].split("backbone.", 1)[-1]: v for k, v in state.items()}
        res = model.load_state_dict(state, strict=False)
        if res.missing_keys:
            log.warning("spectralearth_vit_s16: missing keys %s", res.missing_keys[:5])
        src = f"ckpt:{ckpt}"
    return Backbone(module=_TimmTokens(model), name="spectralearth_vit_s16", bands=None,
                    dim=384, patch_size=16, pretrained=src)


# -- a tiny stub for tests and CPU smoke runs ---------------------------------------------------
class _StubViT(nn.Module):
    def __init__(self, in_chans: int, dim: int, depth: int, patch: int) -> None:
        super().__init__()
        self.patch = patch
        self.proj = nn.Linear(patch * patch * in_chans, dim, bias=False)
        self.pos = nn.Parameter(torch.zeros(1, 64 * 64, dim))
        layer = nn.TransformerEncoderLayer(dim, 2, dim * 2, dropout=0.0, batch_first=True)
        self.blocks = nn.ModuleList([layer] + [nn.TransformerEncoderLayer(
            dim, 2, dim * 2, dropout=0.0, batch_first=True) for _ in range(depth - 1)])

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        b, c, h, w = x.shape
        p = self.patch
        t = x.reshape(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(
            b, (h // p) * (w // p), p * p * c)
        z = self.proj(t) + self.pos[:, : t.shape[1]]
        outs = []
        for blk in self.blocks:
            z = blk(z)
            outs.append(z)
        return outs


@BACKBONES.register("stub")
def stub(bands: Sequence[str] | None = None, pretrained: bool = False,
         ckpt_path: str | os.PathLike | None = None, dim: int = 32, depth: int = 2,
         patch_size: int = 8, in_chans: int | None = None) -> Backbone:
    """A 2-layer transformer on patch tokens, for tests and smoke runs (always random init)."""
    if pretrained:
        raise WeightsNotFoundError("the stub backbone has no pretrained weights")
    chosen = list(bands) if bands is not None else None
    n = in_chans or (len(chosen) if chosen else 12)
    module = _StubViT(n, dim, depth, patch_size)
    ckpt = _check_ckpt(ckpt_path)
    if ckpt is not None:
        module.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
    return Backbone(module=module, name="stub", bands=chosen, dim=dim, patch_size=patch_size,
                    pretrained=f"ckpt:{ckpt}" if ckpt else "random")

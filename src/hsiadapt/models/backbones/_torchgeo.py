"""What the torchgeo wavelength-aware backbones (DOFA, Copernicus-FM, Panopticon) share.

* Weights come from a user's file (``ckpt_path``) or from torch's hub cache, where torchgeo's
  weights enum puts them (``torch.hub.load_state_dict_from_url`` caches ``<hub>/checkpoints/<the
  URL's file name>``, torch 2.x ``hub.py``: ``filename = os.path.basename(parts.path)``); nothing
  is downloaded here, so an offline run fails at once with an error naming both fixes.
* A checkpoint must fit: keys the model lacks, or model keys the file lacks (other than the ones
  torchgeo's own loaders allow to be missing), are an error, never a silent partial load.
* Per-layer patch tokens are read with forward hooks on the transformer blocks, so torchgeo's own
  ``forward_features`` computes them (prefix tokens removed).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import nn

from hsiadapt.models.backbones.base import WeightsNotFoundError, check_ckpt

__all__ = ["band_vector", "block_tokens", "check_keys", "fill_fwhm", "hub_file", "load_weights"]


def hub_file(url: str) -> Path:
    """Where torch's hub cache keeps the file at ``url`` (``$TORCH_HOME/hub/checkpoints/...``)."""
    return Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(urlparse(url).path)


def _read(path: Path) -> dict[str, Any]:
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise ValueError(f"{path} holds a {type(state).__name__}, not a state dict")
    return state


def load_weights(name: str, url: str, *, pretrained: bool,
                 ckpt_path: str | os.PathLike | None) -> tuple[dict[str, Any] | None, str]:
    """The state dict to load (``None``: random init) and where it came from.

    Args:
        name: the backbone's registry name (for messages).
        url: the torchgeo weights enum's URL (``Weights.url``).
        pretrained: load the published weights (from the hub cache).
        ckpt_path: a local weights file; wins over ``pretrained``.

    Raises:
        WeightsNotFoundError: ``ckpt_path`` does not exist, or the published weights are asked
            for and are not in the hub cache.
    """
    ckpt = check_ckpt(ckpt_path)
    if ckpt is not None:
        return _read(ckpt), f"ckpt:{ckpt}"
    if not pretrained:
        return None, "random"
    cached = hub_file(url)
    if cached.is_file():
        return _read(cached), "torchgeo"
    raise WeightsNotFoundError(
        f"{name}: pretrained weights are not in torch's hub cache (looked for {cached}). Either "
        f"(1) put the file torchgeo downloads ({url}) there, or (2) set the backbone entry's "
        f"ckpt_path to a local copy of it. Random initialisation is used only with "
        "pretrained: false.")


def check_keys(name: str, missing: Iterable[str], unexpected: Iterable[str],
               allowed_missing: Iterable[str] = ()) -> None:
    """Raise when a checkpoint does not fit the model (``load_state_dict(strict=False)``'s
    report), allowing the keys torchgeo's loader allows to be missing."""
    miss = sorted(set(missing) - set(allowed_missing))
    extra = sorted(unexpected)
    if miss or extra:
        raise ValueError(f"{name}: the checkpoint does not fit the model: missing {miss[:5]}"
                         f"{'...' if len(miss) > 5 else ''}, unexpected {extra[:5]}"
                         f"{'...' if len(extra) > 5 else ''}; is ckpt_path a {name} checkpoint "
                         "built with the same architecture arguments?")


def block_tokens(blocks: Iterable[nn.Module], run: Callable[[], Any],
                 n_prefix: int) -> list[torch.Tensor]:
    """Run ``run()`` and return each block's output without its ``n_prefix`` leading tokens."""
    outs: list[torch.Tensor] = []

    def keep(_m: nn.Module, _i: Any, out: torch.Tensor) -> None:
        outs.append(out[:, n_prefix:])

    handles = [b.register_forward_hook(keep) for b in blocks]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return outs


def band_vector(values: torch.Tensor, n: int, what: str) -> torch.Tensor:
    """One ``(C,)`` vector from ``(C,)`` or a batch ``(B, C)`` of identical rows."""
    v = values[0] if values.ndim == 2 else values
    if v.shape != (n,):
        raise ValueError(f"{n} input bands but {what} for {tuple(v.shape)}")
    if values.ndim == 2 and not torch.equal(values, v.expand_as(values)):
        raise ValueError(f"the batch mixes band tables ({what} differ between samples); batch "
                         "samples of one sensor together")
    return v


def fill_fwhm(centers: torch.Tensor, fwhm: torch.Tensor | None) -> torch.Tensor:
    """FWHM (nm) with unknown (NaN or absent) values replaced by the local band spacing - the
    rule of :meth:`hsiadapt.spectral.BandSet.effective_fwhm`."""
    c = centers.double()
    f = torch.full_like(c, float("nan")) if fwhm is None else fwhm.double()
    if not torch.isnan(f).any():
        return f.to(centers.dtype)
    if c.numel() == 1:
        spacing = torch.full_like(c, 10.0)
    else:
        cs, order = torch.sort(c)
        d = torch.diff(cs)
        left = torch.cat([d[:1], d])
        right = torch.cat([d, d[-1:]])
        spacing = torch.empty_like(c)
        spacing[order] = (left + right) / 2
    return torch.where(torch.isnan(f), spacing, f).to(centers.dtype)

"""Folding a spectral map into a backbone's patch embedding (``input_mode: full_spectrum``).

:func:`expand_patch_embedding` replaces the embedding built for the map's target bands by one for
its source bands, so at step 0 the model computes exactly what ``adapter -> backbone`` computes
(after each run's own normalisation, with a :class:`NormalizationFold`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from hsiadapt.models.backbones import BACKBONES, Backbone
from hsiadapt.spectral import SpectralMap

__all__ = ["NormalizationFold", "expand_patch_embedding"]


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

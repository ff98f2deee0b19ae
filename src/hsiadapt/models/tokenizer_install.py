"""Installing the spectral tokenizer (:class:`hsiadapt.models.tokenizer.SpectralTokenizer`) in
a backbone in place of its patch embedding, finding it in a model, and pointing a trained
model's tokenizer at another sensor's bands."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from hsiadapt.models.backbones import BACKBONES, Backbone
from hsiadapt.models.tokenizer import SpectralTokenizer
from hsiadapt.models.tokenizer_pretrained import load_learned
from hsiadapt.spectral import BandSet

__all__ = ["find_tokenizer", "install_tokenizer", "retarget"]


class _Fold(Protocol):
    """What :class:`hsiadapt.models.model.NormalizationFold` holds (not imported: it imports
    this module)."""

    @property
    def source_mean(self) -> np.ndarray: ...
    @property
    def source_std(self) -> np.ndarray: ...
    @property
    def target_mean(self) -> np.ndarray: ...
    @property
    def target_std(self) -> np.ndarray: ...


def install_tokenizer(backbone: Backbone, source: BandSet, target: BandSet, *,
                      extra_channels: int = 0, fold: _Fold | None = None,
                      **args: Any) -> SpectralTokenizer:
    """Replace ``backbone``'s patch embedding (built for the ``target`` bands, in order, plus
    ``extra_channels``) by a :class:`SpectralTokenizer` set for ``source`` bands. ``fold``: the
    normalisations to bridge (see :class:`hsiadapt.models.model.NormalizationFold`); ``args``:
    :func:`tokenizer_args`."""
    card = BACKBONES.get(backbone.name)
    if card.patch_embedding is None:
        supported = [n for n in BACKBONES.names() if BACKBONES.get(n).patch_embedding is not None]
        raise NotImplementedError(f"input_mode tokenizer needs a patch embedding to generate; "
                                  f"backbone {backbone.name!r} declares none (supported: "
                                  f"{supported})")
    parent, attr, lin = card.patch_embedding(backbone.module)
    # the global RNG is left as it was: the head drawn next is the adapter run's head, so a
    # seed gives the same model at step 0 (logits and all) as the adapter run
    pretrained = args.pop("pretrained", None)
    with torch.random.fork_rng(devices=[]):
        tok = SpectralTokenizer(lin.weight, lin.bias, target, extra_channels=extra_channels,
                                **args)
    if pretrained is not None:
        load_learned(tok, pretrained, args)
    tok.to(lin.weight.device)
    if fold is None:
        tok.set_bands(source)
    else:
        tok.set_bands(source, fold.source_mean, fold.source_std)
        tok.set_target_statistics(np.asarray(fold.target_mean), np.asarray(fold.target_std))
    setattr(parent, attr, tok)
    return tok


def find_tokenizer(model: nn.Module) -> SpectralTokenizer | None:
    """The model's :class:`SpectralTokenizer`, or ``None``."""
    return next((m for m in model.modules() if isinstance(m, SpectralTokenizer)), None)


def retarget(model: nn.Module, bands: BandSet, source_mean: np.ndarray | None = None,
             source_std: np.ndarray | None = None) -> SpectralTokenizer:
    """Point a (trained) model's tokenizer at another sensor's ``bands`` - nothing else changes:
    the kernels are regenerated from the band table, the target statistics kept."""
    tok = find_tokenizer(model)
    if tok is None:
        raise ValueError("the model has no spectral tokenizer (input_mode tokenizer)")
    tok.set_bands(bands, source_mean, source_std)
    return tok

"""Task heads on top of backbone tokens.

* segmentation: the last layer's tokens reshaped to a feature map (as terratorch's TerraMind
  recipes do), terratorch's FCN decoder (256 channels, 4 upsampling blocks = x16) and terratorch's
  segmentation head (dropout + 1x1 conv), resized to the input when needed;
* regression: tokens mean-pooled over the *valid* patches only (pixels outside a HYPERVIEW field
  do not count) -> Linear(D, 256) -> GELU -> dropout -> Linear(256, T);
* multi-label: mean-pooled tokens -> dropout -> Linear(D, K) (logits, for BCE).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from hsiadapt.hints import check_choice
from hsiadapt.registry import Registry

__all__ = ["HEADS", "MultiLabelHead", "RegressionHead", "SegmentationHead", "token_weights"]

#: task type -> its head: ``head(dim, num_outputs, **recipe.head)``
HEADS: Registry[type[nn.Module]] = Registry("head")


def tokens_to_map(tokens: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """``(B, N, D)`` tokens -> ``(B, D, h, w)`` feature map."""
    b, n, d = tokens.shape
    h, w = grid
    if h * w != n:
        raise ValueError(f"{n} tokens do not form a {h} x {w} grid")
    return tokens.transpose(1, 2).reshape(b, d, h, w)


def token_weights(valid: torch.Tensor | None, patch: int, n_tokens: int, b: int,
                  device: torch.device) -> torch.Tensor:
    """Share of valid pixels per patch token, ``(B, N)``; all ones without a mask."""
    if valid is None:
        return torch.ones(b, n_tokens, device=device)
    w = F.avg_pool2d(valid[:, None].float(), patch).flatten(1)
    if w.shape[1] != n_tokens:
        raise ValueError(f"valid mask gives {w.shape[1]} patches, the backbone {n_tokens} tokens")
    return w


def masked_mean(tokens: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Weighted mean over tokens; a sample with no valid token falls back to the plain mean."""
    s = weights.sum(1, keepdim=True)
    weights = torch.where(s > 0, weights, torch.ones_like(weights))
    return (tokens * weights[..., None]).sum(1) / weights.sum(1, keepdim=True)


@HEADS.register("segmentation")
class SegmentationHead(nn.Module):
    """FCN decoder (terratorch) + segmentation head (terratorch) on the last layer's tokens."""

    def __init__(self, dim: int, num_classes: int, *, channels: int = 256, num_convs: int = 4,
                 dropout: float = 0.21, layer: int = -1) -> None:
        super().__init__()
        from hsiadapt.models.precision import import_terratorch

        FCNDecoder = import_terratorch("terratorch.models.decoders.fcn_decoder").FCNDecoder
        TTHead = import_terratorch("terratorch.models.heads.segmentation_head").SegmentationHead

        self.layer = layer
        self.decoder = FCNDecoder([dim], channels=channels, num_convs=num_convs)
        self.head = TTHead(channels, num_classes, dropout=dropout)

    def forward(self, features: list[torch.Tensor], size: tuple[int, int], patch: int,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        grid = (size[0] // patch, size[1] // patch)
        fmap = tokens_to_map(features[self.layer], grid)
        out = self.head(self.decoder([fmap]))
        if out.shape[-2:] != size:
            out = F.interpolate(out, size=size, mode="bilinear", align_corners=False)
        return out


@HEADS.register("regression")
class RegressionHead(nn.Module):
    """Mean-pooled tokens -> hidden -> T targets.

    Args:
        pool: ``"valid"`` - mean over the tokens that overlap valid pixels (the field);
            ``"all"`` - mean over every token, as the study's terratorch head did.
        activation: ``"gelu"`` or ``"relu"`` (the study's) between the two linear layers.
    """

    def __init__(self, dim: int, num_targets: int, *, hidden: int = 256, dropout: float = 0.2,
                 layer: int = -1, pool: Literal["valid", "all"] = "valid",
                 activation: Literal["gelu", "relu"] = "gelu") -> None:
        super().__init__()
        check_choice("regression head pool", pool, Literal["valid", "all"], "recipe head key")
        check_choice("regression head activation", activation, Literal["gelu", "relu"],
                     "recipe head key")
        self.layer, self.pool = layer, pool
        act: nn.Module = nn.GELU() if activation == "gelu" else nn.ReLU()
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), act, nn.Dropout(dropout),
                                 nn.Linear(hidden, num_targets))

    def forward(self, features: list[torch.Tensor], size: tuple[int, int], patch: int,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        t = features[self.layer]
        if self.pool == "all":
            return self.mlp(t.mean(1))
        w = token_weights(valid, patch, t.shape[1], t.shape[0], t.device)
        return self.mlp(masked_mean(t, w))


@HEADS.register("multilabel")
class MultiLabelHead(nn.Module):
    """Mean-pooled tokens -> K logits."""

    def __init__(self, dim: int, num_classes: int, *, dropout: float = 0.1, layer: int = -1) -> None:
        super().__init__()
        self.layer = layer
        self.fc = nn.Sequential(nn.Dropout(dropout), nn.Linear(dim, num_classes))

    def forward(self, features: list[torch.Tensor], size: tuple[int, int], patch: int,
                valid: torch.Tensor | None = None) -> torch.Tensor:
        t = features[self.layer]
        w = token_weights(valid, patch, t.shape[1], t.shape[0], t.device)
        return self.fc(masked_mean(t, w))

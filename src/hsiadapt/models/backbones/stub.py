"""A tiny transformer on patch tokens, for tests and CPU smoke runs (always random init)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch
from torch import nn

from hsiadapt.models.backbones.base import (
    Backbone,
    BackboneDef,
    WeightsNotFoundError,
    check_ckpt,
    register_backbone,
)

__all__ = ["stub"]

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


def stub(bands: Sequence[str] | None = None, pretrained: bool = False,
         ckpt_path: str | os.PathLike | None = None, dim: int = 32, depth: int = 2,
         patch_size: int = 8, in_chans: int | None = None) -> Backbone:
    """A 2-layer transformer on patch tokens, for tests and smoke runs (always random init)."""
    if pretrained:
        raise WeightsNotFoundError("the stub backbone has no pretrained weights")
    chosen = list(bands) if bands is not None else None
    n = in_chans or (len(chosen) if chosen else 12)
    module = _StubViT(n, dim, depth, patch_size)
    ckpt = check_ckpt(ckpt_path)
    if ckpt is not None:
        module.load_state_dict(torch.load(ckpt, map_location="cpu", weights_only=True))
    return Backbone(module=module, name="stub", bands=chosen, dim=dim, patch_size=patch_size,
                    pretrained=f"ckpt:{ckpt}" if ckpt else "random")


def _stub_patch_embedding(module: nn.Module) -> tuple[nn.Module, str, nn.Linear]:
    proj = module.proj
    assert isinstance(proj, nn.Linear)
    return module, "proj", proj


register_backbone(BackboneDef(name="stub", factory=stub, input="channels", target=None, dim=32,
                              patch_size=8, patch_embedding=_stub_patch_embedding,
                              default_pretrained=False))

"""Batching samples of different sizes (HYPERVIEW fields, scene tiles)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["pad_collate", "same_size_collate"]


def pad_collate(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Collate samples of different sizes by zero-padding to the largest (padding invalid)."""
    h = max(s["image"].shape[-2] for s in samples)
    w = max(s["image"].shape[-1] for s in samples)
    out: dict[str, Any] = {}
    for key in samples[0]:
        vals = [s[key] for s in samples]
        if key in ("image", "valid", "mask"):
            fill = -1 if key == "mask" else 0
            padded = []
            for v in vals:
                pad = (0, w - v.shape[-1], 0, h - v.shape[-2])
                padded.append(F.pad(v, pad, value=fill) if any(pad) else v)
            out[key] = torch.stack(padded)
        elif torch.is_tensor(vals[0]):
            out[key] = torch.stack(vals)
        else:
            out[key] = vals
    return out


def same_size_collate(samples: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Collate samples of one size (``augmentation_on: device`` augments whole batches, so the
    loader cannot resize chips to a common size first)."""
    sizes = sorted({tuple(s["image"].shape[-2:]) for s in samples})
    if len(sizes) > 1:
        raise ValueError(f"augmentation_on: device needs training chips of one size, but a batch "
                         f"holds chips of {', '.join(f'{h} x {w}' for h, w in sizes)} px; use "
                         "augmentation_on: loader (the recipe key), which resizes each chip")
    return pad_collate(samples)

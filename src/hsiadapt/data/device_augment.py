"""The training augmentation on batches, on the accelerator after the transfer
(``augmentation_on: device``): the loader workers only read (cached) chips and batch them; the
augmentation and normalisation run where the model runs.

* ``study_segmentation``: resize to ``size`` (image bilinear, masks nearest, as the loader
  path), then Kornia's random resized crop and random vertical / horizontal flips, per chip.
  The crop is torchvision's ``resized_crop`` of the same box (image bilinear, exactly); masks
  are resampled with ``nearest-exact`` (Kornia's), where the loader path's torchvision uses
  ``nearest``. The flips (p = 0.5 each) flip only the chips drawn.
* ``d4`` and ``study_hyperview``: the loader path's own per-chip transforms
  (:mod:`hsiadapt.data.transforms`) applied to each chip of the batch on the device.

Every random draw is made by the CPU's generator (Kornia draws its parameters on the CPU), so
a seed gives the same crops, flips, holes and noise on a CPU and on a GPU; the arithmetic then
agrees up to float rounding. Random draws differ from the loader path's (other order), so the
two settings are different runs, with different fingerprints.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from hsiadapt.data.transforms import AUGMENTATIONS

__all__ = ["DeviceAugment", "normalize_batch"]

_MASKS = ("mask", "valid")


class DeviceAugment(nn.Module):
    """A recipe's training augmentation, on whole batches.

    Args:
        augmentation: ``study_segmentation``, ``study_hyperview`` or ``d4``.
        size: output side in pixels (``None``: keep the chips' size; ``d4`` needs chips of
            ``size``).
        crop_scale: area range of ``study_segmentation``'s random resized crop.
        augmentation_args: the augmentation's own options (``study_hyperview``'s noise).
    """

    def __init__(self, augmentation: str, size: int | None, *,
                 crop_scale: tuple[float, float] = (0.4, 1.0),
                 augmentation_args: dict[str, Any] | None = None) -> None:
        super().__init__()
        if augmentation not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {augmentation!r}: use one of "
                             f"{', '.join(AUGMENTATIONS.in_order())} (recipe key 'augmentation')")
        self.augmentation, self.size = augmentation, size
        self.kornia: nn.Module | None = None
        self.per_chip: Any = None
        if augmentation == "study_segmentation":
            import kornia.augmentation as K

            if size is None:
                raise ValueError("augmentation_on: device with study_segmentation needs "
                                 "image_size (the crop's output side)")
            # data keys are fixed per call (image, then the masks present), so one pipeline
            # per key set, built on first use
            self._crop = (size, size), tuple(crop_scale)
            self._K = K
            self._pipelines: dict[tuple[str, ...], nn.Module] = {}
        elif size is not None:
            self.per_chip = AUGMENTATIONS[augmentation](size, train=True,
                                                        **(augmentation_args or {}))

    def _pipeline(self, keys: tuple[str, ...]) -> nn.Module:
        if keys not in self._pipelines:
            K = self._K
            size, scale = self._crop
            self._pipelines[keys] = K.AugmentationSequential(
                K.RandomResizedCrop(size, scale=scale, align_corners=False,
                                    cropping_mode="slice"),
                data_keys=["input", *(["mask"] * (len(keys) - 1))])
        return self._pipelines[keys]

    def forward(self, batch: dict[str, Any]) -> dict[str, Any]:
        batch = dict(batch)
        if self.augmentation == "study_segmentation":
            return self._segmentation(batch)
        if self.per_chip is None:
            return batch
        keys = [k for k in ("image", *_MASKS) if k in batch]
        chips = [self.per_chip({k: batch[k][i] for k in keys})
                 for i in range(batch["image"].shape[0])]
        for k in keys:
            batch[k] = torch.stack([c[k] for c in chips])
        return batch

    def _segmentation(self, batch: dict[str, Any]) -> dict[str, Any]:
        size = self._crop[0]
        image = batch["image"].float()
        if tuple(image.shape[-2:]) != size:
            image = TF.resize(image, list(size), antialias=False)
        planes = [image]
        masks = _pack_masks(batch)  # mask and valid as one plane: resampled once
        if masks is not None:
            if tuple(masks.shape[-2:]) != size:
                masks = TF.resize(masks, list(size), interpolation=InterpolationMode.NEAREST)
            planes.append(masks)
        out = self._pipeline(("image", *(["masks"] if masks is not None else [])))(*planes)
        out = list(out) if isinstance(out, (list, tuple)) else [out]
        # vertical, then horizontal flip, each of the chips drawn (Kornia's flips would flip
        # the whole batch and select: twice the work)
        self.flips = torch.rand(2, image.shape[0]) < 0.5
        for drawn, dim in zip(self.flips, (-2, -1), strict=True):
            idx = drawn.nonzero()[:, 0].to(image.device)
            if len(idx):
                for plane in out:
                    plane[idx] = plane[idx].flip(dim)
        batch["image"] = out[0]
        if masks is not None:
            batch.update(_unpack_masks(out[1], batch))
        return batch


def _pack_masks(batch: dict[str, Any]) -> torch.Tensor | None:
    """``mask`` (class index >= -1) and ``valid`` as one float plane ``(mask + 1) * 2 + valid``
    (exact in float32 for indices below 2**22), shape (B, 1, H, W)."""
    if "mask" not in batch and "valid" not in batch:
        return None
    ref = batch["mask"] if "mask" in batch else batch["valid"]
    code = torch.zeros(ref.shape, dtype=torch.float32, device=ref.device)
    if "mask" in batch:
        code += (batch["mask"].float() + 1) * 2
    if "valid" in batch:
        code += batch["valid"].float()
    return code[:, None]


def _unpack_masks(code: torch.Tensor, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
    c = code[:, 0].round().long()
    out = {}
    if "mask" in batch:
        out["mask"] = (c // 2 - 1).to(batch["mask"].dtype)
    if "valid" in batch:
        out["valid"] = (c % 2).bool()
    return out


def normalize_batch(batch: dict[str, Any], mean: torch.Tensor,
                    std: torch.Tensor) -> dict[str, Any]:
    """:class:`~hsiadapt.data.transforms.Normalize` on a batch (``(x - mean) / std`` per band,
    pixels outside ``valid`` set to 0), on the batch's device."""
    x = batch["image"]
    if x.shape[1] != mean.shape[0]:
        raise ValueError(f"image has {x.shape[1]} bands but the statistics have "
                         f"{mean.shape[0]}")
    m = mean.float().to(x.device)[None, :, None, None]
    s = torch.where(std > 0, std, torch.ones_like(std)).float().to(x.device)[None, :, None, None]
    batch = dict(batch)
    y = torch.sub(x, m).div_(s)
    if "valid" in batch:
        y.mul_(batch["valid"][:, None])
    batch["image"] = y
    return batch

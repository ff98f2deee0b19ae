"""Sample transforms: the study's augmentations (joint on image, mask and valid) and
normalisation. They act on one sample dict, in data-loader workers."""

from __future__ import annotations

from typing import Any, Literal

import torch
from torchvision import tv_tensors
from torchvision.transforms import v2

from hsiadapt.hints import check_choice
from hsiadapt.registry import Registry

__all__ = ["AUGMENTATIONS", "D4Augment", "NoiseVariance", "Normalize", "StudyAugment"]

#: the Gaussian noise's variance: drawn ``per_channel`` (each band) or ``per_image``
NoiseVariance = Literal["per_channel", "per_image"]

#: recipe name -> augmentation class: ``cls(size, train=..., **options)``
AUGMENTATIONS: Registry[Any] = Registry("augmentation")


class StudyAugment:
    """Resize to ``size``, then (train) random resized crop (scale 0.4-1) and random flips, or
    (eval) centre crop - the study's pipeline. Image bilinear; mask and valid nearest.

    Args:
        size: output side in pixels.
        train: training (random) or evaluation (deterministic) pipeline.
        crop_scale: area range of the random resized crop.
    """

    def __init__(self, size: int, train: bool = True,
                 crop_scale: tuple[float, float] = (0.4, 1.0)) -> None:
        self.size, self.train = size, train
        ops: list[Any] = [v2.Resize((size, size), antialias=False)]
        if train:
            ops += [v2.RandomResizedCrop((size, size), scale=crop_scale, antialias=False),
                    v2.RandomVerticalFlip(0.5), v2.RandomHorizontalFlip(0.5)]
        else:
            ops += [v2.CenterCrop((size, size))]
        self.pipeline = v2.Compose(ops)

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        keys = [k for k in ("mask", "valid") if k in sample]
        inputs = [tv_tensors.Image(sample["image"])]
        inputs += [tv_tensors.Mask(sample[k].to(torch.int64)) for k in keys]
        out = self.pipeline(*inputs)
        sample = dict(sample)
        sample["image"] = out[0].as_subclass(torch.Tensor)
        for k, v in zip(keys, out[1:], strict=True):
            v = v.as_subclass(torch.Tensor)
            sample[k] = v.bool() if k == "valid" else v
        return sample


class HyperviewAugment:
    """The study's HYPERVIEW-1 pipeline as it ran (albumentations in its datamodule):
    train - one of the 8 dihedral flips/rotations (D4, p = 1), resize to ``size``, coarse
    dropout (1-8 holes of 16-32 px set to 0, p = 0.2), Gaussian noise (variance 0.001-0.01,
    p = 0.2); evaluation - resize only. Image bilinear; mask and valid nearest.

    Args:
        size: output side in pixels.
        train: training (random) or evaluation (deterministic) pipeline.
        noise_variance: ``"per_channel"`` draws the noise variance per band; ``"per_image"``
            draws one for the image (albumentations' ``GaussNoise``, as the study ran it).
        noise_clip: clip the noised image to [0, 1], as albumentations 1.4.10 did for float32
            images (on raw reflectance x 10000 values this saturates every positive pixel at 1).
    """

    def __init__(self, size: int, train: bool = True, *,
                 noise_variance: NoiseVariance = "per_channel", noise_clip: bool = False) -> None:
        check_choice("noise_variance", noise_variance, NoiseVariance,
                     "recipe key gauss_noise_variance")
        self.size, self.train = size, train
        self.noise_variance, self.noise_clip = noise_variance, noise_clip

    def _resize(self, x: torch.Tensor, nearest: bool) -> torch.Tensor:
        if tuple(x.shape[-2:]) == (self.size, self.size):
            return x
        import torch.nn.functional as F

        y = x[None].float() if x.ndim == 3 else x[None, None].float()
        y = F.interpolate(y, size=(self.size, self.size),
                          mode="nearest" if nearest else "bilinear",
                          align_corners=None if nearest else False)
        y = y[0] if x.ndim == 3 else y[0, 0]
        return y.to(x.dtype) if nearest else y

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        sample = dict(sample)
        keys = [k for k in ("image", "mask", "valid") if k in sample]
        if self.train:
            k = int(torch.randint(4, (1,)))
            flip = bool(torch.randint(2, (1,)))
            for key in keys:
                sample[key] = d4(sample[key], k, flip)
        for key in keys:
            sample[key] = self._resize(sample[key], nearest=key != "image")
        if self.train:
            img = sample["image"].clone()
            if torch.rand(()) < 0.2:
                for _ in range(int(torch.randint(1, 9, (1,)))):
                    hh = int(torch.randint(16, 33, (1,)))
                    ww = int(torch.randint(16, 33, (1,)))
                    y0 = int(torch.randint(0, max(1, self.size - hh + 1), (1,)))
                    x0 = int(torch.randint(0, max(1, self.size - ww + 1), (1,)))
                    img[:, y0:y0 + hh, x0:x0 + ww] = 0
            if torch.rand(()) < 0.2:
                n = img.shape[0] if self.noise_variance == "per_channel" else 1
                var = 0.001 + 0.009 * torch.rand(n, 1, 1)
                # drawn by the CPU's generator on any device (the same noise on a GPU)
                noise = torch.randn(img.shape, dtype=img.dtype) * var.sqrt()
                img = img + noise.to(img.device)
                if self.noise_clip:
                    img = img.clamp(0.0, 1.0)
            sample["image"] = img
        return sample


class D4Augment:
    """train - one of the 8 dihedral flips/rotations (D4), nothing else; evaluation - nothing.
    Chips must already be ``size`` px (no resizing). A cheap augmentation for many-band chips on
    a CPU (the demo's), where the study's random resized crop costs more than the model."""

    def __init__(self, size: int, train: bool = True) -> None:
        self.size, self.train = size, train

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        if tuple(sample["image"].shape[-2:]) != (self.size, self.size):
            raise ValueError(f"augmentation d4 does not resize: chips are "
                             f"{tuple(sample['image'].shape[-2:])} px, image_size is {self.size}; "
                             "set image_size to the chip size or use study_segmentation")
        if not self.train:
            return sample
        sample = dict(sample)
        k = int(torch.randint(4, (1,)))
        flip = bool(torch.randint(2, (1,)))
        for key in ("image", "mask", "valid"):
            if key in sample:
                sample[key] = d4(sample[key], k, flip)
        return sample


def d4(x: torch.Tensor, k: int, flip: bool) -> torch.Tensor:
    """``torch.rot90(x, k, dims=(-2, -1))``, then flipped left-right when ``flip``: the same
    values in one copy (rot90 and flip copy once each; a 202-band chip is 3 MiB). Every element
    of D4 is a flip of some of the two axes, then perhaps a transpose."""
    rows, cols = -2, -1
    axes, transpose = {  # (axes flipped, transposed after) for (k, flip)
        (0, False): ((), False), (0, True): ((cols,), False),
        (1, False): ((cols,), True), (1, True): ((rows, cols), True),
        (2, False): ((rows, cols), False), (2, True): ((rows,), False),
        (3, False): ((rows,), True), (3, True): ((), True),
    }[(k % 4, flip)]
    y = torch.flip(x, dims=axes) if axes else x.clone()
    return y.transpose(rows, cols) if transpose else y


#: augmentation pipelines by recipe name, in the order they were registered
for _name, _cls in (("study_segmentation", StudyAugment), ("study_hyperview", HyperviewAugment),
                    ("d4", D4Augment)):
    AUGMENTATIONS.register(_name)(_cls)


class Normalize:
    """``(x - mean) / std`` per band; pixels outside ``valid`` are set to 0 (the mean).

    A constant band (std 0, e.g. a bad band zeroed by the reader) is only centred.
    """

    def __init__(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        if not (torch.isfinite(std).all() and torch.isfinite(mean).all()) or (std < 0).any():
            raise ValueError(f"normalisation statistics must be finite and std >= 0, got "
                             f"mean {mean.tolist()[:5]}..., std {std.tolist()[:5]}...")
        self.mean = mean.float()[:, None, None]
        self.std = torch.where(std > 0, std, torch.ones_like(std)).float()[:, None, None]

    def __call__(self, sample: dict[str, Any]) -> dict[str, Any]:
        x = sample["image"]
        if x.shape[0] != self.mean.shape[0]:
            raise ValueError(f"image has {x.shape[0]} bands but the statistics have "
                             f"{self.mean.shape[0]}")
        sample = dict(sample)
        y = torch.sub(x, self.mean).div_(self.std)
        if "valid" in sample:
            y.mul_(sample["valid"][None])
        sample["image"] = y
        return sample

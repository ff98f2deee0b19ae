"""Where the training augmentation runs: per chip in the loader, or per batch on the device
(issue: fast on a GPU).

On cached 12-band chips (the adapted-band cache's content, float32) of ``--side`` px, the
study's segmentation augmentation to ``--image-size`` (resize, random resized crop, flips) and
the normalisation, measured in one run on this machine's device (the CPU here):

* ``loader_chips_per_s``: per chip, as the loader workers do it (``augmentation_on: loader``:
  torchvision on each chip, then collation);
* ``device_chips_per_s``: per batch, as after the transfer (``augmentation_on: device``:
  collation, then Kornia on the batch);
* ``device_over_loader``: their ratio (target on a CPU: >= 1, "not slower").

Run: ``python benchmarks/augment.py [--batch 32] [--side 128] [--image-size 224]``;
``--smoke`` runs 2 batches of 4 chips of 16 px (seconds; its figures mean nothing).
"""

from __future__ import annotations

import argparse
import json

import torch
from _timing import median_time

from hsiadapt.data.collate import pad_collate, same_size_collate
from hsiadapt.data.device_augment import DeviceAugment, normalize_batch
from hsiadapt.data.transforms import Normalize, StudyAugment

BANDS = 12


def _chips(n: int, side: int) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    return [{"image": torch.rand(BANDS, side, side, generator=g),
             "mask": torch.randint(-1, 10, (side, side), generator=g),
             "valid": torch.ones(side, side, dtype=torch.bool)} for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--side", type=int, default=128)
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--smoke", action="store_true", help="2 batches of 4 chips of 16 px")
    a = ap.parse_args()
    if a.smoke:
        a.batch, a.side, a.image_size, a.repeats = 4, 16, 16, 2
    torch.manual_seed(0)
    chips = _chips(a.batch, a.side)
    mean, std = torch.rand(BANDS), torch.rand(BANDS) + 0.5
    aug, norm = StudyAugment(a.image_size, train=True), Normalize(mean, std)
    device_aug = DeviceAugment("study_segmentation", a.image_size)

    def loader() -> None:
        pad_collate([norm(aug(c)) for c in chips])

    def device() -> None:
        normalize_batch(device_aug(same_size_collate(chips)), mean, std)

    # alternate the two, so that a disturbance of the machine hits both
    lo, de = [], []
    for _ in range(2):
        lo.append(median_time(loader, a.repeats))
        de.append(median_time(device, a.repeats))
    t_loader, t_device = min(lo), min(de)
    print(json.dumps({
        "smoke": a.smoke, "benchmark": "augment", "batch": a.batch, "side": a.side,
        "image_size": a.image_size, "bands": BANDS, "threads": torch.get_num_threads(),
        "device": "cpu", "loader_chips_per_s": round(a.batch / t_loader, 1),
        "device_chips_per_s": round(a.batch / t_device, 1),
        "device_over_loader": round(t_loader / t_device, 3)}))


if __name__ == "__main__":
    main()

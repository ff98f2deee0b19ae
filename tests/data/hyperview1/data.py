#!/usr/bin/env python3
"""Write a tiny HYPERVIEW-1 fixture in the real layout: train/<id>.npz and test/<id>.npz masked
arrays (data int16 (150, H, W), mask bool (150, H, W), True = outside the field), train_gt.csv.
Patch sizes vary like the real ones (11 x 11 and larger). Seeded:
    python tests/data/hyperview1/data.py
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
SIZES = {0: (11, 11), 1: (13, 9), 2: (11, 11), 3: (20, 16), 4: (11, 11), 5: (9, 14)}
TEST = {0: (11, 11), 1: (15, 12)}


def _patch(rng: np.random.Generator, h: int, w: int) -> dict:
    data = (600 + 1200 * rng.random((150, 1, 1)) + rng.normal(0, 20, (150, h, w))).astype(np.int16)
    yy, xx = np.mgrid[:h, :w]
    field = ((yy - h / 2) ** 2 / (h / 2) ** 2 + (xx - w / 2) ** 2 / (w / 2) ** 2) <= 1.0
    mask = np.broadcast_to(~field, (150, h, w)).copy()
    return {"data": data, "mask": mask}


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(1)
    for folder, sizes in (("train", SIZES), ("test", TEST)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i, (h, w) in sizes.items():
            np.savez_compressed(root / folder / f"{i}.npz", **_patch(rng, h, w))
    rows = ["sample_index,P,K,Mg,pH"]
    for i in SIZES:
        rows.append(f"{i},{rng.uniform(20, 120):.1f},{rng.uniform(100, 300):.0f},"
                    f"{rng.uniform(100, 250):.0f},{rng.uniform(5.8, 7.6):.1f}")
    (root / "train_gt.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a tiny HYPERVIEW-2 fixture in the layout the study reads: train/{hsi_airborne,
hsi_satellite,msi_satellite}/NNNN.npz, test/{hsi_satellite,msi_satellite}/*.npz,
train_gt.csv (sample_index,B,Cu,Zn,Fe,S,Mn), wavelengths/<sensor>.txt. Band counts are small
stand-ins (the public description gives no band tables). Seeded:
    python tests/data/hyperview2/data.py
"""

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
BANDS = {"hsi_airborne": np.linspace(414, 2357, 40), "hsi_satellite": np.linspace(402, 2497, 30),
         "msi_satellite": None}


def _patch(rng, c, h, w):
    data = (500 + 1500 * rng.random((c, 1, 1)) + rng.normal(0, 15, (c, h, w))).astype(np.int16)
    mask = np.zeros((c, h, w), bool)
    mask[:, 0, :] = True
    return {"data": data, "mask": mask}


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(2)
    (root / "wavelengths").mkdir(parents=True, exist_ok=True)
    for sensor, wl in BANDS.items():
        c = 12 if wl is None else wl.size
        if wl is not None:
            (root / "wavelengths" / f"{sensor}.txt").write_text(
                "\n".join(f"{v:.2f}" for v in wl) + "\n")
        for i in range(5):
            p = root / "train" / sensor / f"{i:04d}.npz"
            p.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(p, **_patch(rng, c, 6 + i, 7))
        if sensor != "hsi_airborne":
            for i in range(2):
                p = root / "test" / sensor / f"{i:04d}.npz"
                p.parent.mkdir(parents=True, exist_ok=True)
                np.savez_compressed(p, **_patch(rng, c, 6, 6))
    rows = ["sample_index,B,Cu,Zn,Fe,S,Mn"]
    rows += [f"{i}," + ",".join(f"{v:.3f}" for v in rng.uniform(0.5, 50, 6)) for i in range(5)]
    (root / "train_gt.csv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Write a tiny hyperspectral segmentation dataset in the layout terratorch's
``GenericNonGeoSegmentationDataModule`` reads: ``{train,val,test}/images/chip_K.tif`` (16 bands,
400-2400 nm, reflectance x 10000, uint16) with ``{train,val,test}/labels/chip_K.tif`` (3 classes, each a
spectral shape), plus ``wavelengths.csv`` (the band table hsiadapt reads) and ``means.txt`` /
``stds.txt`` (the per-band statistics terratorch normalises with).

Seeded; ``python tests/data/terratorch_tiny/data.py [OUT]`` (default: ``root`` beside this file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

N_BANDS, SIZE, N_CLASSES = 16, 32, 3
HERE = Path(__file__).parent
CENTERS = np.linspace(400.0, 2400.0, N_BANDS)
FWHM = np.full(N_BANDS, 150.0)  # wider than the 133-nm spacing: every S2 band is covered
CHIPS = {"train": 4, "val": 2, "test": 2}


def main(out: Path) -> Path:
    rng = np.random.default_rng(0)
    spectra = 1500 + 1500 * rng.random((N_CLASSES, N_BANDS))  # one spectrum per class
    prof = dict(driver="GTiff", width=SIZE, height=SIZE, crs="EPSG:32633",
                transform=from_origin(500000, 5800000, 30, 30))
    stack = []
    for split, n in CHIPS.items():
        for sub in ("images", "labels"):
            (out / split / sub).mkdir(parents=True, exist_ok=True)
        for k in range(n):
            label = np.zeros((SIZE, SIZE), np.uint8)
            label[:, SIZE // 3:] = 1
            label[SIZE // 2:, :] = 2
            label = np.rot90(label, k).copy()
            img = spectra[label].transpose(2, 0, 1) + 100 * rng.standard_normal(
                (N_BANDS, SIZE, SIZE))
            img = np.clip(img, 0, 10000).astype(np.uint16)
            stack.append(img)
            with rasterio.open(out / split / "images" / f"chip_{k}.tif", "w", count=N_BANDS,
                               dtype="uint16", **prof) as dst:
                dst.write(img)
            with rasterio.open(out / split / "labels" / f"chip_{k}.tif", "w", count=1,
                               dtype="uint8", **prof) as dst:
                dst.write(label[None])
    allpix = np.concatenate([s.reshape(N_BANDS, -1) for s in stack], axis=1).astype(np.float64)
    np.savetxt(out / "means.txt", allpix.mean(1))
    np.savetxt(out / "stds.txt", allpix.std(1))
    rows = "\n".join(f"{c:.1f},{f:.1f}" for c, f in zip(CENTERS, FWHM, strict=True))
    (out / "wavelengths.csv").write_text("wavelength,fwhm\n" + rows + "\n")
    return out


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "root")

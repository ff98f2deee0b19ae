#!/usr/bin/env python3
"""Write a tiny SpectralEarth downstream-task fixture in the real on-disk layout.

root/enmap/<tile>/<patch>.tif (202-band int16 GeoTIFF, DN = reflectance x 10000),
root/{bnetd,cdl,bdforet,corine}/<tile>/<patch>.tif (uint16 raw class codes),
root/splits/enmap_<task>/{train,val,test}.txt. Seeded; run from anywhere:
    python tests/data/spectralearth/data.py
"""

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

SIZE = 8
N_BANDS = 202
HERE = Path(__file__).parent
CODES = {
    "bnetd": [0, 1, 2, 3, 6, 9, 10, 13, 15, 16, 21],
    "cdl": [0, 1, 2, 3, 4, 5, 6, 45, 54, 69, 72, 75, 76, 204, 210, 111],  # 111: not in the list
    "bdforet": [0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 14, 16],
    "corine": [111, 112, 211, 311, 312, 512, 523, 122],
}
IDS = ["0422109/11857.tif", "0422109/11858.tif", "0421940/11854.tif", "0422200/11859.tif",
       "0422200/11860.tif", "0421940/11861.tif"]
SPLITS = {"train": IDS[:3], "val": IDS[3:5], "test": IDS[5:]}


def _profile(count: int, dtype: str) -> dict:
    return dict(driver="GTiff", width=SIZE, height=SIZE, count=count, dtype=dtype,
                crs="EPSG:32630", transform=from_origin(500000, 800000, 30, 30))


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(0)
    wl = np.linspace(418, 2445, N_BANDS)
    base = 1500 + 1000 * np.exp(-(((wl - 850) / 400) ** 2))  # vegetation-like mean spectrum
    for sid in IDS:
        img = base[:, None, None] * rng.uniform(0.6, 1.4, (1, SIZE, SIZE))
        img += rng.normal(0, 30, (N_BANDS, SIZE, SIZE))
        p = root / "enmap" / sid
        p.parent.mkdir(parents=True, exist_ok=True)
        with rasterio.open(p, "w", **_profile(N_BANDS, "int16")) as dst:
            dst.write(np.clip(img, 0, 10000).astype(np.int16))
        for task, codes in CODES.items():
            m = rng.choice(codes, size=(SIZE, SIZE)).astype(np.uint16)
            q = root / task / sid
            q.parent.mkdir(parents=True, exist_ok=True)
            with rasterio.open(q, "w", **_profile(1, "uint16")) as dst:
                dst.write(m[None])
    for task in CODES:
        for split, ids in SPLITS.items():
            f = root / "splits" / f"enmap_{task}" / f"{split}.txt"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("\n".join(ids) + "\n")


if __name__ == "__main__":
    main()

"""Data loading speed (issue: datasets).

Writes N synthetic 202-band 128 x 128 int16 GeoTIFF chips in the SpectralEarth layout (in a
temporary folder; warm page cache), then measures in one run:

* ``full_samples_per_s``: one training epoch through the full pipeline - GeoTIFF read, srf
  adapter, the study's augmentations (resize, random resized crop, flips), normalisation,
  collation - with ``num_workers=0``;
* ``cached_samples_per_s``: the same epoch served from the adapted-band cache (12 bands);
* ``cached_speedup``: their ratio (target >= 5);
* ``cache_build_s``: building the cache (one projection pass);
* ``stats_s_per_1000_chips``: the streaming statistics pass (read + project + accumulate).

Run: ``.venv/bin/python benchmarks/loading.py [--chips 96]``; ``--smoke`` runs 4 chips of 32 x 32
in seconds to check that the benchmark executes (its figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
import torch
from rasterio.transform import from_origin

from hsiadapt.adapters import build_adapter
from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.data.stats import compute_statistics
from hsiadapt.datasets import EnMAPBNETD
from hsiadapt.models.backbones import BACKBONES

#: the backbone whose pretraining statistics normalise the chips (any backbone with S2 bands)
BACKBONE = "terramind_v1_base"


def write_chips(root: Path, n: int, side: int = 128) -> None:
    rng = np.random.default_rng(0)
    prof = dict(driver="GTiff", width=side, height=side, count=202, dtype="int16",
                crs="EPSG:32630", transform=from_origin(0, 0, 30, 30))
    ids = []
    base = rng.integers(500, 4000, (202, 1, 1)).astype(np.int16)
    for i in range(n + 8):  # n training chips, then 4 validation and 4 test chips of their own
        sid = f"{1000000 + i // 10:07d}/{i:05d}.tif"
        ids.append(sid)
        for folder, count, dtype in (("enmap", 202, "int16"), ("bnetd", 1, "uint16")):
            p = root / folder / sid
            p.parent.mkdir(parents=True, exist_ok=True)
            with rasterio.open(p, "w", **dict(prof, count=count, dtype=dtype)) as dst:
                if folder == "enmap":
                    dst.write(base + rng.integers(0, 200, (202, side, side), dtype=np.int16))
                else:
                    dst.write(rng.choice([0, 1, 2, 3, 6], (1, side, side)).astype(np.uint16))
    for split in ("train", "val", "test"):
        f = root / "splits/enmap_bnetd" / f"{split}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        part = {"train": ids[:n], "val": ids[n:n + 4], "test": ids[n + 4:]}[split]
        f.write_text("\n".join(part) + "\n")


def epoch(dm: HSIDataModule) -> float:
    t0 = time.perf_counter()
    n = 0
    for batch in dm.train_dataloader():
        n += batch["image"].shape[0]
    return n / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chips", type=int, default=96)
    ap.add_argument("--smoke", action="store_true",
                    help="4 chips of 32 x 32, batch 2: checks that the benchmark runs (seconds)")
    args = ap.parse_args()
    side, batch = (32, 2) if args.smoke else (128, 16)
    if args.smoke:
        args.chips = 4
    torch.manual_seed(0)
    tmp = Path(tempfile.mkdtemp(prefix="hsiadapt-bench-"))
    try:
        write_chips(tmp / "data", args.chips, side)
        common = dict(batch_size=batch, size=side, normalization="pretraining",
                      pretraining_statistics=BACKBONES.get(BACKBONE).pretraining_statistics)
        full = HSIDataModule("enmap_bnetd", tmp / "data", **common)
        full.setup("fit")
        epoch(full)  # warm page cache and lazy imports
        full_rate = epoch(full)

        t0 = time.perf_counter()
        cached = HSIDataModule("enmap_bnetd", tmp / "data", cache_dir=tmp / "cache", **common)
        cached.setup("fit")
        build_s = time.perf_counter() - t0
        epoch(cached)
        cached_rate = epoch(cached)

        ds = EnMAPBNETD(tmp / "data", "train")
        t0 = time.perf_counter()
        compute_statistics(ds, build_adapter("srf", ds.bands), batch_size=batch)
        stats_s = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"{args.chips} chips of 202 x {side} x {side} int16 GeoTIFF, batch {batch}, num_workers=0, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"  full pipeline (read + srf + augment + normalise): {full_rate:8.1f} samples/s")
    print(f"  adapted-band cache (12 bands):                    {cached_rate:8.1f} samples/s")
    print(f"  cache build: {build_s:.2f} s; statistics pass: {stats_s:.2f} s")
    print(json.dumps({
        "smoke": args.smoke,
        "chips": args.chips,
        "full_samples_per_s": round(full_rate, 1),
        "cached_samples_per_s": round(cached_rate, 1),
        "cached_speedup": round(cached_rate / full_rate, 2),
        "cache_build_s": round(build_s, 2),
        "stats_s_per_1000_chips": round(stats_s * 1000 / args.chips, 1),
    }))


if __name__ == "__main__":
    main()

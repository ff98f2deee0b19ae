"""Peak memory of ``hsiadapt data check`` (issue 22.12: it peaked at 5.75 GB on three
2048 x 2048 x 30 chips).

Writes N synthetic int16 GeoTIFF chips of SIDE x SIDE x BANDS (wavelength tags, a mask each,
split lists) in an ``hsi_folder`` layout in a temporary folder, then runs ``check_dataset`` on it
in a fresh child process per code version and reports, in one JSON line:

* ``peak_rss_mb``: the child's peak resident memory (``ru_maxrss``) during the check;
* ``import_rss_mb``: its resident memory after the imports, before the check (the floor);
* ``chip_mb``: one chip as loaded (float32), for scale;
* with ``--baseline-src DIR`` (another checkout's ``src/``, e.g. the commit before the streamed
  statistics), the same figures for that code, measured in the same run on the same files, and
  ``peak_ratio`` (baseline peak / this code's peak).

Run: ``.venv/bin/python benchmarks/data_check_memory.py [--chips 3 --side 2048 --bands 30]
[--baseline-src /path/to/old/src]``; ``--smoke`` runs 3 chips of 64 x 64 (its figures mean
nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SRC = Path(__file__).resolve().parents[1] / "src"

_CHILD = """
import json, resource, sys
import numpy as np
from hsiadapt.data.check import check_dataset
floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rep = check_dataset("hsi_folder", sys.argv[1], dataset_args={"background_codes": [0]})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"import_rss_mb": floor / 1024, "peak_rss_mb": peak / 1024,
                  "problems": rep.problems, "samples": rep.checked_samples,
                  "percentiles": rep.value_percentiles}))
"""


def write_folder(root: Path, chips: int, side: int, bands: int) -> None:
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(0)
    for sub in ("images", "masks", "splits"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    prof = dict(driver="GTiff", width=side, height=side, count=bands, dtype="int16",
                crs="EPSG:32633", transform=from_origin(366015, 5809965, 30, 30), tiled=True,
                blockxsize=256, blockysize=256)
    wl = np.linspace(420.0, 2400.0, bands)
    names = [f"chip_{i}.tif" for i in range(chips)]
    base = rng.integers(500, 4000, (bands, 1, 1)).astype(np.int16)
    for name in names:
        with rasterio.open(root / "images" / name, "w", **prof) as dst:
            for r0 in range(0, side, 256):  # written in strips: the writer stays small too
                h = min(256, side - r0)
                win = rasterio.windows.Window(0, r0, side, h)
                dst.write(base + rng.integers(0, 300, (bands, h, side), dtype=np.int16),
                          window=win)
            for b in range(bands):
                dst.update_tags(b + 1, wavelength=f"{wl[b]:.2f}", fwhm="10.0",
                                wavelength_units="Nanometers")
        mprof = dict(prof, count=1, dtype="uint8")
        with rasterio.open(root / "masks" / name, "w", **mprof) as dst:
            dst.write(rng.choice([0, 1, 2, 3], (1, side, side)).astype(np.uint8))
    for k, split in enumerate(("train", "val", "test")):  # chips dealt out in turn
        (root / "splits" / f"{split}.txt").write_text("\n".join(names[k::3]) + "\n")


def measure(src: Path, root: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", _CHILD, str(root)], capture_output=True,
                          text=True, env=env, check=False)
    if proc.returncode != 0 or '"samples": 0,' in proc.stdout:
        raise SystemExit(f"check with {src} failed:\n{proc.stdout[-2000:]}{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chips", type=int, default=3)
    ap.add_argument("--side", type=int, default=2048)
    ap.add_argument("--bands", type=int, default=30)
    ap.add_argument("--baseline-src", type=Path, default=None,
                    help="another checkout's src/ to measure in the same run")
    ap.add_argument("--smoke", action="store_true",
                    help="3 chips of 64 x 64: checks that the benchmark runs")
    args = ap.parse_args()
    if args.smoke:
        args.chips, args.side = 3, 64
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "root"
        write_folder(root, args.chips, args.side, args.bands)
        new = measure(SRC, root)
        out = {"smoke": args.smoke, "chips": args.chips, "side": args.side, "bands": args.bands,
               "chip_mb": round(args.bands * args.side**2 * 4 / 2**20, 1),
               "import_rss_mb": round(new["import_rss_mb"], 1),
               "peak_rss_mb": round(new["peak_rss_mb"], 1),
               "samples_read": new["samples"]}
        if args.baseline_src is not None:
            old = measure(args.baseline_src, root)
            out.update({"baseline_src": str(args.baseline_src),
                        "baseline_import_rss_mb": round(old["import_rss_mb"], 1),
                        "baseline_peak_rss_mb": round(old["peak_rss_mb"], 1),
                        "peak_ratio": round(old["peak_rss_mb"] / new["peak_rss_mb"], 2),
                        "same_percentiles": np.allclose(old["percentiles"], new["percentiles"]),
                        "same_problems": old["problems"] == new["problems"]})
    print(json.dumps(out))


if __name__ == "__main__":
    main()

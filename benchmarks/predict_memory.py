"""Peak memory and time of ``hsiadapt predict`` on a large EnMAP L2A product (issue #20).

Writes, in a temporary folder, an EnMAP L2A product in the real layout (``-SPECTRAL_IMAGE.TIF``
int16 with 224 bands, written strip by strip, and its ``-METADATA.XML``, by the test fixture's
own writer ``tests/data/enmap_l2a/data.py``), trains a tiny run on five 32 x 32 chips with the
same band table (``stub`` backbone, ``srf`` adapter, so the model is negligible next to the
scene), then runs ``predict_scene`` on the product in a child process and reads that process's
peak resident memory from the kernel (``os.wait4``'s ``ru_maxrss``). The map is checked: its
size, and every pixel a class code (the product has no nodata pixels).

Prints one JSON line: ``rows``, ``cols``, ``bands``, ``scene_gib`` (the cube as float32),
``peak_rss_gib`` (the predict process), ``seconds`` (its wall time), ``tile``,
``within_4gib``. Target: ``peak_rss_gib`` <= 4 for 1000 x 1000 x 224.

Run: ``.venv/bin/python benchmarks/predict_memory.py [--side 1000]``; ``--smoke`` predicts a
48 x 48 scene in seconds to check that the benchmark executes (its figures then mean little).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window

ROOT = Path(__file__).resolve().parents[1]
CHIP = 32


def _test_module(name: str, relpath: str):
    """A module of the test suite, loaded by path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / relpath)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _fixture_writer():
    return _test_module("enmap_fixture", "data/enmap_l2a/data.py")


def write_product(folder: Path, side: int) -> Path:
    """A ``side`` x ``side`` x 224 EnMAP L2A product, written 100 rows at a time."""
    fx = _fixture_writer()
    rows = fx.table()
    n = len(rows)
    folder = folder / fx.NAME
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    base = rng.integers(500, 4000, (n, 1, 1)).astype(np.int16)
    prof = dict(driver="GTiff", width=side, height=side, count=n, dtype="int16", nodata=-32768,
                crs="EPSG:32633", transform=from_origin(366015, 5809965, 30, 30))
    image = folder / f"{fx.NAME}-SPECTRAL_IMAGE.TIF"
    with rasterio.open(image, "w", **prof) as dst:
        for r0 in range(0, side, 100):
            h = min(100, side - r0)
            dst.write(base + rng.integers(0, 300, (n, h, side), dtype=np.int16),
                      window=Window(0, r0, side, h))
    means, stds = np.full(n, 2000.0), np.full(n, 500.0)
    (folder / f"{fx.NAME}-METADATA.XML").write_text(fx.xml(rows, means, stds))
    return image


def train_run(root: Path, bands) -> Path:
    """A finished one-epoch run on five chips with the product's band table."""
    rng = np.random.default_rng(1)
    chips = root / "chips"
    for d in ("images", "masks", "splits"):
        (chips / d).mkdir(parents=True)
    prof = dict(driver="GTiff", width=CHIP, height=CHIP, count=len(bands), dtype="float32",
                crs="EPSG:32633", transform=from_origin(0, 0, 30, 30))
    for k in range(5):
        with rasterio.open(chips / "images" / f"c{k}.tif", "w", **prof) as dst:
            dst.write(rng.uniform(500, 4300, (len(bands), CHIP, CHIP)).astype(np.float32))
            for b, band in enumerate(bands):
                dst.update_tags(b + 1, wavelength=f"{band.center_nm:.6f}",
                                fwhm=f"{band.fwhm_nm:.6f}")
        with rasterio.open(chips / "masks" / f"c{k}.tif", "w",
                           **dict(prof, count=1, dtype="uint8")) as dst:
            dst.write(rng.integers(0, 3, (1, CHIP, CHIP)).astype(np.uint8))
    for split, names in (("train", "c0 c1 c2"), ("val", "c3"), ("test", "c4")):
        (chips / "splits" / f"{split}.txt").write_text("".join(f"{n}.tif\n" for n in names.split()))
    runs = _test_module("tiny_run", "tiny_run.py")
    res = runs.tiny_run(chips, root / "runs", task="chips", name="predict_memory",
                        adapter=runs.SRF, image_size=CHIP,
                        dataset_args={"class_names": ["a", "b", "c"]})
    if res.status != "finished":
        raise SystemExit(f"the run did not finish: {res.error}")
    return root / "runs" / res.run_id


def measure(run_dir: Path, image: Path, out: Path) -> tuple[float, float]:
    """``(peak RSS in GiB, seconds)`` of ``predict_scene`` in a child process."""
    code = ("import sys; from hsiadapt.experiment.predict import predict_scene; "
            "predict_scene(sys.argv[1], sys.argv[2], sys.argv[3])")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code, str(run_dir), str(image), str(out)],
                            env=env)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"predict failed with exit status {proc.returncode}")
    return usage.ru_maxrss / 2**20, seconds  # ru_maxrss is in KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=1000, help="scene rows and columns")
    ap.add_argument("--smoke", action="store_true",
                    help="a 48 x 48 scene: checks that the benchmark runs")
    args = ap.parse_args()
    side = 48 if args.smoke else args.side
    with tempfile.TemporaryDirectory(prefix="hsiadapt-predict-mem-") as tmp:
        root = Path(tmp)
        image = write_product(root / "product", side)
        from hsiadapt.spectral.io import load_bandset

        bands = load_bandset(image)
        run_dir = train_run(root, bands)
        peak, seconds = measure(run_dir, image, root / "map.tif")
        with rasterio.open(root / "map.tif") as src:
            labels = src.read(1)
        if labels.shape != (side, side) or not set(np.unique(labels)) <= {0, 1, 2}:
            raise SystemExit(f"the map is wrong: shape {labels.shape}, codes {np.unique(labels)}")
    print(json.dumps({"benchmark": "predict_memory", "smoke": args.smoke, "rows": side,
                      "cols": side, "bands": len(bands),
                      "scene_gib": round(len(bands) * side * side * 4 / 2**30, 3),
                      "peak_rss_gib": round(peak, 3), "seconds": round(seconds, 1),
                      "tile": CHIP, "within_4gib": peak <= 4.0}))


if __name__ == "__main__":
    main()

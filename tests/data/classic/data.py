"""Write small classic scenes in the EHU layout: the two .mat files with the real variable names
and the real band count, as MATLAB v5 (scipy.io.savemat) or v7.3 (HDF5 via h5py, arrays stored
column-major as MATLAB does, behind MATLAB's 512-byte header).

Values: a smooth vegetation-like reflectance per class (x 10000, uint16) over the scene's band
centres, so the spectral sanity check sees a plausible spectrum; labels: one rectangle field per
class over a background of 0 (unlabelled), each class in several places so block splits can
give it to train and test.

Houston 2013 (the GRSS DFC 2013 layout, see ``hsiadapt.datasets.classic.dftc2013``): the CASI
cube as a GeoTIFF (bands, rows, cols) and the labels as two ENVI ROI text files (training and
validation), each region's points listed as ``ID X Y`` lines whose ID restarts at 1.

    python tests/data/classic/data.py indian_pines OUT_DIR [--v73]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

_HEADER = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Thu Jan  1 00:00:00 2026 HDF5 schema 1.00 ."


#: the deep water-vapour windows as trapezoids (starts falling, dark from, dark to, back up;
#: nm): real spectra are near zero from about 1350 to 1420 nm and 1810 to 1950 nm
_WINDOWS = ((1320.0, 1350.0, 1420.0, 1450.0), (1780.0, 1810.0, 1950.0, 1980.0))


def _transmission(wl: np.ndarray) -> np.ndarray:
    t = np.ones_like(wl)
    for a, b, c, d in _WINDOWS:
        t = np.minimum(t, np.interp(wl, [a, b, c, d], [1.0, 0.02, 0.02, 1.0]))
    return t


def spectra(centers: np.ndarray, n_classes: int, seed: int = 0) -> np.ndarray:
    """``(n_classes, bands)`` reflectance x 10000: visible low, red edge near 715 nm, NIR
    plateau, dark in the deep water-vapour windows."""
    rng = np.random.default_rng(seed)
    wl = np.asarray(centers, dtype=float)
    out = []
    for _ in range(n_classes):
        vis, nir = rng.uniform(0.03, 0.12), rng.uniform(0.25, 0.5)
        r = vis + (nir - vis) / (1 + np.exp(-(wl - 715) / 12))
        r *= 1 - 0.3 * np.clip((wl - 1100) / 1400, 0, 1)  # SWIR slowly falling
        out.append(r * _transmission(wl))
    return np.asarray(out) * 10000


def labels(rows: int, cols: int, n_classes: int, seed: int = 0) -> np.ndarray:
    """0 = unlabelled; every class in three rectangles spread over the scene."""
    rng = np.random.default_rng(seed)
    gt = np.zeros((rows, cols), dtype=np.uint8)
    for k in range(1, n_classes + 1):
        for _ in range(3):
            r, c = rng.integers(0, rows - 4), rng.integers(0, cols - 4)
            gt[r:r + rng.integers(2, 6), c:c + rng.integers(2, 6)] = k
    return gt


def write_scene(name: str, out: str | Path, *, rows: int = 40, cols: int = 40, v73: bool = False,
                seed: int = 0, centers: np.ndarray | None = None,
                image_key: str | None = None, n_bands: int | None = None) -> tuple[Path, Path]:
    """Write ``name``'s image and ground-truth .mat files into ``out``; return their paths.

    ``image_key`` / ``n_bands`` override the scene's (to write a wrong file on purpose)."""
    import scipy.io

    from hsiadapt.datasets.classic import get_scene

    scene = get_scene(name)
    nb = n_bands or scene.n_bands
    if centers is None:
        try:
            centers = scene.bands().centers
        except ValueError:  # unknown table (KSC): any plausible centres will do for values
            centers = np.linspace(400, 2500, nb)
    centers = np.resize(np.asarray(centers), nb)
    gt = labels(rows, cols, len(scene.class_names), seed)
    spec = spectra(centers, len(scene.class_names) + 1, seed)
    rng = np.random.default_rng(seed + 1)
    img = spec[gt] * rng.uniform(0.9, 1.1, (rows, cols, 1)) + rng.normal(0, 30, (rows, cols, nb))
    img = np.clip(img, 0, 65535).astype(np.uint16)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if scene.layout == "dftc2013":
        return _write_dftc2013(scene, out, img, gt)
    paths = (out / scene.image_file, out / scene.gt_file)
    for path, key, arr in ((paths[0], image_key or scene.image_key, img),
                           (paths[1], scene.gt_key, gt)):
        if v73:
            import h5py

            with h5py.File(path, "w", userblock_size=512) as f:
                f.create_dataset(key, data=arr.transpose())  # MATLAB is column-major
            with open(path, "r+b") as f:
                f.write(_HEADER.ljust(128, b" "))
        else:
            scipy.io.savemat(path, {key: arr})
    return paths


def roi_text(gt: np.ndarray, n_classes: int) -> str:
    """``gt``'s regions (codes 1..n) as ENVI ROI text: ``;`` header lines, then per region its
    points as ``ID X Y`` (X = column, Y = row, 0-based), IDs from 1, a blank line between."""
    lines = ["; ENVI Output of ROIs (written by tests/data/classic/data.py)",
             f"; Number of ROIs: {n_classes}", f"; File Dimension: {gt.shape[1]} x {gt.shape[0]}"]
    for k in range(1, n_classes + 1):
        rows, cols = np.nonzero(gt == k)
        lines += ["", f"; ROI name: class {k}", f"; ROI npts: {rows.size}", ";   ID     X     Y"]
        lines += [f"{i:6d}{c:6d}{r:6d}" for i, (r, c) in enumerate(zip(rows, cols, strict=True), 1)]
    return "\n".join(lines) + "\n"


def _write_dftc2013(scene, out: Path, img: np.ndarray, gt: np.ndarray) -> tuple[Path, Path]:
    import rasterio

    path = out / scene.image_file
    with rasterio.open(path, "w", driver="GTiff", width=img.shape[1], height=img.shape[0],
                       count=img.shape[2], dtype="uint16") as dst:
        dst.write(img.transpose(2, 0, 1))
    n = len(scene.class_names)
    train = np.zeros_like(gt)  # the first half of each class's pixels: training samples
    for k in range(1, n + 1):
        rows, cols = np.nonzero(gt == k)
        train[rows[: rows.size // 2 + 1], cols[: rows.size // 2 + 1]] = k
    (out / scene.gt_file).write_text(roi_text(train, n))
    (out / scene.extra_gt_files[0]).write_text(roi_text(np.where(train > 0, 0, gt), n))
    return path, out / scene.gt_file


if __name__ == "__main__":
    write_scene(sys.argv[1], sys.argv[2], v73="--v73" in sys.argv)

"""Read a classic scene's two ``.mat`` files: scipy for MATLAB v5, h5py for v7.3 (HDF5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import DatasetNotFoundError, HSIDataError
from hsiadapt.datasets.classic.scenes import ClassicScene

__all__ = ["read_mat_variable", "read_scene"]


def read_mat_variable(path: Path, key: str) -> np.ndarray:
    """The array ``key`` of the MATLAB file ``path``, in MATLAB's own axis order.

    MATLAB v7.3 files are HDF5: h5py reads their arrays with the axes reversed (MATLAB stores
    column-major), so they are transposed back here.

    Raises:
        HSIDataError: not a MATLAB file, or ``key`` is not in it (the message lists its keys).
    """
    import h5py
    import scipy.io

    if h5py.is_hdf5(path):
        with h5py.File(path, "r") as f:
            keys = [k for k in f.keys() if not k.startswith("#")]
            if key not in f or not isinstance(f[key], h5py.Dataset):
                raise HSIDataError(f"{path}: no variable {key!r} in this MATLAB v7.3 file "
                                   f"(it holds {keys}); is it the right file?")
            return np.asarray(f[key][()]).transpose()
    try:
        data = scipy.io.loadmat(path, variable_names=[key])
    except (ValueError, TypeError, OSError) as err:
        raise HSIDataError(f"{path}: not a readable MATLAB .mat file ({err}); download it "
                           "again") from None
    if key not in data:
        keys = [k for k in scipy.io.whosmat(path)]
        raise HSIDataError(f"{path}: no variable {key!r} in this .mat file (it holds "
                           f"{[k[0] for k in keys]}); is it the right file?")
    return np.asarray(data[key])


def read_scene(scene: ClassicScene, mat_dir: str | Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The scene's image ``(rows, cols, bands)``, its label image ``(rows, cols)`` and notes.

    Raises:
        DatasetNotFoundError: a file is missing (the message gives its download URL).
        HSIDataError: a variable is missing, or its shape is not the scene's.
    """
    if scene.layout == "dftc2013":
        from hsiadapt.datasets.classic.dftc2013 import read_dftc2013

        return read_dftc2013(scene, mat_dir)
    mat_dir = Path(mat_dir)
    paths = {}
    for fname, url in ((scene.image_file, scene.image_url), (scene.gt_file, scene.gt_url)):
        p = mat_dir / fname
        if not p.is_file():
            raise DatasetNotFoundError(
                f"{p}: missing. Download it from {url} (the EHU GIC 'Hyperspectral Remote "
                f"Sensing Scenes' page) into {mat_dir}")
        paths[fname] = p
    img = read_mat_variable(paths[scene.image_file], scene.image_key)
    gt = read_mat_variable(paths[scene.gt_file], scene.gt_key)
    notes: list[str] = []
    if img.ndim != 3 or img.shape[2] != scene.n_bands:
        raise HSIDataError(
            f"{paths[scene.image_file]}: variable {scene.image_key!r} has shape {img.shape}; "
            f"{scene.title} is (rows, cols, {scene.n_bands}) - {scene.n_bands} bands. Is it the "
            f"corrected file from {scene.image_url}?")
    if gt.shape != img.shape[:2]:
        raise HSIDataError(
            f"{paths[scene.gt_file]}: variable {scene.gt_key!r} has shape {gt.shape}, the image "
            f"{img.shape[:2]}; the labels must cover the image pixel for pixel")
    if img.shape != scene.shape:
        notes.append(f"{scene.image_file}: shape {img.shape}, where the distributed scene is "
                     f"{scene.shape}")
    if not np.issubdtype(gt.dtype, np.integer):
        if not np.array_equal(gt, np.round(gt)):
            raise HSIDataError(f"{paths[scene.gt_file]}: labels are not whole numbers")
        gt = gt.astype(np.int64)
    codes = np.unique(gt)
    bad = [int(c) for c in codes if c < 0 or c > len(scene.class_names)]
    if bad:
        raise HSIDataError(f"{paths[scene.gt_file]}: label codes {bad} outside 0..."
                           f"{len(scene.class_names)} ({scene.title} has "
                           f"{len(scene.class_names)} classes, 0 = unlabelled)")
    return img, gt.astype(np.uint8), notes

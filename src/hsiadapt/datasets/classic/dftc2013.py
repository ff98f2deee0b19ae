"""Houston 2013 as the GRSS Data Fusion Contest 2013 distributes it (``2013_DFTC.zip``).

Layout, as the public loader ``songyz2019/rs-fusion-datasets`` reads it
(``@e55cbc7f:src/rs_fusion_datasets/core/fetch_houston2013.py``):

* the CASI cube ``2013_IEEE_GRSS_DF_Contest_CASI.tif`` (line 59: ``with rasterio.open(basedir /
  '2013_DFTC/2013_IEEE_GRSS_DF_Contest_CASI.tif') as f:``), 144 bands of 349 x 1905 px (line 20:
  ``UInt16[np.ndarray, '144 349 1905'],``), read here with rasterio;
* the labelled samples as ENVI ROI text files, ``..._Samples_TR.txt`` (training) and
  ``..._Samples_VA.txt`` (validation; line 63 ``read_roi(basedir /
  '2013_DFTC/2013_IEEE_GRSS_DF_Contest_Samples_VA.txt', (349, 1905))``).

ROI text (``util/fileio.py:48-53`` of the same commit): lines starting with ``;`` are comments,
data lines are ``ID X Y ...`` (``usecols=(2, 1)``: row from column 3, column from column 2),
and a line whose ID is 1 starts the next region; region k is class k (so a class without a
point in a file would shift the later ones: both contest files hold every class, as the
loader's fixed class list assumes). Whether X and Y count
from 0 (as that loader uses them) or from 1 is **unconfirmed**: they are read as 0-based here.
Both files' samples are labels here; the block split (:mod:`.blocks`) makes its own disjoint
splits, as for every classic scene.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hsiadapt.datasets.base import DatasetNotFoundError, HSIDataError
from hsiadapt.datasets.classic.scenes import ClassicScene

__all__ = ["read_dftc2013", "read_roi_text"]


def read_roi_text(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The regions of an ENVI ROI text file as a label image ``(rows, cols)``: region k (its
    IDs counting from 1) is code k, 0 unlabelled; a pixel in two regions keeps the first.

    Raises:
        HSIDataError: a data line that is not numbers, or a point outside ``shape``.
    """
    gt = np.zeros(shape, dtype=np.uint8)
    code = 0
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        try:
            ident, x, y = (int(float(v)) for v in line.split()[:3])
        except ValueError:
            raise HSIDataError(f"{path}:{n}: expected 'ID X Y ...' numbers, got {line!r}; is "
                               "it the contest's ROI text export?") from None
        code += ident == 1
        if not (0 <= y < shape[0] and 0 <= x < shape[1]):
            raise HSIDataError(f"{path}:{n}: point X={x} Y={y} lies outside the "
                               f"{shape[0]} x {shape[1]} px image")
        if gt[y, x] == 0:
            gt[y, x] = code
    return gt


def read_dftc2013(scene: ClassicScene, folder: str | Path
                  ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The CASI image ``(rows, cols, bands)``, the labels of both ROI files, and notes.

    Raises:
        DatasetNotFoundError: a file is missing (the message says where it comes from).
        HSIDataError: an image of another band count, or unreadable ROI text.
    """
    import rasterio

    folder = Path(folder)
    files = [folder / scene.image_file, folder / scene.gt_file,
             *(folder / f for f in scene.extra_gt_files)]
    for p in files:
        if not p.is_file():
            raise DatasetNotFoundError(
                f"{p}: missing. It is in {scene.image_url} (the folder 2013_DFTC/ of the "
                f"contest's zip; the VA samples come zipped in it): unpack it into {folder}")
    with rasterio.open(files[0]) as src:
        img = src.read().transpose(1, 2, 0)
    if img.shape[2] != scene.n_bands:
        raise HSIDataError(f"{files[0]}: {img.shape[2]} bands; {scene.title} has "
                           f"{scene.n_bands}. Is it the contest's CASI file?")
    gt = np.zeros(img.shape[:2], dtype=np.uint8)
    for roi in files[1:]:
        part = read_roi_text(roi, img.shape[:2])
        gt = np.where(gt == 0, part, gt)
    if int(gt.max()) > len(scene.class_names):
        raise HSIDataError(f"{files[1]}: {int(gt.max())} regions; {scene.title} has "
                           f"{len(scene.class_names)} classes")
    notes = [] if img.shape == scene.shape else [
        f"{scene.image_file}: shape {img.shape}, where the distributed scene is {scene.shape}"]
    return img, gt, notes

"""Write a classic scene as the folder :class:`~hsiadapt.datasets.folder.HSIFolder` reads.

Layout written under ``out``::

    images/<scene>_r<row>_c<col>.tif   one block, float32, per-band wavelength/fwhm tags,
                                       NaN (nodata) where the block overhangs the scene
    masks/<same name>                  uint8 class codes, 0 = unlabelled (and the overhang)
    splits/{train,val,test}.txt        whole blocks (see :mod:`.blocks`)
    scene/<scene>.tif                  the whole scene, for ``hsiadapt predict``
    classic_scene.json                 the scene, its band table's source and status, the
                                       block split and its per-split class counts
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hsiadapt._atomic import atomic_path, atomic_write_text
from hsiadapt.datasets.classic.blocks import SPLITS, BlockSplit, split_blocks
from hsiadapt.datasets.classic.scenes import ClassicScene
from hsiadapt.spectral import BandSet

__all__ = ["WrittenScene", "write_scene_folder"]


@dataclass
class WrittenScene:
    """What :func:`write_scene_folder` wrote."""

    root: Path
    split: BlockSplit
    n_files: int


def _write_tif(path: Path, data: np.ndarray, bands: BandSet | None) -> None:
    """``data``: ``(bands, rows, cols)``, written atomically."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    profile = dict(driver="GTiff", width=data.shape[2], height=data.shape[1],
                   count=data.shape[0], dtype=data.dtype.name)
    if bands is not None:
        profile["nodata"] = float("nan")
    with warnings.catch_warnings(), atomic_path(path, suffix=".tif") as tmp:
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(tmp, "w", **profile) as dst:
            dst.write(data)
            if bands is not None:
                for i, b in enumerate(bands):
                    tags = {"wavelength": f"{b.center_nm:.3f}", "wavelength_units": "nm"}
                    if b.fwhm_nm is not None:
                        tags["fwhm"] = f"{b.fwhm_nm:.3f}"
                    dst.update_tags(i + 1, **tags)
                    dst.set_band_description(i + 1, b.name)


def write_scene_folder(scene: ClassicScene, image: np.ndarray, gt: np.ndarray, bands: BandSet,
                       out: str | Path, *, tile: int = 32,
                       fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0,
                       band_note: str | None = None) -> WrittenScene:
    """Cut ``image`` (rows, cols, bands) and ``gt`` into ``tile`` px blocks and write them.

    Raises:
        ValueError: the band table does not fit the image, or the scene is too small for
            three labelled blocks of ``tile`` px.
    """
    if len(bands) != image.shape[2]:
        raise ValueError(f"band table with {len(bands)} bands for a {image.shape[2]}-band "
                         f"{scene.title} image")
    out = Path(out)
    split = split_blocks(gt, tile, len(scene.class_names), fractions=fractions, seed=seed,
                         class_names=scene.class_names)
    for sub in ("images", "masks", "splits", "scene"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    cube = np.moveaxis(image.astype(np.float32), 2, 0)
    names: dict[str, list[str]] = {s: [] for s in SPLITS}
    for (r, c), which in sorted(split.blocks.items()):
        name = f"{scene.name}_r{r:04d}_c{c:04d}.tif"
        block = np.full((cube.shape[0], tile, tile), np.nan, dtype=np.float32)
        labels = np.zeros((1, tile, tile), dtype=np.uint8)
        part = cube[:, r:r + tile, c:c + tile]
        block[:, :part.shape[1], :part.shape[2]] = part
        labels[0, :part.shape[1], :part.shape[2]] = gt[r:r + tile, c:c + tile]
        _write_tif(out / "images" / name, block, bands)
        _write_tif(out / "masks" / name, labels, None)
        names[which].append(name)
    for s in SPLITS:
        atomic_write_text(out / "splits" / f"{s}.txt", "".join(f"{n}\n" for n in names[s]))
    _write_tif(out / "scene" / f"{scene.name}.tif", cube, bands)
    _write_tif(out / "scene" / f"{scene.name}_gt.tif", gt[None].astype(np.uint8), None)
    card = {
        "scene": scene.name, "title": scene.title,
        "files": {"image": scene.image_file, "gt": scene.gt_file},
        "urls": [scene.image_url, scene.gt_url],
        "band_table": {"status": scene.band_status, "source": scene.band_source,
                       "note": band_note or scene.band_note, "n_bands": len(bands),
                       "centers_nm": [round(float(v), 3) for v in bands.centers]},
        "blocks": {"tile_px": tile, "seed": seed, "fractions": list(fractions),
                   "counts": {s: split.counts[s].tolist() for s in SPLITS},
                   "missing": split.missing},
        "class_names": list(scene.class_names),
    }
    atomic_write_text(out / "classic_scene.json", json.dumps(card, indent=1) + "\n")
    return WrittenScene(root=out, split=split, n_files=len(split.blocks))

"""Band-selection presets: exactly what the published TerraMind study ran.

The study (leonardijulia/TM_HSI_finetuning, commit ca37f28) hard-codes its naive band indices.
They are kept here as data so a reproduction uses exactly what ran, distinct from the nearest
bands hsiadapt computes (:func:`hsiadapt.spectral.nearest_bands`):

* EnMAP (SpectralEarth 202-band files): ``[6, 16, 30, 48, 54, 59, 65, 71, 75, 90, 131, 172]``,
  1-based band numbers passed to ``rasterio.read``. B12 is one band off the true nearest.
* HYPERVIEW: ``[0, 9, 30, 63, 76, 87, 101, 116, 126, 149, 149, 149]``, 0-based numpy indices;
  B09, B11 and B12 all repeat the last band (HYPERVIEW ends at 938 nm).
* HYPERVIEW, preset ``paper_nored`` (the study's cleaned code, ``BAND_SETS["s2l2a_nored"]`` in
  ``src/datasets/hyperview_1.py`` @ ``a315383``): ``[9, 30, 63, 76, 87, 101, 116, 126, 149]``,
  B02-B09 only (B01, B11 and B12 are not delivered: the model gets 9 bands, as after a coverage
  ``drop``).

A ``None`` in a preset's indices is a target band the preset does not deliver.
"""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.resampling import SpectralMap, coverage_report

__all__ = ["SELECTION_PRESETS", "map_from_matrix", "preset_indices", "selection_map"]

#: (source sensor, target sensor) -> 0-based source indices, one per target band.
SELECTION_PRESETS: dict[str, dict[tuple[str, str], tuple[int | None, ...]]] = {
    "paper": {
        ("enmap_spectralearth", "sentinel2_l2a"): tuple(
            i - 1 for i in (6, 16, 30, 48, 54, 59, 65, 71, 75, 90, 131, 172)
        ),
        ("hyperview", "sentinel2_l2a"): (0, 9, 30, 63, 76, 87, 101, 116, 126, 149, 149, 149),
    },
    "paper_nored": {
        ("hyperview", "sentinel2_l2a"): (None, 9, 30, 63, 76, 87, 101, 116, 126, 149, None, None),
    },
}


def preset_indices(preset: str, src: BandSet, dst: BandSet) -> np.ndarray:
    """0-based source indices of a named selection preset for this sensor pair, one per target
    band (-1: a target band the preset does not deliver).

    Raises:
        SpectralError: unknown preset, or no entry for this (source, target) pair.
    """
    table = SELECTION_PRESETS.get(preset)
    if table is None:
        raise SpectralError(
            f"unknown selection preset {preset!r}: known presets are {sorted(SELECTION_PRESETS)} "
            "(or use 'nearest' to compute the nearest bands)"
        )
    key = (src.name, dst.name)
    if key not in table:
        pairs = ", ".join(f"{a}->{b}" for a, b in table)
        raise SpectralError(
            f"preset {preset!r} has no indices for {src.name}->{dst.name}; it covers {pairs}"
        )
    idx = np.asarray([-1 if i is None else i for i in table[key]], dtype=np.int64)
    if len(idx) != len(dst) or idx.max() >= len(src):
        raise SpectralError(f"preset {preset!r} does not fit {src.name}->{dst.name}")
    return idx


def selection_map(preset: str, src: BandSet, dst: BandSet) -> SpectralMap:
    """A one-hot :class:`SpectralMap` from a named preset (coverage reported, not enforced)."""
    idx = preset_indices(preset, src, dst)
    kept = np.flatnonzero(idx >= 0)
    w = np.zeros((len(src), len(kept)))
    w[idx[kept], np.arange(len(kept))] = 1.0
    return SpectralMap(
        matrix=w,
        source=src,
        target=dst if len(kept) == len(dst) else dst.subset(kept),
        requested=dst,
        method=f"select:{preset}",
        integration=None,
        coverage="as-published",
        report=coverage_report(src, dst),
        filled={dst[k].name: "dropped" for k in np.flatnonzero(idx < 0)},
    )


def map_from_matrix(
    matrix: np.ndarray, src: BandSet, dst: BandSet, *, method: str = "matrix"
) -> SpectralMap:
    """Wrap a given weight matrix (e.g. the study's ``SRF_S2L2A_EnMAP_W.npy``) as a map.

    Raises:
        SpectralError: wrong shape or non-finite weights.
    """
    w = np.asarray(matrix, dtype=np.float64)
    if w.ndim != 2 or w.shape != (len(src), len(dst)):
        raise SpectralError(
            f"weight matrix has shape {w.shape}, expected ({len(src)}, {len(dst)}) for "
            f"{src.name} ({len(src)} bands) -> {dst.name} ({len(dst)} bands)"
        )
    if not np.isfinite(w).all():
        raise SpectralError("weight matrix has non-finite entries; rebuild it with srf_matrix")
    return SpectralMap(
        matrix=w,
        source=src,
        target=dst,
        requested=dst,
        method=method,
        integration=None,
        coverage="as-given",
        report=coverage_report(src, dst),
        filled={},
    )

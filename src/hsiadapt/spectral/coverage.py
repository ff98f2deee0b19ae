"""Coverage: how much of each target band's response a source sensor sees.

A target band counts as covered when the share of its response inside the source's bands is at
least ``min_coverage`` (and above zero); what happens to one that is not is the map's
``coverage`` policy (:mod:`hsiadapt.spectral.resampling`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hsiadapt.spectral.band import BandSet, SpectralError
from hsiadapt.spectral.response import response_matrix, response_support

__all__ = ["DEFAULT_MIN_COVERAGE", "CoverageError", "TargetCoverage", "coverage_report"]

#: Default share of a target band's response the source must see for the band to count as covered.
DEFAULT_MIN_COVERAGE = 0.01


class CoverageError(SpectralError):
    """A target band is not covered by the source sensor and the policy is ``"error"``."""


@dataclass(frozen=True)
class TargetCoverage:
    """How well the source sees one target band.

    Attributes:
        name: target band name.
        center_nm: target band centre (response centroid), nm.
        share: share of the target response (area) inside the source's valid bands, 0..1.
        covered: ``share >= min_coverage``.
        nearest_source: index of the nearest valid source band (by centre).
        nearest_distance_nm: distance from the target centre to that band's centre, nm.
    """

    name: str
    center_nm: float
    share: float
    covered: bool
    nearest_source: int
    nearest_distance_nm: float


def _grid(src: BandSet, dst: BandSet, step: float) -> np.ndarray:
    lo, hi = np.inf, -np.inf
    for b in dst:
        a, z = response_support(b)
        lo, hi = min(lo, a), max(hi, z)
    fw = src.effective_fwhm()
    c = src.centers
    lo = min(lo, float((c - 2 * fw).min()))
    hi = max(hi, float((c + 2 * fw).max()))
    lo, hi = np.floor(lo) - 1.0, np.ceil(hi) + 1.0
    return np.arange(lo, hi + step / 2, step)


def _source_mask(src: BandSet, grid: np.ndarray) -> np.ndarray:
    """True on the grid where some valid source band's centre +- FWHM/2 lies."""
    mask = np.zeros(grid.shape, dtype=bool)
    fw = src.effective_fwhm()
    for c, f, ok in zip(src.centers, fw, src.valid, strict=True):
        if ok:
            mask |= (grid >= c - f / 2) & (grid <= c + f / 2)
    return mask


def _target_centers(dst: BandSet, grid: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Response centroids for tabulated targets, nominal centres otherwise."""
    out = dst.centers.copy()
    for k, b in enumerate(dst):
        if b.response is not None and phi[k].sum() > 0:
            out[k] = float((grid * phi[k]).sum() / phi[k].sum())
    return out


def _nearest_valid(src: BandSet, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    valid = np.flatnonzero(src.valid)
    if valid.size == 0:
        raise SpectralError(f"source band set {src.name!r} has no valid (good) bands")
    sc = src.centers[valid]
    d = np.abs(centers[:, None] - sc[None, :])
    pick = d.argmin(axis=1)
    return valid[pick], d[np.arange(centers.size), pick]


def _coverage(
    src: BandSet, dst: BandSet, min_coverage: float, step: float = 1.0
) -> tuple[tuple[TargetCoverage, ...], np.ndarray, np.ndarray]:
    if not 0.0 <= min_coverage <= 1.0:
        raise SpectralError(f"min_coverage must be in [0, 1], got {min_coverage!r}")
    grid = _grid(src, dst, step)
    phi = response_matrix(dst, grid)
    mask = _source_mask(src, grid)
    area = phi.sum(axis=1)
    share = np.where(area > 0, (phi * mask).sum(axis=1) / np.where(area > 0, area, 1), 0.0)
    centers = _target_centers(dst, grid, phi)
    near, dist = _nearest_valid(src, centers)
    report = tuple(
        TargetCoverage(
            name=b.name,
            center_nm=float(centers[k]),
            share=float(share[k]),
            covered=bool(share[k] >= min_coverage and share[k] > 0),
            nearest_source=int(near[k]),
            nearest_distance_nm=float(dist[k]),
        )
        for k, b in enumerate(dst)
    )
    return report, grid, phi


def coverage_report(
    src: BandSet, dst: BandSet, *, min_coverage: float = DEFAULT_MIN_COVERAGE
) -> tuple[TargetCoverage, ...]:
    """Per target band, the share of its response the source sees (see :class:`TargetCoverage`).

    A target band needs a tabulated response or a FWHM; a source band without FWHM is taken to be
    as wide as its local band spacing.
    """
    return _coverage(src, dst, min_coverage)[0]


def _uncovered_error(src: BandSet, dst: BandSet, report, bad: list[int], what: str) -> CoverageError:
    names = ", ".join(
        f"{report[k].name} ({report[k].center_nm:.0f} nm, {100 * report[k].share:.1f}% seen)"
        for k in bad
    )
    c = src.centers[src.valid]
    return CoverageError(
        f"{what}: source {src.name!r} ({c.min():.0f}-{c.max():.0f} nm) does not cover target "
        f"band(s) {names} of {dst.name!r}. Choose a coverage policy: drop (leave them out; the "
        "model then uses only the remaining bands), nearest (repeat the nearest source band, as "
        "the published study did) or zero (fill zeros) - in a config 'coverage: drop' in the "
        "adapter's args, on the command line --coverage drop (hsiadapt spectral), in Python "
        "coverage=\"drop\""
    )

"""What the spectral tokenizer derives from a band table: the projection to its target bands,
the bands' centres, FWHM and quadrature weights, and the input's normalisation statistics.

A :class:`BandState` is computed from a :class:`~hsiadapt.spectral.BandSet` at run time (never
stored in a state dict), so one tokenizer serves any sensor; :mod:`hsiadapt.models.tokenizer`
generates its kernels from one, and :mod:`hsiadapt.models.tokenizer_augment` builds them for
simulated sensors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import torch

from hsiadapt.spectral import BandSet, build_map
from hsiadapt.spectral.resampling import Coverage, Integration

__all__ = ["QUADRATURES", "WIDTH_UNIT_NM", "BandState", "Quadrature", "band_state",
           "quadrature_weights"]

#: how a band's share of the wavelength axis (its quadrature weight) is measured: ``fwhm`` - its
#: FWHM; ``spacing`` - half the distance between its neighbours (at most its FWHM, so a band
#: beside an absorption gap does not stand for the gap)
Quadrature = Literal["fwhm", "spacing"]
QUADRATURES: tuple[str, ...] = get_args(Quadrature)

#: quadrature weights are band widths in units of this many nm
WIDTH_UNIT_NM = 10.0


@dataclass(frozen=True)
class BandState:
    """The tensors the tokenizer's kernels are generated from, for one band table (float64).

    ``projection`` ``(C, K)`` - from the input bands to the target bands (zero columns for target
    bands not covered); ``present`` ``(K,)`` - 1 for covered target bands; ``centers``,
    ``fwhm``, ``quadrature`` ``(C,)``; ``source_mean``, ``source_std`` ``(C,)`` - the statistics
    the input bands were normalised with (0 and 1 when they were not).
    """

    projection: torch.Tensor
    present: torch.Tensor
    centers: torch.Tensor
    fwhm: torch.Tensor
    quadrature: torch.Tensor
    source_mean: torch.Tensor
    source_std: torch.Tensor


def quadrature_weights(bands: BandSet, rule: Quadrature = "fwhm") -> np.ndarray:
    """Each band's quadrature weight in units of :data:`WIDTH_UNIT_NM` (0 for bad bands).

    Summed over a sensor's bands, ``spacing`` weights measure the wavelength range it covers
    whatever its band overlap (PRISMA's FWHM sum over-counts it by a third); ``fwhm`` weights
    are the bands' widths."""
    if rule not in QUADRATURES:
        raise ValueError(f"tokenizer quadrature {rule!r}: use one of {list(QUADRATURES)}")
    fw = bands.effective_fwhm()
    valid = np.asarray(bands.valid, bool)
    if rule == "fwhm":
        return np.where(valid, fw, 0.0) / WIDTH_UNIT_NM
    idx = np.flatnonzero(valid)
    idx = idx[np.argsort(bands.centers[idx], kind="stable")]
    c, f = bands.centers[idx], fw[idx]
    gaps = np.diff(c)
    left = np.concatenate([f[:1], gaps])  # an edge band's missing side counts as its FWHM
    right = np.concatenate([gaps, f[-1:]])
    w = np.zeros(len(bands))
    w[idx] = np.minimum(f, 0.5 * (np.minimum(left, f) + np.minimum(right, f)))
    return w / WIDTH_UNIT_NM


def band_state(bands: BandSet, target: BandSet, *, init: Literal["srf", "select"],
               integration: Integration, coverage: Coverage, quadrature: Quadrature = "fwhm",
               source_mean: np.ndarray | None = None, source_std: np.ndarray | None = None,
               device: torch.device | str = "cpu") -> BandState:
    """The :class:`BandState` of input ``bands`` for a tokenizer whose kernels target ``target``.
    Zero std counts as 1 (as :class:`hsiadapt.data.transforms.Normalize` does)."""
    smap = build_map(bands, target, init, integration=integration, coverage=coverage)
    kept = [target.names.index(n) for n in smap.target.names]
    m = np.zeros((len(bands), len(target)))
    m[:, kept] = smap.matrix
    present = np.zeros(len(target))
    present[kept] = 1.0
    c = len(bands)
    r = np.zeros(c) if source_mean is None else np.asarray(source_mean, np.float64)
    q = np.ones(c) if source_std is None else np.asarray(source_std, np.float64)
    if r.shape != (c,) or q.shape != (c,):
        raise ValueError(f"source statistics have {r.shape} / {q.shape} values for {c} bands")

    def t(v: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(np.asarray(v, np.float64), dtype=torch.float64, device=device)

    return BandState(projection=t(m), present=t(present), centers=t(bands.centers),
                     fwhm=t(bands.effective_fwhm()),
                     quadrature=t(quadrature_weights(bands, quadrature)), source_mean=t(r),
                     source_std=t(np.where(q > 0, q, 1.0)))

"""Simulated sensors for the spectral tokenizer's band-table augmentation.

A tokenizer fine-tuned on one sensor sees one band table: its learned offset can fit that
table's band positions and widths, and read another sensor's bands differently (README "One
tokenizer for every sensor"). With ``augment: p`` (:class:`hsiadapt.models.tokenizer
.SpectralTokenizer`), a training step reads its input, with probability ``p``, through a
*simulated sensor*: bands of another spacing (5-16 nm), phase and width (0.9-1.4 times the
spacing), rendered from the training bands by Gaussian responses. The rendering is linear, so it
folds into the kernel: the tokens are exactly those of the rendered cube tokenized for the
simulated band table (:func:`simulated_states`), and the batch itself is never copied.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from hsiadapt.models.tokenizer_bands import BandState
from hsiadapt.spectral import BandSet
from hsiadapt.spectral.errors import SpectralError

__all__ = ["SPACING_NM", "WIDTH_FACTOR", "SimulatedSensor", "simulate_sensor",
           "simulated_sensors", "simulated_states"]

#: range of the simulated sensors' band spacing (nm): EnMAP's VNIR is 6.5 nm, PRISMA and EMIT
#: 7.4-12 nm, Hyperion 10 nm, the coarsest SWIR 13 nm
SPACING_NM = (5.0, 16.0)
#: range of the simulated FWHM as a multiple of the spacing
WIDTH_FACTOR = (0.9, 1.4)
#: the spacing of consecutive simulated bands varies by this share around the sensor's spacing
_JITTER = 0.15

StateFn = Callable[[BandSet, np.ndarray, np.ndarray], BandState]


@dataclass(frozen=True)
class SimulatedSensor:
    """A simulated band table and ``render`` ``(C_sim, C)``: its bands from the training bands
    (each row a Gaussian response over the valid training bands' centres, summing to 1)."""

    bands: BandSet
    render: np.ndarray

    def statistics(self, mean: np.ndarray, std: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The normalisation statistics of the rendered bands from those of the training bands
        (the rendered mean exactly; the std as the rendered stds, which bounds it above)."""
        return self.render @ np.asarray(mean, np.float64), self.render @ np.asarray(std,
                                                                                    np.float64)


def simulate_sensor(bands: BandSet, rng: np.random.Generator, name: str = "simulated"
                    ) -> SimulatedSensor:
    """Draw one simulated sensor over the wavelengths ``bands`` see: centres every
    :data:`SPACING_NM` nm (jittered, random phase) that lie within the FWHM of the nearest
    valid training band - never in an absorption gap the training sensor does not see."""
    valid = np.flatnonzero(np.asarray(bands.valid, bool))
    if valid.size < 2:
        raise SpectralError(f"band table {bands.name!r} has {valid.size} valid bands; "
                            "tokenizer args augment needs at least 2")
    c, fw = bands.centers[valid], bands.effective_fwhm()[valid]
    order = np.argsort(c)
    c, fw = c[order], fw[order]
    spacing = rng.uniform(*SPACING_NM)
    n = math.ceil((c[-1] - c[0]) / (spacing * (1 - _JITTER))) + 3  # past the last band
    steps = spacing * rng.uniform(1 - _JITTER, 1 + _JITTER, n)
    centers = c[0] - rng.uniform(0, spacing) + np.concatenate([[0.0], np.cumsum(steps[:-1])])
    near = np.abs(centers[:, None] - c[None, :]).argmin(1)
    centers = centers[np.abs(centers - c[near]) <= fw[near]]
    fwhm = spacing * rng.uniform(*WIDTH_FACTOR)
    d = (bands.centers[None, valid] - centers[:, None]) / fwhm
    g = np.exp(-4.0 * math.log(2.0) * d ** 2)
    keep = g.sum(1) > 1e-6
    render = np.zeros((int(keep.sum()), len(bands)))
    render[:, valid] = g[keep] / g[keep].sum(1, keepdims=True)
    sim = BandSet.from_wavelengths(centers[keep], fwhm, name=name)
    return SimulatedSensor(sim, render)


def simulated_sensors(bands: BandSet, n: int, seed: int = 0) -> list[SimulatedSensor]:
    """``n`` simulated sensors over ``bands``, the same for the same ``seed``."""
    rng = np.random.default_rng(seed)
    return [simulate_sensor(bands, rng, f"simulated-{i}") for i in range(n)]


def simulated_states(bands: BandSet, mean: np.ndarray, std: np.ndarray, state_fn: StateFn,
                     n: int, seed: int = 0) -> list[tuple[BandState, torch.Tensor]]:
    """``n`` simulated sensors as ``(state, mix)``: ``state`` - the simulated bands' state
    (``state_fn(bands, mean, std)``, with the rendered statistics), ``mix`` ``(C_sim, C)`` -
    the map from the training input, normalised with ``mean, std``, to the rendered input
    normalised with the rendered statistics: ``diag(1/std') R diag(std)``. A kernel generated
    for ``state`` and multiplied by ``mix`` reads the training input as the simulated sensor
    would see it. Sensors the tokenizer's projection cannot serve (a coverage error) are
    redrawn."""
    rng = np.random.default_rng(seed)
    q = np.where(np.asarray(std, np.float64) > 0, std, 1.0)
    out: list[tuple[BandState, torch.Tensor]] = []
    for _ in range(4 * n):
        sim = simulate_sensor(bands, rng, f"simulated-{len(out)}")
        m2, s2 = sim.statistics(mean, q)
        try:
            st = state_fn(sim.bands, m2, s2)
        except SpectralError:
            continue
        s2 = np.where(s2 > 0, s2, 1.0)
        mix = sim.render * q[None, :] / s2[:, None]
        out.append((st, torch.as_tensor(mix, dtype=torch.float64, device=st.projection.device)))
        if len(out) == n:
            return out
    raise SpectralError(f"tokenizer args augment: the tokenizer's projection serves none of the "
                        f"simulated sensors over {bands.name!r}; use coverage: drop")

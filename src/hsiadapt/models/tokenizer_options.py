"""The options ``input_mode: tokenizer`` takes (its ``args``), documented in one place."""

from __future__ import annotations

import inspect
from typing import Any, Literal, get_args

from hsiadapt.models.tokenizer_bands import Quadrature
from hsiadapt.spectral.resampling import DEFAULT_INTEGRATION, Coverage, Integration

__all__ = ["OFFSET_INPUTS", "OffsetInput", "Support", "tokenizer_args", "tokenizer_defaults"]

#: what the learned offset weights: each input band ``normalised`` with its own statistics, or
#: in the input's ``reflectance`` units (divided by one sensor-independent scale: the mean std
#: of the target bands), so another sensor's band statistics do not rescale it
OffsetInput = Literal["normalised", "reflectance"]
OFFSET_INPUTS: tuple[str, ...] = get_args(OffsetInput)
#: where the spectrum table may be non-zero: ``all`` its grid, or what the training bands
#: ``seen`` (projected after each optimizer step)
Support = Literal["all", "seen"]


def tokenizer_args(*, init: Literal["srf", "select"] = "select", coverage: Coverage = "error",
                   integration: Integration = DEFAULT_INTEGRATION, rank: int = 64,
                   hidden: int = 128, frequencies: int = 8, fwhm_frequencies: int = 2,
                   gain: float = 30.0, offset: Literal["mlp", "spectrum"] = "spectrum",
                   grid_nm: float = 5.0, smooth_nm: float = 0.0, quadrature: Quadrature = "spacing",
                   offset_input: OffsetInput = "normalised", support: Support = "seen",
                   augment: float = 0.0,
                   pretrained: str | None = None) -> None:
    """The arguments ``input_mode: tokenizer`` takes: ``init`` - the projection the kernels are
    generated from (``srf`` or ``select``); ``coverage``, ``integration`` - as for those
    adapters; ``rank``, ``hidden``, ``frequencies``, ``fwhm_frequencies`` - the learned offset's
    basis kernels, MLP width and Fourier frequencies of the band centre and of its FWHM;
    ``gain`` - a constant the offset's coefficients are multiplied by (with Adam, about a
    learning-rate multiplier for the learned part; the offset is still zero at step 0);
    ``offset`` - ``mlp`` (coefficients from an MLP over Fourier features of centre and FWHM)
    or ``spectrum`` (coefficients are a table over a ``grid_nm`` wavelength grid, integrated
    with each band's Gaussian response - the same continuous spectral filters, read through
    each sensor's bands);
    ``smooth_nm`` - with ``offset: spectrum``, the table is read through a Gaussian of this
    FWHM (nm; 0: none), so narrow and wide bands at one wavelength get like coefficients;
    ``quadrature`` - a band's weight in the offset: ``fwhm`` (its width) or ``spacing`` (half
    the distance between its neighbours, at most its FWHM: the offset is the same integral
    whatever the sensor's band overlap);
    ``offset_input`` - what the offset weights: the input bands ``normalised`` with their own
    statistics, or in ``reflectance`` units over one sensor-independent scale (the target bands'
    mean std), so a sensor whose band statistics differ (noise, width) reads the same filters;
    ``support`` - with ``offset: spectrum``, ``seen`` projects the table after each optimizer
    step onto what the training bands read (Adam's per-entry steps otherwise leave filters
    between and beside them that no training band sees, but another sensor's bands read; the
    training bands' kernels, hence the training, are the same either way); ``all``: no
    projection (``offset: mlp`` has no table: no projection either way);
    ``augment`` - the probability (0-1) that a training step reads its input through a
    simulated sensor (:mod:`hsiadapt.models.tokenizer_augment`; 0: never, and no random number
    is drawn);
    ``pretrained`` - a file from ``hsiadapt pretrain --tokenizer`` whose learned part (MLP and
    basis) the tokenizer starts from (then step 0 is no longer the projection)."""


def tokenizer_defaults(args: dict[str, Any] | None = None) -> dict[str, Any]:
    """``args`` completed with the defaults of :func:`tokenizer_args` (``pretrained`` left
    out): what a pretrained tokenizer file and a run must agree on."""
    given = args or {}
    sig = inspect.signature(tokenizer_args).parameters
    return {k: given.get(k, p.default) for k, p in sig.items() if k != "pretrained"}

"""Fixed linear adapters: band selection (``select``) and SRF resampling (``srf``).

The weight matrix is built once from band metadata (:mod:`hsiadapt.spectral`) and stored as a
buffer. Applying it exploits its structure: each target band touches one short contiguous run of
source bands (a selection touches one), so the product is done run by run and never reads the
source bands no target band uses. ``dense=True`` applies the full matrix as one product instead.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import torch

from hsiadapt.adapters.base import ADAPTERS, SpectralAdapter, resolve_bands
from hsiadapt.spectral import BandSet, SpectralMap, build_map, selection_map
from hsiadapt.spectral.resampling import DEFAULT_INTEGRATION, Coverage, Integration

__all__ = ["LinearMapAdapter", "SRFAdapter", "SelectAdapter"]


def _runs(w: np.ndarray) -> list[tuple[int, int]]:
    """Per column, the half-open row range [first non-zero, last non-zero + 1)."""
    out = []
    for k in range(w.shape[1]):
        nz = np.flatnonzero(w[:, k])
        out.append((int(nz[0]), int(nz[-1]) + 1) if nz.size else (0, 0))
    return out


class LinearMapAdapter(SpectralAdapter):
    """Applies a fixed :class:`~hsiadapt.spectral.SpectralMap` (weights in buffer ``weight``)."""

    weight: torch.Tensor

    def __init__(self, spectral_map: SpectralMap, *, dense: bool = False,
                 clip_after_projection: bool = False) -> None:
        super().__init__(spectral_map.source, spectral_map.target)
        self.map = spectral_map
        self.dense = dense
        #: set negative outputs to 0: ``max(W^T x, 0)`` (the study's EnMAP-BDForet loader
        #: clipped after its SRF projection; clipping the source bands, ``W^T max(x, 0)``, is
        #: the dataset's ``clip_negative``; the two agree for a selection only)
        self.clip_after_projection = clip_after_projection
        self.register_buffer("weight", torch.as_tensor(spectral_map.matrix, dtype=torch.float32))
        self._runs = _runs(spectral_map.matrix)
        self._weights_list: list[list[float]] | None = None
        self._weights_device: torch.device | None = None
        self._unit = [
            hi - lo == 1 and spectral_map.matrix[lo, k] == 1.0
            for k, (lo, hi) in enumerate(self._runs)
        ]

    def project(self, x: torch.Tensor) -> torch.Tensor:
        y = self._product(x)
        return y.clamp_min(0.0) if self.clip_after_projection else y

    def _product(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, wd = x.shape
        if self.dense or (torch.is_grad_enabled() and x.requires_grad):
            # one matrix product over the band axis (autograd-friendly)
            w_t = self.weight.to(dtype=x.dtype).T
            return torch.matmul(w_t, x.reshape(b, c, h * wd)).reshape(b, -1, h, wd)
        # Run-wise: each target band is a weighted sum over a short contiguous run of source
        # bands, accumulated in place; source bands outside every run are never read.
        if self._weights_list is None or self._weights_device != self.weight.device:
            self._weights_list = self.weight.tolist()
            self._weights_device = self.weight.device
        wl = self._weights_list
        out = x.new_empty((b, self.out_channels, h, wd))
        for k, (lo, hi) in enumerate(self._runs):
            o = out[:, k]
            if hi == lo:
                o.zero_()
            elif self._unit[k]:
                o.copy_(x[:, lo])
            else:
                torch.mul(x[:, lo], wl[lo][k], out=o)
                for j in range(lo + 1, hi):
                    o.add_(x[:, j], alpha=wl[j][k])
        return out

    @classmethod
    def matrix_source(cls, args: dict[str, Any]) -> str | None:
        if "preset" in args:
            return f"published matrix preset {args['preset']!r}"
        if "matrix" in args:
            return f"weight file {args['matrix']}"
        return cls._computed(args)

    @classmethod
    def _computed(cls, args: dict[str, Any]) -> str | None:
        return None

    def _load_from_state_dict(self, *args: Any, **kwargs: Any) -> None:
        super()._load_from_state_dict(*args, **kwargs)
        self._weights_list = None
        w = self.weight.detach().cpu().numpy().astype(np.float64)
        self._runs = _runs(w)
        self._unit = [hi - lo == 1 and w[lo, k] == 1.0 for k, (lo, hi) in enumerate(self._runs)]


@ADAPTERS.register("select")
class SelectAdapter(LinearMapAdapter):
    """Naive band selection: the source band nearest to each target band centre.

    Args:
        source: source bands (BandSet, sensor name or wavelength file).
        target: target bands, default TerraMind's ``sentinel2_l2a``.
        preset: ``"nearest"`` computes the nearest bands (equation 1); ``"paper"`` uses the
            indices the published study hard-coded; ``"paper_nored"`` its cleaned code's 9
            HYPERVIEW bands (see :mod:`hsiadapt.spectral.presets`).
        coverage: policy for target bands the source does not see (``"nearest"`` only).
        clip_after_projection: set negative outputs to 0 (see :class:`LinearMapAdapter`).
    """

    def __init__(
        self,
        source: BandSet | str,
        target: BandSet | str = "sentinel2_l2a",
        *,
        preset: Literal["nearest", "paper", "paper_nored"] = "nearest",
        coverage: Coverage = "error",
        dense: bool = False,
        clip_after_projection: bool = False,
    ) -> None:
        src, dst = resolve_bands(source), resolve_bands(target)
        if preset == "nearest":
            m = build_map(src, dst, "select", coverage=coverage)
        else:
            m = selection_map(preset, src, dst)
        super().__init__(m, dense=dense, clip_after_projection=clip_after_projection)

    @classmethod
    def _computed(cls, args: dict[str, Any]) -> str | None:
        return "computed: nearest band centres"


@ADAPTERS.register("srf")
class SRFAdapter(LinearMapAdapter):
    """SRF resampling: each target band a response-weighted average of the source bands.

    Args:
        source: source bands (BandSet, sensor name or wavelength file).
        target: target bands with responses, default ``sentinel2_l2a``.
        integration: ``"boxcar"`` (default: the study's EnMAP matrix), ``"point"`` or
            ``"gaussian"`` (see :mod:`hsiadapt.spectral.resampling`).
        coverage: policy for target bands the source does not see.
        matrix: optional precomputed ``(C_in, C_out)`` weights - an array or the path of a
            ``.npy`` file (e.g. the study's ``SRF_S2L2A_hyperview_1_W.npy``) - used instead of
            computing them. Fewer columns than target bands are the bands ``coverage`` keeps
            (e.g. ``coverage: drop``), in target order.
        clip_after_projection: set negative outputs to 0 (see :class:`LinearMapAdapter`).
    """

    def __init__(
        self,
        source: BandSet | str,
        target: BandSet | str = "sentinel2_l2a",
        *,
        integration: Integration = DEFAULT_INTEGRATION,
        coverage: Coverage = "error",
        matrix: np.ndarray | str | None = None,
        dense: bool = False,
        clip_after_projection: bool = False,
    ) -> None:
        src, dst = resolve_bands(source), resolve_bands(target)
        if matrix is not None:
            from hsiadapt.spectral import map_from_matrix

            w = np.load(matrix, allow_pickle=False) if isinstance(matrix, str) else matrix
            w = np.asarray(w, dtype=np.float64)
            if w.ndim == 2 and w.shape[0] == len(src) and w.shape[1] < len(dst):
                kept = build_map(src, dst, "srf", integration=integration, coverage=coverage)
                dst = kept.target
            m = map_from_matrix(w, src, dst, method=f"srf:matrix {matrix}"
                                if isinstance(matrix, str) else "srf:matrix")
        else:
            m = build_map(src, dst, "srf", integration=integration, coverage=coverage)
        super().__init__(m, dense=dense, clip_after_projection=clip_after_projection)

    @classmethod
    def _computed(cls, args: dict[str, Any]) -> str | None:
        return f"computed: integration {args.get('integration', DEFAULT_INTEGRATION)}"

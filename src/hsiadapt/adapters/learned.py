"""Trainable adapters."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from hsiadapt.adapters.base import ADAPTERS, SpectralAdapter, resolve_bands
from hsiadapt.hints import check_choice
from hsiadapt.spectral import BandSet, build_map
from hsiadapt.spectral.resampling import DEFAULT_INTEGRATION, Coverage, Integration

__all__ = ["LinearAdapter"]


@ADAPTERS.register("linear")
class LinearAdapter(SpectralAdapter):
    """A trainable ``C_in -> C_out`` linear map over the band axis (a 1x1 convolution).

    Initialised from the ``select`` or ``srf`` matrix, so before training it is exactly that
    adapter, or randomly (``init="random"``, Kaiming-uniform like ``nn.Linear``).

    Args:
        source: source bands.
        target: target bands, default ``sentinel2_l2a``.
        init: ``"srf"``, ``"select"`` or ``"random"``.
        integration: SRF integration for ``init="srf"``.
        coverage: coverage policy for the initialising matrix.
        bias: add a learnable per-target-band bias (initialised to zero).
    """

    trainable = True

    def __init__(
        self,
        source: BandSet | str,
        target: BandSet | str = "sentinel2_l2a",
        *,
        init: Literal["srf", "select", "random"] = "srf",
        integration: Integration = DEFAULT_INTEGRATION,
        coverage: Coverage = "error",
        bias: bool = False,
    ) -> None:
        src, dst = resolve_bands(source), resolve_bands(target)
        check_choice("init", init, Literal["srf", "select", "random"], "adapter args key 'init'")
        if init == "random":
            w = torch.empty(len(src), len(dst))
            nn.init.kaiming_uniform_(w.T, a=5**0.5)
        else:  # started from the map of that name
            m = build_map(src, dst, init, integration=integration, coverage=coverage)
            dst = m.target
            w = torch.as_tensor(m.matrix, dtype=torch.float32)
        super().__init__(src, dst)
        self.init = init
        self.weight = nn.Parameter(w)
        self.bias = nn.Parameter(torch.zeros(len(dst))) if bias else None

    def project(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.einsum("bchw,ck->bkhw", x, self.weight.to(x.dtype))
        if self.bias is not None:
            y = y + self.bias.to(x.dtype)[None, :, None, None]
        return y

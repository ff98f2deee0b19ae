"""A learned spectral adapter in the style of SpectralEarth's: 3-D convolutions along the band
axis (1x1 spatially), then a pool over the remaining spectral positions and a 1x1 projection to
the target's band count, so it can sit in front of any backbone."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from hsiadapt.adapters.base import ADAPTERS, SpectralAdapter, resolve_bands
from hsiadapt.spectral import BandSet, build_map
from hsiadapt.spectral.resampling import Coverage

__all__ = ["SpectralConvAdapter"]


@ADAPTERS.register("spectral_conv")
class SpectralConvAdapter(SpectralAdapter):
    """Conv3d blocks ``(k, 1, 1)`` with stride along the spectrum, BatchNorm, ReLU; adaptive
    average pool over the spectral axis; 1x1 conv to ``len(target)`` channels.

    The output channels take the target's band names so a backbone can be built for them, but
    they are learned features, not the target bands' reflectances (random initialisation).

    Args:
        source: source bands.
        target: target band set (its length is the output width), default ``sentinel2_l2a``.
        channels, kernels, strides: per block (defaults follow SpectralEarth's adapter:
            32/64/128 channels, kernels 7/7/5, strides 5/5/3).
    """

    trainable = True

    def __init__(
        self,
        source: BandSet | str,
        target: BandSet | str = "sentinel2_l2a",
        *,
        channels: Sequence[int] = (32, 64, 128),
        kernels: Sequence[int] = (7, 7, 5),
        strides: Sequence[int] = (5, 5, 3),
        coverage: Coverage = "error",
    ) -> None:
        src, dst = resolve_bands(source), resolve_bands(target)
        # the same coverage policy as every adapter decides which target bands are produced
        dst = build_map(src, dst, "select", coverage=coverage).target
        super().__init__(src, dst)
        if not len(channels) == len(kernels) == len(strides):
            raise ValueError("channels, kernels and strides need one entry per block")
        layers: list[nn.Module] = []
        c_in = 1
        for c, k, s in zip(channels, kernels, strides, strict=True):
            layers += [nn.Conv3d(c_in, c, (k, 1, 1), stride=(s, 1, 1), padding=(1, 0, 0)),
                       nn.BatchNorm3d(c), nn.ReLU()]
            c_in = c
        self.spectral = nn.Sequential(*layers)
        self.project_out = nn.Conv2d(c_in, self.out_channels, 1)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        z = self.spectral(x[:, None])  # (B, C, S', H, W)
        z = z.mean(dim=2)  # pool the remaining spectral positions
        return self.project_out(z)

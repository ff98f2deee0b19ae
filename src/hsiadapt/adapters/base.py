"""The adapter contract: an ``nn.Module`` from ``(B, C_in, H, W)`` source bands to
``(B, C_out, H, W)`` target bands, which knows both band sets."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from hsiadapt.registry import Registry
from hsiadapt.spectral import BandSet, SpectralError
from hsiadapt.spectral.io import load_bandset

__all__ = ["ADAPTERS", "SpectralAdapter", "build_adapter", "resolve_bands"]

#: Registry of spectral adapters: name -> class.
ADAPTERS: Registry[type[SpectralAdapter]] = Registry("adapter")


def resolve_bands(bands: BandSet | str) -> BandSet:
    """A :class:`BandSet` from itself, a built-in sensor name, or a wavelength file path."""
    return bands if isinstance(bands, BandSet) else load_bandset(bands)


class SpectralAdapter(nn.Module):
    """Base class: holds ``source`` and ``target`` band sets and checks the input's band axis.

    Subclasses implement :meth:`project`. ``target`` is the band set the adapter *produces*
    (after any coverage ``"drop"``), so a model built behind it knows which pretrained bands to
    use.
    """

    trainable: bool = False

    def __init__(self, source: BandSet | str, target: BandSet | str) -> None:
        super().__init__()
        self.source = resolve_bands(source)
        self.target = resolve_bands(target)

    @property
    def in_channels(self) -> int:
        return len(self.source)

    @property
    def out_channels(self) -> int:
        return len(self.target)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4:
            raise ValueError(
                f"{type(self).__name__} expects a (batch, bands, height, width) tensor, got shape "
                f"{tuple(x.shape)}"
            )
        if x.shape[1] != self.in_channels:
            raise SpectralError(
                f"{type(self).__name__} was built for {self.in_channels} bands of "
                f"{self.source.name!r} but the input has {x.shape[1]} bands; build the adapter "
                "with the band set that describes these data (the sample's 'wavelength')"
            )
        return self.project(x)

    def project(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def matrix_source(cls, args: dict[str, Any]) -> str | None:
        """Where the adapter's matrix comes from with these ``args`` (for a run's summary);
        ``None`` for an adapter without a fixed matrix."""
        return None

    def linear_matrix(self) -> np.ndarray | None:
        """The ``(C_in, C_out)`` matrix when the adapter is a fixed linear map (a ``weight``
        buffer of that shape), else ``None``; statistics can be propagated through it."""
        w = getattr(self, "weight", None)
        if self.trainable or not isinstance(w, torch.Tensor):
            return None
        if tuple(w.shape) != (self.in_channels, self.out_channels):
            return None
        return w.detach().cpu().numpy().astype(np.float64)

    # The band names travel with the state dict, so weights are never loaded into an adapter
    # built for other bands.
    def get_extra_state(self) -> dict[str, Any]:
        return {"source": self.source.names, "target": self.target.names}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        if state.get("source") != self.source.names or state.get("target") != self.target.names:
            raise SpectralError(
                f"state dict was saved for bands {len(state.get('source', []))} -> "
                f"{state.get('target')} but this adapter maps {self.in_channels} -> "
                f"{self.target.names}; build the adapter with the same source and target"
            )

    def extra_repr(self) -> str:
        return f"{self.source.name} ({self.in_channels}) -> {self.target.name} ({self.out_channels})"


def build_adapter(
    name: str, source: BandSet | str, target: BandSet | str = "sentinel2_l2a", **kwargs: Any
) -> SpectralAdapter:
    """Build a registered adapter by name (see ``ADAPTERS.names()``)."""
    return ADAPTERS.get(name)(source, target, **kwargs)

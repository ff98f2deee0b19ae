"""Spectral adapters: torch modules mapping an HSI cube to a foundation model's bands."""

from hsiadapt.adapters.base import ADAPTERS, SpectralAdapter, build_adapter, resolve_bands
from hsiadapt.adapters.fixed import LinearMapAdapter, SelectAdapter, SRFAdapter
from hsiadapt.adapters.learned import LinearAdapter
from hsiadapt.adapters.spectral_conv import SpectralConvAdapter

__all__ = [
    "ADAPTERS",
    "LinearAdapter",
    "LinearMapAdapter",
    "SRFAdapter",
    "SelectAdapter",
    "SpectralAdapter",
    "SpectralConvAdapter",
    "build_adapter",
    "resolve_bands",
]

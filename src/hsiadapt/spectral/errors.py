"""The spectral floor's error type."""

from __future__ import annotations

__all__ = ["SpectralError"]


class SpectralError(ValueError):
    """Raised for spectral metadata that cannot be used as given (the message says how to fix it)."""

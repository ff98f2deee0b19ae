"""Sensors, bands, spectral responses and band-to-band maps (numpy only; no torch import)."""

from hsiadapt.spectral.band import Band, BandSet, SpectralError
from hsiadapt.spectral.presets import map_from_matrix, preset_indices, selection_map
from hsiadapt.spectral.resampling import (
    COVERAGE_POLICIES,
    INTEGRATIONS,
    CoverageError,
    SpectralMap,
    TargetCoverage,
    build_map,
    coverage_report,
    nearest_bands,
    selection_matrix,
    srf_matrix,
)
from hsiadapt.spectral.sensors import get_sensor, list_sensors

__all__ = [
    "COVERAGE_POLICIES",
    "INTEGRATIONS",
    "Band",
    "BandSet",
    "CoverageError",
    "SpectralError",
    "SpectralMap",
    "TargetCoverage",
    "build_map",
    "coverage_report",
    "get_sensor",
    "list_sensors",
    "map_from_matrix",
    "nearest_bands",
    "preset_indices",
    "selection_map",
    "selection_matrix",
    "srf_matrix",
]

"""Fixtures for the spectral tests: real ENVI files in ../shared/extdata (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

#: Real third-party ENVI files (spectral libraries, AVIRIS-NG/EMIT/PRISMA cubes), one folder per
#: source; like ../shared/realdata, read in place and never copied into the repository.
EXTDATA = Path(
    os.environ.get("HSIADAPT_EXTDATA", Path(__file__).resolve().parents[3] / "shared" / "extdata")
)


@pytest.fixture(scope="session")
def extdata() -> Path:
    """Root of ../shared/extdata (HSIADAPT_EXTDATA); skips the test when it is absent."""
    if not EXTDATA.is_dir():
        pytest.skip(f"real ENVI files not found at {EXTDATA} (set HSIADAPT_EXTDATA)")
    return EXTDATA

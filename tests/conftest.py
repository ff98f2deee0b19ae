"""Shared fixtures: the real data in ../shared/realdata (tests skip with a reason without it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"

REALDATA = Path(
    os.environ.get("HSIADAPT_REALDATA", Path(__file__).resolve().parents[2] / "shared" / "realdata")
)


@pytest.fixture(scope="session")
def realdata() -> Path:
    """Root of ../shared/realdata; skips the test when it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"real test data not found at {REALDATA} (set HSIADAPT_REALDATA)")
    return REALDATA



@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Committed fixtures (regenerate with tests/data/<name>/data.py)."""
    return DATA


@pytest.fixture(autouse=True)
def _fresh_reuse():
    """Each test starts with nothing kept from another test's data (hsiadapt.data.reuse)."""
    from hsiadapt.data import reuse

    reuse.clear()
    yield
    reuse.clear()

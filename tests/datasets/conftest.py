from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Committed fixtures (regenerate with tests/data/<name>/data.py)."""
    return DATA

"""Band tables in decreasing order are read as the data's order, and wavenumbers (cm^-1) are
told apart from nanometres (issue 22 item 12): a wavenumber table was accepted as 4082-9651 nm
once reversed as the old message advised."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hsiadapt.datasets import HSIFolder
from hsiadapt.spectral import SpectralError, build_map, get_sensor
from hsiadapt.spectral.io import load_bandset

DATA = Path(__file__).resolve().parents[1] / "data"
#: wavenumbers (cm^-1) of a SWIR spectrometer, 1036-2450 nm
WAVENUMBERS = np.linspace(9651.0, 4082.0, 60)


def wavenumber_table(tmp_path: Path, values: np.ndarray) -> str:
    """The message a wavenumber table gets."""
    f = tmp_path / "wl.txt"
    f.write_text("\n".join(f"{v:.1f}" for v in values))
    with pytest.raises(SpectralError) as err:
        load_bandset(f)
    return str(err.value)


@pytest.mark.parametrize("values", [WAVENUMBERS, WAVENUMBERS[::-1]],
                         ids=["as measured (decreasing)", "reversed as once advised"])
def test_wavenumbers_are_told_apart_from_nanometres(tmp_path, values):
    msg = wavenumber_table(tmp_path, values)
    assert "these look like wavenumbers (cm^-1), not nanometres: convert each with 1e7 / x" in msg
    assert f"{values[0]:g} -> {1e7 / values[0]:.1f} nm" in msg


def test_wavenumbers_reaching_the_visible_say_so_too(tmp_path):
    msg = wavenumber_table(tmp_path, np.linspace(25000.0, 4000.0, 80))  # 400-2500 nm
    assert "beyond 20000 nm; check the unit" in msg and "look like wavenumbers" in msg


def test_converted_wavenumbers_load_in_the_data_order(tmp_path):
    f = tmp_path / "wl.txt"
    f.write_text("\n".join(f"{1e7 / v:.3f}" for v in WAVENUMBERS))
    bs = load_bandset(f)
    assert bs.centers[0] == pytest.approx(1036.2, abs=0.1) and len(bs) == 60


def _reversed_folder(tmp_path: Path) -> Path:
    """The tiny folder fixture with every image's bands (data and wavelength tags) reversed."""
    root = tmp_path / "rev"
    shutil.copytree(DATA / "hsi_folder/root", root)
    for path in sorted((root / "images").glob("*.tif")):
        with rasterio.open(path) as src:
            data, prof, scales = src.read(), src.profile, src.scales
            tags = [src.tags(b) for b in range(1, src.count + 1)]
        with rasterio.open(path, "w", **prof) as dst:
            dst.write(data[::-1])
            dst.scales = scales[::-1]
            for b, t in enumerate(tags[::-1], 1):
                dst.update_tags(b, **t)
    return root


def test_a_folder_stored_long_to_short_reads_and_maps_like_the_original(tmp_path):
    orig = HSIFolder(DATA / "hsi_folder/root", "train")
    rev = HSIFolder(_reversed_folder(tmp_path), "train")
    assert rev.bands.centers.tolist() == orig.bands.centers[::-1].tolist()
    a, b = orig[0]["image"].numpy(), rev[0]["image"].numpy()
    np.testing.assert_array_equal(b, a[::-1])  # the data and its table stay together
    s2 = get_sensor("sentinel2_l2a")
    m_orig = build_map(orig.bands, s2, "srf", coverage="drop")
    m_rev = build_map(rev.bands, s2, "srf", coverage="drop")
    np.testing.assert_allclose(m_rev.matrix, m_orig.matrix[::-1])  # the same S2 bands

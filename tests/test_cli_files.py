"""hsiadapt spectral takes either file of an ENVI pair, however it is named (files written in
the real ENVI layouts here; the real AVIRIS-NG / earthlib files when ../extdata is present)."""

from __future__ import annotations

import numpy as np
import pytest

from hsiadapt.cli import main
from tests.spectral.conftest import extdata  # noqa: F401  (fixture)
from tests.spectral.envi_files import write_image, write_library

WL = [float(w) for w in np.linspace(420, 2400, 20)]


def _pairs(tmp_path):
    cube = np.random.default_rng(0).random((4, 3, 20)).astype("<f4")
    write_image(tmp_path / "scene", cube, WL)  # scene + scene.hdr
    write_image(tmp_path / "flight.img", cube, WL, header_path=tmp_path / "flight.img.hdr")
    write_library(tmp_path / "lib.sli", cube[0], [w / 1000 for w in WL], ["a", "b", "c"])
    return {"scene": ["scene", "scene.hdr"], "flight": ["flight.img", "flight.img.hdr"],
            "lib": ["lib.sli", "lib.hdr"]}


@pytest.mark.parametrize("which", [0, 1], ids=["data file", "header"])
def test_spectral_accepts_either_file_of_a_pair(tmp_path, capsys, which):
    for name, files in _pairs(tmp_path).items():
        assert main(["spectral", str(tmp_path / files[which]), "sentinel2_l2a", "--method",
                     "select", "--coverage", "nearest"]) == 0
        assert capsys.readouterr().out.startswith(f"{name} (20 bands, 420-2400 nm)")


def test_spectral_error_names_the_header(tmp_path, capsys):
    _pairs(tmp_path)
    (tmp_path / "scene").unlink()
    (tmp_path / "scene.hdr").rename(tmp_path / "orphan.hdr")
    (tmp_path / "orphan.hdr").write_text((tmp_path / "orphan.hdr").read_text()
                                         .replace("wavelength =", "wavelengthx ="))
    assert main(["spectral", str(tmp_path / "orphan.hdr"), "sentinel2_l2a"]) == 2
    assert "orphan.hdr: ENVI header has no 'wavelength' list" in capsys.readouterr().err


def test_real_extensionless_cube_and_library(extdata, capsys):  # noqa: F811
    cube = extdata / "isofit_avirisng_small_chunk/ang20170323t202244_rdn_7000-7010"
    for f in (cube, cube.with_name(cube.name + ".hdr"),
              extdata / "earthlib_speclib/spectra.sli.hdr"):
        assert main(["spectral", str(f), "sentinel2_l2a", "--method", "select"]) == 0
    out = capsys.readouterr().out
    assert out.count("ang20170323t202244_rdn_7000-7010 (425 bands") == 2
    assert "spectra (180 bands, 400-2450 nm)" in out

"""ENVI data/header pairs, found from either side."""

import numpy as np
import pytest

from hsiadapt.spectral import SpectralError
from hsiadapt.spectral.envi import DATA_SUFFIXES, resolve_envi_pair

from .envi_files import write_image

WL = [450.0, 550.0, 650.0]


def _cube() -> np.ndarray:
    return np.arange(2 * 3 * 3, dtype=np.float32).reshape(2, 3, 3)


@pytest.mark.parametrize("suffix", ["", *DATA_SUFFIXES])
def test_pair_from_either_side(tmp_path, suffix):
    data = tmp_path / f"scene{suffix}"
    hdr = write_image(data, _cube(), WL, header_path=tmp_path / "scene.hdr")
    assert resolve_envi_pair(hdr) == (data, hdr)
    assert resolve_envi_pair(data) == (data, hdr)


def test_header_named_after_the_data_file(tmp_path):
    data = tmp_path / "scene.img"
    hdr = write_image(data, _cube(), WL, header_path=tmp_path / "scene.img.hdr")
    assert resolve_envi_pair(hdr) == (data, hdr)
    assert resolve_envi_pair(data) == (data, hdr)


def test_dotted_name_without_extension_keeps_its_dots(tmp_path):
    # 'emit.v01' has no data suffix: its header is emit.v01.hdr, never emit.hdr
    (tmp_path / "emit.hdr").write_text("ENVI\n")
    data = tmp_path / "emit.v01"
    hdr = write_image(data, _cube(), WL, header_path=tmp_path / "emit.v01.hdr")
    assert resolve_envi_pair(data) == (data, hdr)
    (tmp_path / "emit.v01.hdr").unlink()
    with pytest.raises(SpectralError, match=r"no ENVI header beside this file; looked for emit"):
        resolve_envi_pair(data)


def test_suffix_case_does_not_matter(tmp_path):
    data = tmp_path / "SCENE.IMG"
    hdr = write_image(data, _cube(), WL, header_path=tmp_path / "SCENE.HDR")
    assert resolve_envi_pair(hdr) == (data, hdr)
    assert resolve_envi_pair(data) == (data, hdr)


def test_missing_and_ambiguous_partners_are_named(tmp_path):
    hdr = write_image(tmp_path / "scene", _cube(), WL)
    (tmp_path / "scene").unlink()
    with pytest.raises(SpectralError, match=r"no ENVI data file.*looked for scene, scene\.img"):
        resolve_envi_pair(hdr)
    (tmp_path / "scene").write_bytes(b"\0" * 72)
    (tmp_path / "scene.dat").write_bytes(b"\0" * 72)
    with pytest.raises(SpectralError, match=r"several files.*scene, scene\.dat.*data file itself"):
        resolve_envi_pair(hdr)
    assert resolve_envi_pair(tmp_path / "scene.dat") == (tmp_path / "scene.dat", hdr)
    with pytest.raises(FileNotFoundError, match="nope"):
        resolve_envi_pair(tmp_path / "nope.hdr")


def test_unknown_extension_pairs_by_size(tmp_path):
    # Cubert writes scene.cue + scene.hdr: an extension outside the usual list, found because
    # the header describes exactly the file's size (2 x 3 x 3 float32 = 72 bytes)
    data = tmp_path / "Auto017.cue"
    hdr = write_image(data, _cube(), WL, header_path=tmp_path / "Auto017.hdr")
    (tmp_path / "Auto017.jpg").write_bytes(b"\xff\xd8" * 50)  # the quick-look beside it
    assert resolve_envi_pair(hdr) == (data, hdr)
    assert resolve_envi_pair(data) == (data, hdr)
    with pytest.raises(SpectralError, match=r"Auto017\.jpg\.hdr and Auto017\.hdr \(describing"):
        resolve_envi_pair(tmp_path / "Auto017.jpg")  # 100 bytes: not what the header describes

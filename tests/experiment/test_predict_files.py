"""predict on a new user's files: an ENVI scene given by its header or its extensionless data
file, shifted band centres (named, with the fix), and --wavelengths overriding the metadata."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hsiadapt.cli import main
from hsiadapt.experiment.predict import predict_scene
from tests.spectral.envi_files import write_image
from tests.tiny_run import tiny_run_dir

DATA = Path(__file__).resolve().parents[1] / "data/hsi_folder/root"
WL_NM = np.linspace(400, 2450, 30)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return train_tiny_run(tmp_path_factory.mktemp("predict_files"))


def train_tiny_run(tmp: Path) -> Path:
    """One finished stub run on the tiny folder fixture (make_bad_inputs_doc.py uses it too)."""
    return tiny_run_dir(DATA, tmp / "runs", dataset_args={"class_names": ["a", "b", "c", "d"]})


def envi_scene(folder: Path, wl_nm=WL_NM) -> Path:
    cube = (2000 + 500 * np.random.default_rng(1).random((6, 6, 30))).astype("<f4")
    return write_image(folder / "scene", cube, [float(w) for w in wl_nm])  # scene + scene.hdr


def test_envi_scene_by_header_or_data_file(run_dir, tmp_path):
    hdr = envi_scene(tmp_path, WL_NM)
    with warnings.catch_warnings(record=True) as record:  # no NotGeoreferencedWarning noise
        warnings.simplefilter("always")
        out = predict_scene(run_dir, hdr, tmp_path / "a.tif")
    assert not [w for w in record if "georeferenc" in str(w.message).lower()]
    with rasterio.open(out) as src:
        assert src.read(1).shape == (6, 6) and set(np.unique(src.read(1))) <= {0, 1, 2, 5}
    assert main(["predict", str(run_dir), str(tmp_path / "scene"), "--out",
                 str(tmp_path / "b.tif")]) == 0


def test_shifted_centres_say_by_how_much_and_what_to_do(run_dir, tmp_path, capsys):
    shifted = WL_NM.copy()
    shifted[3] += 6.0
    hdr = envi_scene(tmp_path, shifted)
    with pytest.raises(ValueError, match=r"differ by up to 6\.0 nm \(band 3: 618\.1 nm in the "
                       r"scene, 612\.1 nm in training; 1 bands.*--wavelengths"):
        predict_scene(run_dir, hdr, tmp_path / "a.tif")
    # the right band table given on the command line overrides the file's metadata
    (tmp_path / "right.txt").write_text("\n".join(f"{w:.4f}" for w in WL_NM))
    assert main(["predict", str(run_dir), str(hdr), "--out", str(tmp_path / "c.tif"),
                 "--wavelengths", str(tmp_path / "right.txt")]) == 0
    assert main(["predict", str(run_dir), str(hdr), "--out", str(tmp_path / "d.tif"),
                 "--wavelengths", "enmap"]) == 2
    assert "the scene has 224 bands but the run trained on 30" in capsys.readouterr().err


def damaged(run_dir: Path, tmp_path: Path, damage) -> Path:
    copy = tmp_path / run_dir.name
    shutil.copytree(run_dir, copy)
    damage(copy)
    return copy


def test_missing_statistics_refused_not_predicted_raw(run_dir, tmp_path, capsys):
    """A normalised run without stats.json would predict on raw values, exit 0 (issue 22.7)."""
    rd = damaged(run_dir, tmp_path, lambda d: (d / "stats.json").unlink())
    hdr = envi_scene(tmp_path, WL_NM)
    with pytest.raises(ValueError, match=r"stats\.json is missing, but the run was trained on "
                       r"normalised inputs \(normalization: data\).*run its config again"):
        predict_scene(rd, hdr, tmp_path / "a.tif")
    assert main(["predict", str(rd), str(hdr), "--out", str(tmp_path / "b.tif")]) == 2
    assert str(rd) in capsys.readouterr().err
    assert not (tmp_path / "b.tif").exists()


@pytest.mark.parametrize("damage, message", [
    (lambda d: shutil.rmtree(d / "checkpoints"), r"no checkpoint \(checkpoints/best\.ckpt"),
    (lambda d: (d / "checkpoints/best.ckpt").write_bytes(b""), r"best\.ckpt: empty \(0 bytes\)"),
    (lambda d: (d / "checkpoints/best.ckpt").write_bytes(b"PK\x03\x04garbage"),
     r"best\.ckpt: not a readable checkpoint"),
], ids=["deleted", "empty", "garbage"])
def test_lost_checkpoint_named_with_the_fix(run_dir, tmp_path, damage, message):
    """Deleted checkpoints said 'No such file ... last.ckpt', an empty one raised EOFError."""
    rd = damaged(run_dir, tmp_path, damage)
    with pytest.raises(ValueError, match=message) as err:
        predict_scene(rd, envi_scene(tmp_path, WL_NM), tmp_path / "a.tif")
    assert str(rd) in str(err.value) and "run its config again" in str(err.value)

"""Classic scenes (issue 20 item 5): the .mat reader (v5 and v7.3), the band tables, the block
splits, and ``hsiadapt classic`` end to end on small files written in the EHU layout by
tests/data/classic/data.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from hsiadapt.cli import main
from hsiadapt.datasets import DatasetNotFoundError, HSIDataError
from hsiadapt.datasets.classic import (
    SCENES,
    get_scene,
    read_scene,
    split_blocks,
)
from hsiadapt.datasets.classic.blocks import SPLITS
from hsiadapt.spectral import get_sensor

_spec = importlib.util.spec_from_file_location(
    "classic_data", Path(__file__).parents[1] / "data" / "classic" / "data.py")
assert _spec and _spec.loader
data = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(data)

#: band counts of the .mat files as distributed
COUNTS = {"indian_pines": 200, "salinas": 204, "pavia_u": 103, "ksc": 176, "botswana": 145,
          "houston2013": 144}


def test_every_scene_is_covered():
    assert set(SCENES) == set(COUNTS)


@pytest.mark.parametrize("name", [n for n in COUNTS if n != "ksc"])
def test_band_table_fits_the_file(name):
    scene = get_scene(name)
    bands = scene.bands()
    assert len(bands) == COUNTS[name] == scene.n_bands
    assert len(set(bands.names)) == len(bands) and bool(bands.valid.all())


def test_indian_pines_is_92av3c_without_the_20_water_channels():
    ip, av = get_scene("indian_pines").bands(), get_sensor("aviris_classic")
    removed = [*range(104, 109), *range(150, 164), 220]  # 1-based, of the 220 channels
    kept = [b for i, b in enumerate(av, start=1) if i not in removed]
    assert [b.center_nm for b in ip] == [b.center_nm for b in kept]
    gone = {av[i - 1].center_nm for i in removed}
    assert not gone & set(ip.centers.tolist())
    # no kept band lies in the core of a deep water-vapour window
    assert not ((ip.centers > 1365) & (ip.centers < 1405)).any()


def test_salinas_keeps_the_224_channel_numbering_minus_20():
    sa = get_scene("salinas").bands()
    channels = [int(n[1:]) for n in sa.names]
    assert channels == [c for c in range(1, 225)
                        if not (108 <= c <= 112 or 154 <= c <= 167 or c == 224)]
    av = {b.name: b.center_nm for b in get_sensor("aviris_classic")}
    same = [b for b in sa if b.name in av]
    assert all(b.center_nm == av[b.name] for b in same) and len(same) == 201  # 1, 33, 97 made


def test_botswana_is_the_calibrated_hyperion_bands_kept():
    bw, hy = get_scene("botswana").bands(), get_sensor("hyperion")
    assert bw.names[0] == "B010" and bw.names[-1] == "B220"
    assert all(hy.valid[int(n[1:]) - 1] for n in bw.names)  # no uncalibrated band kept


def test_unknown_and_approximate_tables_are_said(tmp_path):
    with pytest.raises(ValueError, match="--wavelengths"):
        get_scene("ksc").bands()
    code = main(["classic", "pavia_u", "--mat-dir", str(tmp_path), "--out", str(tmp_path / "o")])
    assert code == 2  # refused before reading: the centres are a guess until the user says so
    assert "unconfirmed" not in get_scene("indian_pines").band_source


@pytest.mark.parametrize("v73", [False, True], ids=["v5", "v7.3"])
def test_reader_reads_both_mat_versions(tmp_path, v73):
    data.write_scene("salinas", tmp_path / "v5", seed=3)
    data.write_scene("salinas", tmp_path / "x", seed=3, v73=v73)
    ref_img, ref_gt, _ = read_scene(get_scene("salinas"), tmp_path / "v5")
    img, gt, notes = read_scene(get_scene("salinas"), tmp_path / "x")
    assert img.shape == (40, 40, 204) and gt.shape == (40, 40)
    np.testing.assert_array_equal(img, ref_img)
    np.testing.assert_array_equal(gt, ref_gt)
    assert any("(512, 217, 204)" in n for n in notes)  # a cut scene is said, not refused


@pytest.mark.parametrize("v73", [False, True], ids=["v5", "v7.3"])
def test_reader_errors_name_file_and_expectation(tmp_path, v73):
    scene = get_scene("indian_pines")
    with pytest.raises(DatasetNotFoundError, match=r"Indian_pines_corrected\.mat.*ehu\.eus"):
        read_scene(scene, tmp_path)
    data.write_scene("indian_pines", tmp_path / "key", image_key="indian_pines", v73=v73)
    with pytest.raises(HSIDataError, match=r"no variable 'indian_pines_corrected'.*indian_pines"):
        read_scene(scene, tmp_path / "key")
    data.write_scene("indian_pines", tmp_path / "raw", n_bands=220, v73=v73)
    with pytest.raises(HSIDataError, match=r"Indian_pines_corrected\.mat.*\(40, 40, 220\).*200"):
        read_scene(scene, tmp_path / "raw")


def _labels(seed: int = 0) -> np.ndarray:
    return data.labels(96, 80, 9, seed)


def test_block_splits_are_disjoint_deterministic_and_count_every_pixel():
    gt = _labels()
    a, b = split_blocks(gt, 16, 9, seed=1), split_blocks(gt, 16, 9, seed=1)
    assert a.blocks == b.blocks
    assert split_blocks(gt, 16, 9, seed=2).blocks != a.blocks
    owner = np.full(gt.shape, "", dtype=object)
    for (r, c), s in a.blocks.items():
        assert (owner[r:r + 16, c:c + 16] == "").all()  # no pixel in two blocks
        owner[r:r + 16, c:c + 16] = s
    for s in SPLITS:
        sel = gt[owner == s]
        np.testing.assert_array_equal(a.counts[s], np.bincount(sel, minlength=10)[1:])
    assert (owner[gt > 0] != "").all()  # every labelled pixel is in a split
    assert (a.counts["train"] > 0).all()  # every class reaches train


def test_block_split_says_what_is_missing():
    gt = np.zeros((64, 64), dtype=np.uint8)
    gt[:8, :8], gt[40:48, 40:48], gt[20:24, 50:54] = 1, 1, 1
    gt[2:4, 2:4] = 2  # class 2 lives in one block only
    s = split_blocks(gt, 16, 2, seed=0)
    assert s.counts["train"][1] == 4
    assert "class code 2: no pixel in test" in s.missing
    named = split_blocks(gt, 16, 2, seed=0, class_names=["a", "b"])
    assert "class 'b' (code 2): no pixel in test" in named.missing
    with pytest.raises(ValueError, match="smaller block size"):
        split_blocks(gt, 64, 2)


def _classic(tmp_path, name, *extra, v73=False):
    mats, out = tmp_path / "mat", tmp_path / name
    data.write_scene(name, mats, v73=v73)
    assert main(["classic", name, "--mat-dir", str(mats), "--out", str(out), "--tile", "16",
                 *extra]) == 0
    return out


def _check(out: Path) -> int:
    return main(["data", "check", str(out), "--dataset", "hsi_folder",
                 "--arg", "background_codes=[0]"])


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
@pytest.mark.parametrize("name,extra", [("indian_pines", ()), ("salinas", ()),
                                        ("pavia_u", ("--approximate-bands",)),
                                        ("houston2013", ())])
def test_cli_writes_a_folder_data_check_accepts(tmp_path, name, extra, capsys):
    out = _classic(tmp_path, name, *extra, v73=name == "salinas")
    assert _check(out) == 0
    text = capsys.readouterr().out
    assert "problems: 0" in text and "strong" not in text
    card = json.loads((out / "classic_scene.json").read_text())
    assert card["band_table"]["n_bands"] == COUNTS[name]
    with rasterio.open(next((out / "images").glob("*.tif"))) as src:
        assert src.count == COUNTS[name] and np.isnan(src.nodata)
        got = [float(src.tags(i + 1)["wavelength"]) for i in range(src.count)]
    np.testing.assert_allclose(got, get_scene(name).bands().centers, atol=1e-3)
    listed = [ln for s in SPLITS for ln in (out / "splits" / f"{s}.txt").read_text().split()]
    assert len(listed) == len(set(listed)) == len(list((out / "images").glob("*.tif")))
    assert main(["run", str(out / "hsiadapt.yaml"), "--dry-run"]) == 0


def test_botswana_table_passes_data_check(tmp_path):
    """Hyperion's Botswana table keeps no band from 1336 to 1488 nm nor from 1790 to 2022 nm:
    gaps wider on the long side of both windows must not read as a table shifted ~+24 nm."""
    assert _check(_classic(tmp_path, "botswana", v73=True)) == 0


def test_data_check_catches_the_first_200_channels_table(tmp_path):
    wrong = tmp_path / "first200.txt"
    wrong.write_text("\n".join(f"{c:.3f}" for c in get_sensor("aviris_classic").centers[:200]))
    out = _classic(tmp_path, "indian_pines", "--wavelengths", str(wrong))
    assert _check(out) == 1


def test_ksc_runs_with_a_table_given(tmp_path):
    table = tmp_path / "ksc.txt"
    table.write_text("\n".join(f"{c:.2f}" for c in np.linspace(400, 2500, 176)))
    out = _classic(tmp_path, "ksc", "--wavelengths", str(table))
    assert "given" in (out / "hsiadapt.yaml").read_text().splitlines()[1]


def test_one_epoch_with_the_stub_backbone(tmp_path):
    out = _classic(tmp_path, "indian_pines")
    cfg = out / "hsiadapt.yaml"
    text = cfg.read_text().replace("name: terramind_v1_tiny", "name: stub")
    cfg.write_text(text.replace("baselines: [lda, random_forest]", "baselines: [lda]"))
    assert main(["run", str(cfg), "--max-epochs", "1", "--only", "adapter=select"]) == 0
    metrics = json.loads(next((out / "runs").glob("*select*/metrics.json")).read_text())
    assert metrics


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_houston2013_contest_files_are_read_with_both_roi_files(tmp_path):
    """The DFC 2013 layout: CASI GeoTIFF + training and validation ROI text; every labelled
    pixel of either file lands on its own pixel with its region's code."""
    from hsiadapt.datasets.classic.mat import read_scene

    scene = get_scene("houston")
    img_path, _ = data.write_scene("houston2013", tmp_path, rows=30, cols=50)
    img, gt, notes = read_scene(scene, tmp_path)
    want = data.labels(30, 50, len(scene.class_names))
    np.testing.assert_array_equal(gt, want)
    with rasterio.open(img_path) as src:
        np.testing.assert_array_equal(img, src.read().transpose(1, 2, 0))
    assert img.shape == (30, 50, 144) and notes  # not the distributed 349 x 1905
    assert len(scene.bands()) == 144 and scene.bands().centers[0] == 364.0


def test_houston2013_roi_errors_name_the_file_and_line(tmp_path):
    from hsiadapt.datasets.classic.dftc2013 import read_roi_text
    from hsiadapt.datasets.classic.mat import read_scene

    with pytest.raises(DatasetNotFoundError, match="2013_DFTC.zip"):
        read_scene(get_scene("houston2013"), tmp_path)
    roi = tmp_path / "r.txt"
    roi.write_text("; header\n     1    60     2\n")
    with pytest.raises(HSIDataError, match=r"r.txt:2: point X=60 Y=2 lies outside"):
        read_roi_text(roi, (10, 20))

"""Split lists that contradict themselves (a file in two splits, or twice in one) are refused
when a split is opened, naming the file(s) and the lists; ``data check`` reports it as a
problem and exits 1; a run fails before training (issue 22, item 5). Duplicate class codes are
refused by the label map (issue 22, item 3)."""

import re
import shutil
from pathlib import Path

import pytest

from hsiadapt.data.check import check_dataset, exit_code
from hsiadapt.datasets import EnMAPBNETD, HSIFolder
from hsiadapt.datasets.base import HSIDataError
from hsiadapt.datasets.labels import LabelMap

DATA = Path(__file__).resolve().parents[1] / "data"


def _folder(tmp_path: Path) -> Path:
    root = tmp_path / "fo"
    shutil.copytree(DATA / "hsi_folder/root", root)
    return root


def file_in_train_and_test(tmp_path: Path) -> str:
    """``scene_4.tif`` (the test chip) added to ``train.txt``; the message it gets."""
    root = _folder(tmp_path)
    (root / "splits/train.txt").write_text("scene_0.tif\nscene_1.tif\nscene_4.tif\n")
    with pytest.raises(HSIDataError) as err:
        HSIFolder(root, "train")
    return str(err.value)


def test_a_file_in_train_and_test_is_refused(tmp_path):
    msg = file_in_train_and_test(tmp_path)
    assert "HSIFolder: 'scene_4.tif' is listed in both 'train'" in msg
    assert "splits/train.txt) and 'test' (" in msg and "keep each file in one split" in msg
    with pytest.raises(HSIDataError, match="'scene_4.tif' is listed in both 'test'"):
        HSIFolder(tmp_path / "fo", "test")  # the other side says so too


def test_a_file_twice_in_one_split_is_refused(tmp_path):
    root = _folder(tmp_path)
    (root / "splits/train.txt").write_text("scene_0.tif\nscene_1.tif\nscene_0.tif\n")
    with pytest.raises(HSIDataError, match=r"split 'train' \(.*train.txt\) lists 'scene_0.tif' "
                                           r"more than once \(first at entry 1\)"):
        HSIFolder(root, "train")
    assert len(HSIFolder(root, "val")) == 1  # the other splits still open


def test_data_check_reports_overlapping_splits_as_a_problem(tmp_path):
    root = _folder(tmp_path)
    (root / "splits/val.txt").write_text("scene_3.tif\nscene_2.tif\n")
    rep = check_dataset("hsi_folder", root)
    assert any("'scene_2.tif' is listed in both 'train'" in p for p in rep.problems), rep.problems
    assert exit_code(rep) == 1


def test_spectralearth_split_lists_are_checked_too(tmp_path):
    root = tmp_path / "se"
    shutil.copytree(DATA / "spectralearth/root", root)
    sdir = root / "splits/enmap_bnetd"
    first = (sdir / "train.txt").read_text().split()[0]
    (sdir / "test.txt").write_text((sdir / "test.txt").read_text() + f"\n{first}\n")
    with pytest.raises(HSIDataError, match=f"EnMAPBNETD: '{first}' is listed in both 'train'"):
        EnMAPBNETD(root, "train")


def test_disjoint_split_lists_open_as_before():
    sizes = [len(HSIFolder(DATA / "hsi_folder/root", s)) for s in ("train", "val", "test")]
    assert sizes == [3, 1, 1]


@pytest.mark.parametrize(("codes", "background", "msg"), [
    ((0, 1, 1, 2, 5), (), "class_codes lists [1] more than once ([0, 1, 1, 2, 5]); list each "
                          "code once (dataset_args key 'class_codes')"),
    ((1, 2), (0, 0), "background_codes lists [0] more than once"),
])
def test_duplicate_codes_are_refused_by_the_label_map(codes, background, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        LabelMap.build(codes, background)


def test_duplicate_class_codes_in_a_folder_dataset_are_refused():
    with pytest.raises(ValueError, match=r"class_codes lists \[1\] more than once"):
        HSIFolder(DATA / "hsi_folder/root", "train", class_codes=[0, 1, 1, 2, 5])

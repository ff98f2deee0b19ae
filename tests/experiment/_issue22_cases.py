"""Issue 22's inputs for docs/bad_inputs.md, each run for real through the tests' own helpers:
(issue item, what was given, the message the user now sees). Used by make_bad_inputs_doc.py."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest

from hsiadapt.cli import main
from hsiadapt.data.check import check_dataset
from hsiadapt.datasets import HSIFolder

from ..datasets.test_folder_integrity import _move_mask, flip_bit, make_folder
from ..datasets.test_split_lists import file_in_train_and_test
from ..spectral.test_band_order_units import WAVENUMBERS, wavenumber_table
from ..test_cli_data_args import BAD_ARGS
from .conftest import flip_tensor_bits
from .test_checkpoint import killed_run
from .test_predict_files import damaged, envi_scene, train_tiny_run
from .test_silent_runs import mixed_chip_sizes

Row = tuple[str, str, str]


def _err(fn: Callable[[], object]) -> str:
    """What ``fn`` prints on stderr (a CLI call) or the error it raises."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stderr(buf):
            fn()
    except SystemExit:
        pass
    except OSError as err:  # as a run records it: no "[Errno N]"
        return f"{type(err).__name__}: {err.strerror or err}"
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    return buf.getvalue().strip().splitlines()[-1]  # argparse's usage lines left out


def _problems(root: Path, word: str) -> str:
    return " / ".join(p for p in check_dataset("hsi_folder", root).problems if word in p)


def data_rows(tmp: Path) -> list[Row]:
    rows = []
    for item, given, move in [("22.4 a mask in another CRS", "mask `s3.tif` in EPSG:32632, its "
                               "image in EPSG:32633", {"crs": "EPSG:32632"}),
                              ("22.4 a mask's geotransform 50 km off its image", "mask origin "
                               "moved 50 km east", {"dx": 50_000.0})]:
        root = make_folder(tmp / f"grid{len(rows)}")
        _move_mask(root, "s3.tif", **move)
        rows.append((item, given + " (`data check`; a run stops with the same words before "
                     "training)", _problems(root, "not on the grid")))
    rows.append(("22.5 one file in both train and test", "`scene_4.tif` added to `train.txt`",
                 file_in_train_and_test(tmp / "split")))
    root = make_folder(tmp / "twice")
    (root / "splits").mkdir()
    for split, names in (("train", "s0.tif\ns1.tif\ns0.tif"), ("val", "s2.tif"),
                         ("test", "s3.tif")):
        (root / "splits" / f"{split}.txt").write_text(names + "\n")
    rows.append(("22.5 one file twice in train", "`s0.tif` twice in `train.txt`",
                 _err(lambda: HSIFolder(root, "train"))))
    root = make_folder(tmp / "flip")
    flip_bit(root / "images" / "s2.tif", 1, 0x80)
    rows.append(("22.6 bytes flipped inside an image chip", "the sign bit of one int16 value "
                 "(`data check`; a run stops with the same words)", _problems(root, "s2.tif")))
    root = make_folder(tmp / "nodata", mask_nodata=255)
    rows.append(("22.9 a mask's `nodata=255` tag", "masks tagged nodata 255, first row 255",
                 f"handled, no message: the classes found are {HSIFolder(root, 'all').class_codes}"
                 "; the 255 pixels are ignored (never a class nor an unknown code)"))
    rows.append(("22.12 mixed chip sizes", "`scene_1.tif` cut to 4 x 4 px, `cache: true`",
                 f"run failed before training: {mixed_chip_sizes(tmp / 'mixed')}"))
    for i, (values, given) in enumerate(((WAVENUMBERS, "a band table in cm^-1, 9651 ... 4082"),
                                         (WAVENUMBERS[::-1], "the same reversed, as once "
                                                             "advised"))):
        (tmp / f"wn{i}").mkdir()
        rows.append(("22.12 wavenumbers", given, wavenumber_table(tmp / f"wn{i}", values)))
    return rows


def cli_rows(tmp: Path) -> list[Row]:
    from .conftest import write_tiny_config

    cfg = write_tiny_config(tmp, seeds=(0,), adapters=("select",))
    rows = [("22.2 `--max-epochs 0`", "`hsiadapt run c.yaml --max-epochs 0`",
             _err(lambda: main(["run", str(cfg), "--max-epochs", "0"])))]
    root = Path(__file__).resolve().parents[1] / "data" / "hsi_folder" / "root"
    for arg, _ in BAD_ARGS:
        rows.append(("22.12 `data check --arg`", f"`--arg {arg}`", _err(
            lambda a=arg: main(["data", "check", str(root), "--dataset", "hsi_folder",
                                "--arg", a]))))
    return rows


def run_rows(tmp: Path) -> list[Row]:
    """Predict on damaged run folders, resume from sealed checkpoints, a full cache disk."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.data.cache import AdaptedCache
    from hsiadapt.datasets import EnMAPBNETD
    from hsiadapt.experiment.predict import predict_scene
    from hsiadapt.experiment.run import run_one

    from .conftest import DATA

    rows = []
    (tmp / "trained").mkdir()
    run_dir = train_tiny_run(tmp / "trained")
    scene = envi_scene(tmp)
    for i, (item, given, damage) in enumerate([
        ("22.7 `predict` on a run folder without `stats.json`", "`stats.json` removed",
         lambda d: (d / "stats.json").unlink()),
        ("22.12 `predict` with the checkpoints deleted", "`checkpoints/` removed",
         lambda d: shutil.rmtree(d / "checkpoints")),
        ("22.12 `predict` with a 0-byte `best.ckpt`", "`best.ckpt` emptied",
         lambda d: (d / "checkpoints/best.ckpt").write_bytes(b""))]):
        (tmp / f"p{i}").mkdir()
        rd = damaged(run_dir, tmp / f"p{i}", damage)
        rows.append((item, given, _err(lambda r=rd: predict_scene(r, scene, tmp / "a.tif"))))
    with pytest.MonkeyPatch.context() as mp:
        (tmp / "flip").mkdir()
        cfg, spec, ckpt = killed_run(tmp / "flip", mp)
        flip_tensor_bits(ckpt / "last.ckpt")
        note = run_one(spec, cfg.output, max_epochs=3).record.resume_note
        rows.append(("22.8 resuming from a `last.ckpt` with flipped bits", "one bit flipped in "
                     "every tensor of a killed run's `last.ckpt` (the zip still valid)",
                     f"the run finishes; its record's resume_note: {note}"))
        (tmp / "s0").mkdir()
        (tmp / "s1").mkdir()
        cfg, spec, ckpt = killed_run(tmp / "s0", mp)
        _, _, ckpt1 = killed_run(tmp / "s1", mp, seed=1)
        (ckpt / "last.ckpt").write_bytes((ckpt1 / "last.ckpt").read_bytes())
        (ckpt / "best.ckpt").unlink()
        note = run_one(spec, cfg.output, max_epochs=2).record.resume_note
        rows.append(("22.8 another seed's `last.ckpt` copied in", "seed 1's `last.ckpt` in seed "
                     "0's folder", f"the run finishes as seed 0; resume_note: {note}"))
    ds = EnMAPBNETD(DATA / "spectralearth/root", "train")
    usage = shutil.disk_usage(tmp)
    with mock.patch("shutil.disk_usage", return_value=usage._replace(free=300 << 10)):
        rows.append(("22.10 a full disk while the adapted-band cache is built", "300 KiB free "
                     "on the output's disk (the run fails, the sweep stops)",
                     _err(lambda: AdaptedCache(ds, build_adapter("srf", ds.bands),
                                               tmp / "cache"))))

    def full(fd, offset, length):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with mock.patch("os.posix_fallocate", full):
        rows.append(("22.10 the disk filling while the cache is written", "`ENOSPC` while "
                     "an array file is allocated (no more \"Bus error\", exit 135)",
                     _err(lambda: AdaptedCache(ds, build_adapter("srf", ds.bands),
                                               tmp / "cache2"))))
    return rows


def pretrain_rows(tmp: Path) -> list[Row]:
    from hsiadapt.demo.pretrain import PretrainRecipe, pretrain
    from hsiadapt.experiment.signals import Interrupted

    lines: list[str] = []

    def term_at_2(line: str) -> None:
        lines.append(line)
        if "step 2/" in line and "SIGTERM" not in line:
            raise Interrupted(signal.SIGTERM)

    recipe = PretrainRecipe(corpus_chips=16, steps=4, batch_size=4, chip=32)
    with contextlib.suppress(Interrupted):
        pretrain(recipe, cache_dir=tmp, echo=term_at_2, every=2)
    return [("22.12 `pretrain` on SIGTERM", "SIGTERM after step 2 of 4 (exit 143)",
             f"{lines[-1]}; then: hsiadapt: stopped by SIGTERM; re-run the same command to "
             "resume")]


def rows(tmp: Path) -> list[Row]:
    out: list[Row] = []
    for name, make in (("data", data_rows), ("cli", cli_rows), ("run", run_rows),
                       ("pretrain", pretrain_rows)):
        (tmp / name).mkdir()
        out += make(tmp / name)
    return sorted(out, key=lambda r: int(r[0].split()[0].split(".")[1]))  # by issue item

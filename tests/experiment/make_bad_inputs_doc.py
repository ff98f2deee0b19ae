"""Writes docs/bad_inputs.md: every bad input the tests cover, run for real, with the exact
message it gives. ``PYTHONPATH=src python -m tests.experiment.make_bad_inputs_doc``.

The cases are the tests' own (test_config, test_config_values, test_bad_run_inputs, and the
dataset tests' inputs rebuilt here), so the page and the tests cannot drift apart."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from hsiadapt.datasets import EnMAPBNETD, HSIFolder, Hyperview1
from hsiadapt.experiment.config import ConfigError, load_config

from ._issue22_cases import rows as _issue22_rows
from .conftest import DATA
from .test_bad_run_inputs import (
    damaged_run_folders,
    missing_validation_split,
    statistics_of_the_wrong_length,
)
from .test_config_choices import BAD as CHOICES
from .test_config_values import BAD, patched_config
from .test_silent_inputs import SILENT, alias_bomb, utf16_config

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad_inputs.md"
TYPOS = [
    ("name: x\nseed: [1]\n", "a misspelt top-level key"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipee: x}\n", "a misspelt task key"),
    ("tasks:\n  - {name: a, dataset: enmap_bntd}\n", "an unknown dataset"),
    ("adapters:\n  - {name: a, input_mode: sfr}\n", "an unknown input mode"),
    ("backbones:\n  - {name: terramind_v1_tny}\n", "an unknown backbone"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {lrr: 1}}\n",
     "a misspelt recipe override"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, normalization: study}\n",
     "study normalisation without statistics"),
    ("seeds: []\n", "no seeds"),
]


def _config_message(tmp: Path, patch: str) -> str:
    try:
        load_config(patched_config(tmp, patch))
    except ConfigError as err:
        return str(err)
    raise AssertionError(f"no error for {patch!r}")


def _one_line(patch: str) -> str:
    return " ".join(patch.split()).replace("|", "\\|")


def _raises(fn: Callable[[], object]) -> str:
    try:
        fn()
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    raise AssertionError("no error")


def _data_cases(tmp: Path) -> list[tuple[str, str, str]]:
    out = []
    root = tmp / "se"
    shutil.copytree(DATA / "spectralearth/root", root)
    split = root / "splits/enmap_bnetd/train.txt"
    split.write_text(split.read_text() + "\n../../outside/x.tif\n")
    out.append(("SpectralEarth split entry leading outside the root",
                "`train.txt` line `../../outside/x.tif`",
                _raises(lambda: EnMAPBNETD(root, "train"))))
    hv = tmp / "hv"
    shutil.copytree(DATA / "hyperview1/root", hv)
    gt = hv / "train_gt.csv"
    lines = gt.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ","
    gt.write_text("\n".join(lines) + "\n")
    out.append(("NaN / empty target in the HYPERVIEW ground truth", "`train_gt.csv` row `1,...,`",
                _raises(lambda: Hyperview1(hv, "train"))))
    hv2 = tmp / "hv2"
    shutil.copytree(DATA / "hyperview1/root", hv2)
    z = dict(np.load(hv2 / "train/0.npz"))
    data = z["data"].astype(np.float32)
    r, c = np.argwhere(~z["mask"][0])[0]
    data[3, r, c] = np.nan
    np.savez_compressed(hv2 / "train/0.npz", data=data, mask=z["mask"])
    ds = Hyperview1(hv2, "train", val_fraction=0.0)
    out.append(("NaN pixel inside a HYPERVIEW field", "`train/0.npz` with a NaN where mask=False",
                _raises(lambda: ds[ds.ids.index(0)])))
    fo = tmp / "fo"
    shutil.copytree(DATA / "hsi_folder/root", fo)
    (fo / "labels.csv").write_text("file,lai,chl\n" + "".join(
        f"scene_{i}.tif,{'nan' if i == 2 else i},{10 * i}\n" for i in range(5)))
    out.append(("NaN target in a folder dataset's label table", "`labels.csv` with `nan`",
                _raises(lambda: HSIFolder(fo, "train", labels_csv="labels.csv",
                                          mask_dir=None))))
    return out


def main() -> str:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t).resolve()

        def clean(msg: str) -> str:
            return msg.replace(str(tmp), "<tmp>").replace(str(DATA), "<tests/data>").replace(
                "|", "\\|").replace("\n", " ")

        rows = ["| input | what was given | message |", "|---|---|---|"]
        for patch, what in TYPOS:
            (tmp / "t").mkdir(exist_ok=True)
            rows.append(f"| {what} | `{_one_line(patch)}` | "
                        f"{clean(_config_message(tmp / 't', patch))} |")
        for i, (patch, _) in enumerate(BAD):
            (tmp / f"b{i}").mkdir()
            rows.append(f"| wrong type, unknown argument or unsafe name | `{_one_line(patch)}` | "
                        f"{clean(_config_message(tmp / f'b{i}', patch))} |")
        for i, patch in enumerate(dict.fromkeys(p for p, _ in CHOICES)):
            (tmp / f"c{i}").mkdir()
            rows.append(f"| a value not among an option's choices | `{_one_line(patch)}` | "
                        f"{clean(_config_message(tmp / f'c{i}', patch))} |")
        for i, (patch, _) in enumerate(SILENT):
            (tmp / f"s{i}").mkdir()
            rows.append(f"| duplicate key, out-of-range value or control character | "
                        f"`{_one_line(patch)}` | {clean(_config_message(tmp / f's{i}', patch))} |")
        for what, fn in (("a YAML alias bomb", alias_bomb), ("a config saved as UTF-16",
                                                              utf16_config)):
            (tmp / what[2:7]).mkdir()
            rows.append(f"| {what} | the file | {clean(fn(tmp / what[2:7]))} |")
        for what, given, msg in _data_cases(tmp / "data"):
            rows.append(f"| {what} | {given} | {clean(msg)} |")
        for what, given, fn in [
            ("statistics of the wrong length", "`mu.npy`/`sigma.npy` with 200 values, data 202",
             statistics_of_the_wrong_length),
            ("a missing split file", "no `val.txt`", missing_validation_split)]:
            (tmp / what[:5]).mkdir()
            rows.append(f"| {what} | {given} | run failed before training: "
                        f"{clean(fn(tmp / what[:5]))} |")
        (tmp / "issue22").mkdir()
        for what, given, msg in _issue22_rows(tmp / "issue22"):
            rows.append(f"| {what} | {given} | {clean(msg)} |")
        (tmp / "damaged").mkdir()
        for given, msg in zip(["`metrics.json` with `test: [0.5]`",
                               "`resolved_config.yaml` not YAML",
                               "`metrics.json` cut short"], damaged_run_folders(tmp / "damaged"),
                              strict=True):
            rows.append(f"| a damaged run folder (that run fails, the sweep goes on) | {given} | "
                        f"{clean(msg)} |")
    return "\n".join(rows)


HEADER = """# Bad inputs and what they say

Every row was produced by running it (`PYTHONPATH=src python -m
tests.experiment.make_bad_inputs_doc`, which rewrites this page from the tests' own cases);
`<tmp>` stands for the temporary folder the case ran in.

Rules behind the messages:

* Config values are checked against their field's type when the file is loaded. **One
  conversion is made**: a float field accepts a string that spells a number and converts it
  (`lr: 1e-3` - YAML 1.1, which PyYAML reads, takes `1e-3` without a dot for a string). Every
  other wrong type is an error naming the YAML key and what to write: `max_epochs: '2'`,
  `pretrained: 'false'`, `cache: 'no'` are refused.
* `dataset_args` and an adapter's `args` / `task_args` are checked against the dataset's /
  adapter's signature when the config is loaded (so also by `--dry-run`), with the closest valid
  argument.
* Task, adapter and experiment names are folder names: letters, digits, `.`, `_`, `-`, not
  starting with a dot.
* Split entries must stay inside the dataset root.
* Security: the experiment grid names components through hsiadapt's registries only, so it
  cannot make hsiadapt run code - **except `launcher.slurm`**: submitit writes some of its keys
  (`slurm_setup` verbatim, `slurm_srun_args`, `slurm_additional_parameters`, ...) into the
  sbatch script, which the cluster's shell executes. `hsiadapt run` names such keys on stderr
  before anything runs. Treat a config with `launcher.type: slurm` like a shell script.
* Every file hsiadapt writes is written atomically (a temporary name, then a rename; a scan of
  `src/` in `tests/test_atomic_writes.py` keeps it so) and gets the mode any new file gets (0666
  less the umask).
* Issue 22's rows are marked `22.N` (its item). Its other items appear above: duplicate keys,
  `max_epochs: 0`, `lr: 0`, `image_size` 0 or -16, duplicate `class_codes`, control characters
  in Slurm values, an alias bomb and a UTF-16 config. Two items give no message because they are
  now handled: a *descending* band table is read in the data's order, and `data check` streams
  its statistics (`benchmarks/data_check_memory.py`: three 2048 x 2048 x 30 chips peaked at
  6021 MB before, 3141 MB after, peak RSS measured in one run with `--baseline-src`).

"""

if __name__ == "__main__":
    text = HEADER + main() + "\n"
    if "--print" in sys.argv:
        print(text)
    else:
        DOC.write_text(text)
        print(f"wrote {DOC}")

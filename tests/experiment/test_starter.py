"""hsiadapt init: a folder of cubes in, a commented config that runs out."""

from __future__ import annotations

import numpy as np
import yaml

from hsiadapt.cli import main
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.starter import inspect_folder, write_starter
from tests.datasets.test_folder_files import _envi_folder


def test_init_on_a_tiny_envi_folder_writes_a_config_that_loads(tmp_path, capsys):
    root = _envi_folder(tmp_path / "flights", [f"f{i}" for i in range(6)])
    assert main(["init", str(root), "--out", str(tmp_path / "cfg/study.yaml")]) == 0
    text = (tmp_path / "cfg/study.yaml").read_text()
    assert "sensor: a custom band table (20 bands, 420.0-2400.0 nm" in text
    assert "proposed here: a seeded random split (seed 0): train 4, val 1, test 1" in text
    assert "none is taken as background" in text and "pretrained: false" in text
    cfg = load_config(tmp_path / "cfg/study.yaml")
    assert cfg.data_root == str(root)  # written relative to the config's folder
    assert [a.name for a in cfg.adapters] == ["select", "srf", "full_spectrum"]
    t = cfg.tasks[0]
    assert t.dataset_args["split_fractions"] == [0.6667, 0.1667, 0.1666]
    assert yaml.safe_load(text)["backbones"][0]["name"] == "terramind_v1_tiny"
    assert "next: hsiadapt data check" in capsys.readouterr().err


def test_init_detects_float_reflectance_and_uncovered_bands(tmp_path):
    from tests.spectral.envi_files import write_image

    (tmp_path / "r/images").mkdir(parents=True)
    wl = [float(w) for w in np.linspace(450, 950, 30)]  # VNIR only: no SWIR, no coastal
    rng = np.random.default_rng(0)
    for i in range(4):
        write_image(tmp_path / f"r/images/s{i}.img", rng.random((8, 8, 30)).astype("<f4") * 0.5,
                    wl)
    s = inspect_folder(tmp_path / "r")
    assert s.task == "unlabelled" and s.reflectance_scale == 1.0
    assert "reflectance 0-1" in s.scale_note and "SWIR_2" in s.uncovered
    path, _ = write_starter(tmp_path / "r")
    assert path == tmp_path / "r/hsiadapt.yaml"
    cfg = load_config(path)
    assert all(a.args == {"coverage": "nearest"} for a in cfg.adapters)
    assert cfg.tasks[0].dataset_args["reflectance_scale"] == 1.0


def test_init_on_real_potsdam_tiles(realdata, tmp_path):
    path, s = write_starter(realdata / "enmap_potsdam_tiles", tmp_path / "potsdam.yaml",
                            background_codes=[0])
    assert s.sensor == "enmap" and s.class_codes == [1, 2, 3, 4, 5, 6]
    assert s.splits == {"train": 14, "val": 2, "test": 2}
    assert "scale tag (0.0001)" in s.scale_note and "-32768" in s.nodata_note
    cfg = load_config(path)
    assert cfg.tasks[0].dataset_args == {"background_codes": [0]}


def test_init_never_takes_the_masks_nodata_code_for_a_class(tmp_path):
    import rasterio

    root = _envi_folder(tmp_path / "r", ["a", "b", "c"])
    for m in (root / "masks").iterdir():
        with rasterio.open(m, "r+") as dst:
            a = dst.read()
            a[0, 0, :] = 255
            dst.write(a)
            dst.nodata = 255
    s = inspect_folder(root)
    # the loader leaves pixels of the masks' nodata value out (they are unlabelled): 255 is
    # never taken for a class, and needs no background declaration
    assert s.class_codes == [1, 2, 3] and s.background_codes in ([], [255])


def test_starter_config_runs_the_classical_baselines_into_the_table(tmp_path, capsys):
    """init's config has baselines on: after `run`, `table` shows LDA and random-forest rows
    (on the full spectra and on each fixed adapter's bands) beside the deep rows."""
    root = _envi_folder(tmp_path / "flights", [f"f{i}" for i in range(6)])
    path, _ = write_starter(root, tmp_path / "study.yaml")
    text = path.read_text()
    assert "baselines: [lda, random_forest]" in text
    # a quick deep grid: the stub backbone, one adapter, one epoch
    text = text.replace("  - name: terramind_v1_tiny", "  - name: stub").replace(
        "max_epochs: 5", "max_epochs: 1").replace("trainer: {accelerator: auto}",
                                                  "trainer: {accelerator: cpu}")
    lines = text.splitlines()
    lines = [ln for ln in lines if "name: srf," not in ln and "name: full_spectrum," not in ln]
    path.write_text("\n".join(lines) + "\n")
    assert main(["run", str(path)]) == 0
    capsys.readouterr()
    assert main(["table", str(tmp_path / "runs")]) == 0
    table = capsys.readouterr().out
    rows = {tuple(c.strip() for c in ln.split("|")[1:3]) for ln in table.splitlines()
            if ln.startswith("| ")}
    assert {("lda *(baseline)*", "full"), ("lda *(baseline)*", "select"),
            ("random_forest *(baseline)*", "full"),
            ("random_forest *(baseline)*", "select"), ("stub", "select")} <= rows
    results = (tmp_path / "runs/results.csv").read_text()
    assert "lda,none,full,miou,max" in results and "random_forest,none,select" in results

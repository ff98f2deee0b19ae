"""docs/your_data.md cannot rot: its commands (the ```bash blocks that start with
``# tutorial``) are extracted and run, with tiny settings (the stub backbone, one epoch) - on
the real EnMAP Potsdam tiles when they are here, and on a small folder in the same layout made
in the test, so CI covers the path too."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.spectral import get_sensor

DOC = Path(__file__).resolve().parents[1] / "docs" / "your_data.md"


def tutorial_commands() -> list[str]:
    """Shell lines of the marked blocks, in order (``export`` lines and ``hsiadapt`` calls)."""
    blocks = re.findall(r"```bash\n# tutorial\n(.*?)```", DOC.read_text(), flags=re.S)
    lines = [ln for b in blocks for ln in b.replace("\\\n", " ").splitlines()]
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def run_tutorial(data: Path, cwd: Path, monkeypatch) -> list[str]:
    """Run the tutorial's commands in ``cwd`` with ``$DATA`` = ``data``; stub backbone and one
    epoch. Returns the commands run."""
    monkeypatch.chdir(cwd)
    env = {"DATA": str(data)}
    ran = []
    for line in tutorial_commands():
        if line.startswith("export "):
            continue  # $DATA is the test's
        assert line.startswith("hsiadapt "), f"tutorial line the test cannot run: {line}"
        cmd = re.sub(r"\$(\w+)", lambda m: env[m.group(1)], line)
        cmd = cmd.replace("terramind_v1_tiny", "stub")  # run ids follow the backbone
        argv = shlex.split(cmd)[1:]
        if argv[0] == "run":
            argv += ["--max-epochs", "1"]
        code = main(argv)
        assert code == 0, f"exit {code}: {cmd}"
        if argv[0] == "init":
            cfg = Path(argv[argv.index("--out") + 1])
            cfg.write_text(cfg.read_text().replace("name: terramind_v1_tiny", "name: stub"))
        ran.append(argv[0])
    return ran


def _check_outputs(cwd: Path) -> None:
    runs = cwd / "potsdam/runs"
    assert len(list(runs.glob("*/metrics.json"))) == 3
    assert (runs / "figures/predictions_enmap_potsdam_tiles.png").is_file()
    with rasterio.open(cwd / "potsdam/map.tif") as src:
        codes = set(np.unique(src.read(1)).tolist())
        assert codes <= {1, 2, 3, 4, 5, 6, 255} and src.colormap(1)[1][3] == 255
    assert "label=\"roof\"" in (cwd / "potsdam/map.qml").read_text()


def test_tutorial_extracts_every_step():
    steps = [ln.split()[1] for ln in tutorial_commands() if ln.startswith("hsiadapt ")]
    assert steps == ["init", "data", "run", "table", "figures", "predict"]


def test_tutorial_on_real_potsdam_tiles(realdata, tmp_path, monkeypatch):
    ran = run_tutorial(realdata / "enmap_potsdam_tiles", tmp_path, monkeypatch)
    assert ran == ["init", "data", "run", "table", "figures", "predict"]
    _check_outputs(tmp_path)


def _potsdam_like(root: Path) -> Path:
    """A small folder in the Potsdam tiles' layout: EnMAP's 224 bands in GeoTIFF metadata, scale
    tag, nodata -32768, label tiles with codes 0-6 (0 unlabelled), split CSVs."""
    rng = np.random.default_rng(0)
    enmap = get_sensor("enmap")
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    names = [f"enmap_potsdam_tile_{y}_{x}.tif" for y in (0, 96) for x in (0, 32, 96)]
    prof = dict(driver="GTiff", width=16, height=16, count=len(enmap), dtype="float32",
                crs="EPSG:32633", transform=from_origin(366015, 5809965, 30, 30), nodata=-32768)
    c = np.asarray(enmap.centers)
    atmosphere = np.where(((c > 1340) & (c < 1430)) | ((c > 1800) & (c < 1960)), 0.02, 1.0)
    for k, n in enumerate(names):
        labels = (np.arange(256).reshape(16, 16) + k) % 7
        img = (800 + 300 * labels[None] + 200 * rng.random((len(enmap), 16, 16))).astype("f4")
        img *= atmosphere[:, None, None]  # dark in the water-vapour windows, as real imagery
        with rasterio.open(root / "images" / n, "w", **prof) as dst:
            dst.write(img)
            dst.scales = [1e-4] * len(enmap)
            for b, band in enumerate(enmap):
                dst.update_tags(b + 1, wavelength=f"{band.center_nm:.2f}",
                                fwhm=f"{band.fwhm_nm:.3f}", wavelength_units="Nanometers")
        with rasterio.open(root / "labels" / n, "w", **dict(prof, count=1, nodata=None)) as dst:
            dst.write(labels[None].astype("f4"))
    for split, part in (("train", names[:4]), ("validation", names[4:5]), ("test", names[5:])):
        (root / f"{split}_files.csv").write_text(
            "image,mask\n" + "".join(f"images/{n},labels/{n}\n" for n in part))
    return root


def test_tutorial_on_a_folder_made_here(tmp_path, monkeypatch):
    data = _potsdam_like(tmp_path / "data" / "enmap_potsdam_tiles")
    work = tmp_path / "work"
    work.mkdir()
    run_tutorial(data, work, monkeypatch)
    _check_outputs(work)
    assert os.path.isfile(work / "potsdam/runs/figures/seed_spread.png")

import json

import pytest

from hsiadapt.cli import main


def test_spectral_table(capsys):
    assert main(["spectral", "enmap_spectralearth", "sentinel2_l2a", "--integration", "boxcar"]) == 0
    out = capsys.readouterr().out
    assert "SWIR_1" in out and "seen %" in out


def test_spectral_json_and_plot(capsys, tmp_path):
    png = tmp_path / "m.png"
    assert main(["spectral", "hyperview", "sentinel2_l2a", "--coverage", "drop", "--format",
                 "json", "--plot", str(png)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert len(d["target_bands"]) == 9 and d["filled"]["SWIR_1"] == "dropped"
    assert png.stat().st_size > 10_000


def test_spectral_csv_select_paper(capsys):
    assert main(["spectral", "hyperview", "sentinel2_l2a", "--method", "select", "--preset",
                 "paper", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 151 and lines[0].startswith("source_band,center_nm,COASTAL_AEROSOL")


def test_spectral_from_wavelength_file(capsys, tmp_path):
    f = tmp_path / "sensor.csv"
    f.write_text("wavelength,fwhm\n" + "".join(f"{w},{8}\n" for w in range(420, 2450, 8)))
    assert main(["spectral", str(f), "sentinel2_l2a"]) == 0
    assert "NIR_NARROW" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "msg"), [
    (["spectral", "hyperview", "sentinel2_l2a"], "does not cover"),
    (["spectral", "hyperveiw", "sentinel2_l2a"], "did you mean 'hyperview'"),
])
def test_errors_exit_2_with_message(capsys, args, msg):
    assert main(args) == 2
    assert msg in capsys.readouterr().err


def test_sensors(capsys):
    assert main(["sensors"]) == 0
    assert "enmap_spectralearth" in capsys.readouterr().out


def test_spectral_import_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, hsiadapt.spectral; hsiadapt.spectral.get_sensor('enmap'); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_data_check_cli(capsys, tmp_path):
    from pathlib import Path

    root = Path(__file__).parent / "data/hsi_folder/root"
    assert main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
                 "class_names=[a, b, c]", "--arg", "background_codes=[0]"]) == 0
    out = capsys.readouterr().out
    assert "splits: train 3, val 1, test 1" in out and "spectral sanity" in out
    assert main(["data", "check", str(tmp_path), "--dataset", "hsi_folder", "--json"]) == 2
    rep = json.loads(capsys.readouterr().out)
    assert rep["splits"] == {} and "image folder" in rep["problems"][0]

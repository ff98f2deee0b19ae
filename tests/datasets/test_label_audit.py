"""Labels that are probably wrong are said plainly (init, data check) and strays stop data check:
each test here fails on the code before hsiadapt.datasets.label_audit."""

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.data.check import check_dataset, exit_code
from hsiadapt.datasets.label_audit import audit_codes

N, S = 30, 20
WL = np.linspace(400, 2450, N)


def _scene(root, *, strays: bool = False, nodata_tag: bool = False):
    """Jasper-like tiles: 0-based masks (codes 0..3, 0 the largest class, every pixel labelled),
    optionally with a stray code 7 (2 pixels, < 0.1 %) and 255 (uint8 maximum) on one edge."""
    rng = np.random.default_rng(0)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    prof = dict(driver="GTiff", width=S, height=S, count=N, dtype="uint16",
                crs="EPSG:32633", transform=from_origin(0, 0, 30, 30))
    for i in range(8):
        m = rng.choice([0, 1, 2, 3], size=(S, S), p=[0.4, 0.2, 0.2, 0.2]).astype(np.uint8)
        if strays and i == 0:
            m[0, :] = 255
            m[5, 5:7] = 7
        img = np.round(1000 + 2000 * rng.random((N, S, S)) + 500.0 * (m[None] % 4))
        with rasterio.open(root / "images" / f"t{i}.tif", "w", **prof) as dst:
            dst.write(img.astype(np.uint16))
            for b in range(N):
                dst.update_tags(b + 1, wavelength=f"{WL[b]:.1f}", wavelength_units="nm")
        with rasterio.open(root / "masks" / f"t{i}.tif", "w",
                           **dict(prof, count=1, dtype="uint8")) as dst:
            dst.write(m[None])
            if nodata_tag:
                dst.nodata = 255
    return root


def _declare(codes):
    return f"background_codes={codes}"


def test_background_code_that_is_the_largest_class_is_said_plainly(tmp_path, capsys):
    root = _scene(tmp_path / "j")
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "background_codes=[0]"])
    out = capsys.readouterr().out
    line = next(ln for ln in out.splitlines() if ln.startswith("labels: !"))
    assert "declared background code 0 holds" in line and "more than any class" in line
    assert "look 0-based (codes 0..3" in line and "drop background_codes" in line
    assert rc == 0  # a note, not an error: Indian Pines' unlabelled 0 holds most pixels too
    # without the declaration, code 0 is a class and nothing is said about background
    main(["data", "check", str(root), "--dataset", "hsi_folder"])
    out = capsys.readouterr().out
    assert "declared background" not in out and "look 0-based" in out


def test_init_warns_on_the_terminal_and_in_the_config(tmp_path, capsys):
    root = _scene(tmp_path / "j")
    assert main(["init", str(root), "--out", str(tmp_path / "c.yaml"),
                 "--background-codes", "0"]) == 0
    err = capsys.readouterr().err
    assert "hsiadapt: warning: declared background code 0 holds" in err
    assert "rerun init without --background-codes" in err
    assert "#   ! declared background code 0" in (tmp_path / "c.yaml").read_text()


def test_stray_codes_are_problems_with_the_fix(tmp_path, capsys):
    root = _scene(tmp_path / "s", strays=True)
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder"])
    out = capsys.readouterr().out
    assert rc == 1
    problem = next(ln for ln in out.splitlines() if "look like nodata or strays" in ln)
    assert "mask codes [7, 255]" in problem and "the uint8 maximum" in problem
    assert "class_7, class_255" in problem
    assert "--arg 'background_codes=[7, 255]'" in problem
    assert "dataset_args: {background_codes: [7, 255]}" in problem
    # the fix it names makes the check pass
    rc = main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
               "background_codes=[7, 255]"])
    assert rc == 0, capsys.readouterr().out
    # init says the same, in its own flag
    main(["init", str(root), "--out", str(tmp_path / "c.yaml")])
    assert "rerun init with --background-codes 7,255" in capsys.readouterr().err


def test_a_nodata_tag_or_declared_classes_are_not_strays(tmp_path):
    tagged = _scene(tmp_path / "t", strays=True, nodata_tag=True)  # 255 tagged: only 7 is left
    rep = check_dataset("hsi_folder", tagged)
    assert [p for p in rep.problems if "strays" in p and "[7]" in p] and exit_code(rep) == 1
    rep = check_dataset("hsi_folder", tagged, dataset_args={"class_codes": [0, 1, 2, 3, 7]})
    assert not [p for p in rep.problems if "strays" in p]


@pytest.mark.parametrize(("counts", "dtype", "strays"), [
    ({0: 500, 1: 499, 2: 1}, "uint8", []),            # 2 in 1 / 1000 px: not below 0.1 %
    ({0: 5000, 1: 4996, 2: 4}, "uint8", [2]),         # 4 / 10000 px: below
    ({1: 600, 2: 400, 65535: 900}, "uint16", [65535]),  # the dtype maximum, however many
    ({1: 600, 2: 400, 255: 900}, "int16", []),        # 255 is no maximum of int16
    ({1: 600, 2: 400, 255: 900}, "float32", []),
])
def test_stray_rule(counts, dtype, strays):
    found = audit_codes(counts, background_codes=(), scanned_codes=True, dtype=dtype,
                        declare=_declare)
    got = [f.message for f in found if f.severity == "problem"]
    assert len(got) == bool(strays)
    if strays:
        assert f"mask codes {strays}" in got[0] and f"background_codes={strays}" in got[0]
    # codes the user listed as classes are never strays
    assert not [f for f in audit_codes(counts, background_codes=(), scanned_codes=False,
                                       dtype=dtype, declare=_declare) if f.severity == "problem"]

"""Training samples of a folder of mission products (or large images) are fixed-size chips read
through windows, split spatially disjoint by whole chips (issue #20). EnMAP L2A products are
written by the committed writer ``tests/data/enmap_l2a/data.py``."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import rasterio
import yaml
from rasterio.transform import from_origin

from hsiadapt.cli import main
from hsiadapt.datasets import HSIFolder
from hsiadapt.datasets.base import HSIDataError
from hsiadapt.spectral.products import read_product

DATA = Path(__file__).resolve().parents[1] / "data"
SPLITS = ("train", "val", "test")


def _enmap_folder(root: Path, n: int, rows: int, cols: int) -> dict[str, np.ndarray]:
    """``n`` EnMAP L2A products of ``rows`` x ``cols`` px with labels (codes 1-3, 0 unlabelled)
    on the products' own grid in ``labels/``; returns each product's labels."""
    spec = importlib.util.spec_from_file_location("enmap_fixture", DATA / "enmap_l2a" / "data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.ROWS, mod.COLS = rows, cols
    rng = np.random.default_rng(7)
    out = {}
    (root / "labels").mkdir(parents=True)
    for k in range(n):
        mod.NAME = f"ENMAP01-____L2A-DT000000186{k}_20220724T104526Z_008_V010302_20230628T165614Z"
        mod.main(root / "images")
        codes = rng.integers(0, 4, size=(rows, cols)).astype(np.uint8)
        with rasterio.open(root / "labels" / f"{mod.NAME}.tif", "w", driver="GTiff", width=cols,
                           height=rows, count=1, dtype="uint8", crs="EPSG:32633",
                           transform=from_origin(366015, 5809965, 30, 30)) as dst:
            dst.write(codes[None])
        out[mod.NAME] = codes
    return out


def _footprints(ds: HSIFolder) -> set[tuple[str, int, int]]:
    return {(c.file, r, q) for c in ds.chips for r in range(c.row, c.row + c.height)
            for q in range(c.col, c.col + c.width)}


def test_chips_tile_each_product_and_hold_its_pixels_and_labels(tmp_path):
    labels = _enmap_folder(tmp_path, n=2, rows=20, cols=27)
    ds = HSIFolder(tmp_path, "all", chip_size=8, background_codes=[0])
    assert len(ds) == 2 * 3 * 4  # 20 rows -> 8, 8, 4; 27 cols -> 8, 8, 8, 3
    assert {(c.height, c.width) for c in ds.chips} == {(8, 8), (8, 3), (4, 8), (4, 3)}
    pix = _footprints(ds)
    assert len(pix) == sum(c.height * c.width for c in ds.chips) == 2 * 20 * 27  # disjoint, all
    for i in (0, 7, len(ds) - 1):
        ch = ds.chips[i]
        prod = read_product(tmp_path / "images" / ch.file)  # the whole product, then the window
        want = prod.data[:, ch.row:ch.row + ch.height, ch.col:ch.col + ch.width]
        s = ds[i]
        good = prod.bands.valid
        got = s["image"].numpy()[good]
        ok = np.isfinite(want[good])
        np.testing.assert_allclose(got[ok], want[good][ok] * 10000, rtol=1e-6)
        assert tuple(s["image"].shape[1:]) == (ch.height, ch.width) == tuple(s["mask"].shape)
        codes = labels[ch.file.split("/")[0]][ch.row:ch.row + ch.height,
                                                ch.col:ch.col + ch.width]
        want_mask = np.where(codes == 0, -1, codes.astype(np.int64) - 1)
        want_mask[~s["valid"].numpy()] = -1
        np.testing.assert_array_equal(s["mask"].numpy(), want_mask)


def test_splits_are_disjoint_whole_chips(tmp_path):
    _enmap_folder(tmp_path, n=2, rows=20, cols=27)
    every = HSIFolder(tmp_path, "all", chip_size=8, background_codes=[0])
    parts = {s: HSIFolder(tmp_path, s, chip_size=8, background_codes=[0]) for s in SPLITS}
    names = {s: {c.name for c in d.chips} for s, d in parts.items()}
    assert all(names.values())
    assert not (names["train"] & names["val"] or names["train"] & names["test"]
                or names["val"] & names["test"])
    assert set().union(*names.values()) == {c.name for c in every.chips}
    pix = [_footprints(d) for d in parts.values()]
    assert not (pix[0] & pix[1] or pix[0] & pix[2] or pix[1] & pix[2])
    assert len(parts["train"]) > len(parts["test"])


def test_split_lists_send_every_chip_of_a_product_to_its_split(tmp_path):
    labels = _enmap_folder(tmp_path, n=3, rows=12, cols=12)
    names = sorted(labels)
    (tmp_path / "splits").mkdir()
    for s, name in zip(SPLITS, names, strict=True):
        (tmp_path / "splits" / f"{s}.txt").write_text(f"{name}/{name}-SPECTRAL_IMAGE.TIF\n")
    ds = HSIFolder(tmp_path, "val", chip_size=8, background_codes=[0])
    assert len(ds) == 4 and {c.file.split("/")[0] for c in ds.chips} == {names[1]}


def test_auto_leaves_small_products_whole_and_chips_large_ones(tmp_path):
    _enmap_folder(tmp_path, n=1, rows=6, cols=8)
    small = HSIFolder(tmp_path, "all")
    assert small.chips is None and len(small) == 1
    big = tmp_path / "big"
    _enmap_folder(big, n=1, rows=130, cols=20)
    ds = HSIFolder(big, "all")
    assert [(c.row, c.height) for c in ds.chips] == [(0, 128), (128, 2)]


def test_bad_chip_sizes_are_refused_in_the_users_terms(tmp_path):
    _enmap_folder(tmp_path, n=1, rows=12, cols=12)
    with pytest.raises(ValueError, match="chip_size must be an integer of at least 8"):
        HSIFolder(tmp_path, "all", chip_size=2)
    with pytest.raises(HSIDataError, match="set a smaller chip_size"):
        HSIFolder(tmp_path, "train", chip_size=12)  # one chip cannot make three splits
    with pytest.raises(HSIDataError, match="no chip of 8 px with a labelled pixel for split .val."):
        HSIFolder(tmp_path, "val", chip_size=8, split_fractions=(1.0, 0.0, 0.0))


def test_large_geotiff_is_read_in_windows(tmp_path):
    (tmp_path / "images").mkdir()
    data = np.random.default_rng(1).integers(100, 5000, size=(5, 30, 20)).astype(np.int16)
    with rasterio.open(tmp_path / "images" / "scene.tif", "w", driver="GTiff", width=20,
                       height=30, count=5, dtype="int16") as dst:
        dst.write(data)
        for b, w in enumerate((450, 550, 650, 750, 850), 1):
            dst.update_tags(b, wavelength=str(w))
    ds = HSIFolder(tmp_path, "all", chip_size=16)
    assert [c.window for c in ds.chips] == [(0, 0, 16, 16), (0, 16, 16, 4), (16, 0, 14, 16),
                                            (16, 16, 14, 4)]
    np.testing.assert_allclose(ds[3]["image"].numpy(), data[:, 16:, 16:], rtol=1e-6)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_init_on_large_products_writes_a_config_that_dry_runs_with_chips(tmp_path, capsys):
    _enmap_folder(tmp_path, n=2, rows=140, cols=136)
    cfg = tmp_path / "hsiadapt.yaml"
    assert main(["init", str(tmp_path), "--out", str(cfg), "--background-codes", "0"]) == 0
    capsys.readouterr()
    assert main(["run", str(cfg), "--dry-run"]) == 0
    args = yaml.safe_load(cfg.read_text())["tasks"][0]["dataset_args"]
    assert "chips of up to 128 px" in cfg.read_text()
    sizes = {}
    for s in SPLITS:
        ds = HSIFolder(tmp_path, s, **args)
        assert ds.chips is not None and all(c.height <= 128 >= c.width for c in ds.chips)
        sizes[s] = len(ds)
    assert sizes["train"] > sizes["val"] >= 1 and sizes["test"] >= 1  # 8 chips of 2 products

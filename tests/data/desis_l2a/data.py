#!/usr/bin/env python3
"""Write a tiny DESIS L2A product in the layout public readers of real products expect.

A folder ``DESIS-HSI-L2A-DT0483531728_001-20200804T234520-V0210`` holding
``<name>-SPECTRAL_IMAGE.tif`` (int16, 235 bands, UTM), ``<name>-SPECTRAL_IMAGE.hdr`` (ENVI header:
``wavelength``, ``fwhm``, ``data gain values``, ``data offset values``, ``data ignore value``),
``<name>-METADATA.xml`` with one ``band`` element per band (``bandNumber``,
``wavelengthCenterOfBand``, ``wavelengthWidthOfBand``, ``gainOfBand``, ``offsetOfBand``) and a
``backgroundValue``, and ``<name>-QL_QUALITY-2.tif``. Sources of each name: the module docstring
of ``hsiadapt.spectral.products.desis`` (EnMAP-Box's and ACOLITE's DESIS importers). Not from a
source, so placeholders: the XML's root and parent element names (``hsiadapt_fixture``,
``specific``, ``bandCharacterisation``: the reader finds ``band`` elements at any depth, as
ACOLITE does), the background value -32768 and gain 1e-4 (L2A reflectance 0-1 = DN x gain).
The band table is hsiadapt's built-in DESIS table. Seeded: python tests/data/desis_l2a/data.py
"""

import csv
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).parent
NAME = "DESIS-HSI-L2A-DT0483531728_001-20200804T234520-V0210"
ROWS, COLS = 4, 5
GAIN = 1e-4
BACKGROUND = -32768


def table() -> list[tuple[float, float]]:
    src = HERE.parents[2] / "src" / "hsiadapt" / "spectral" / "_data" / "desis.csv"
    lines = [ln for ln in src.read_text().splitlines() if ln and not ln.startswith("#")]
    return [(float(r["center_nm"]), float(r["fwhm_nm"])) for r in csv.DictReader(lines)]


def xml(rows: list[tuple[float, float]]) -> str:
    bands = "\n".join(
        f"      <band>\n        <bandNumber>{i + 1}</bandNumber>\n"
        f"        <wavelengthCenterOfBand>{c}</wavelengthCenterOfBand>\n"
        f"        <wavelengthWidthOfBand>{f}</wavelengthWidthOfBand>\n"
        f"        <gainOfBand>{GAIN}</gainOfBand>\n        <offsetOfBand>0</offsetOfBand>\n"
        "      </band>" for i, (c, f) in enumerate(rows))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<hsiadapt_fixture>\n'
            "  <base>\n    <mission>DESIS</mission>\n    <sensor>HSI</sensor>\n"
            "    <productType>L2A</productType>\n"
            f"    <numberOfBands>{len(rows)}</numberOfBands>\n"
            f"    <backgroundValue>{BACKGROUND}</backgroundValue>\n  </base>\n"
            f"  <specific>\n    <bandCharacterisation>\n{bands}\n    </bandCharacterisation>\n"
            "  </specific>\n</hsiadapt_fixture>\n")


def header(rows: list[tuple[float, float]]) -> str:
    def lst(vals) -> str:
        return "{" + ", ".join(str(v) for v in vals) + "}"

    return ("ENVI\ndescription = {DESIS L2A spectral image}\n"
            f"samples = {COLS}\nlines = {ROWS}\nbands = {len(rows)}\nheader offset = 0\n"
            "file type = TIFF\ndata type = 2\ninterleave = bip\nbyte order = 0\n"
            f"data ignore value = {BACKGROUND}\nwavelength units = Nanometers\n"
            f"wavelength = {lst(c for c, _ in rows)}\nfwhm = {lst(f for _, f in rows)}\n"
            f"data gain values = {lst(GAIN for _ in rows)}\n"
            f"data offset values = {lst(0 for _ in rows)}\n")


def main(root: Path = HERE / "root") -> Path:
    rng = np.random.default_rng(235)
    rows = table()
    folder = root / NAME
    folder.mkdir(parents=True, exist_ok=True)
    dn = rng.integers(100, 6000, size=(len(rows), ROWS, COLS)).astype(np.int16)
    dn[:, 0, 0] = BACKGROUND  # one pixel without data
    prof = dict(driver="GTiff", width=COLS, height=ROWS, count=len(rows), dtype="int16",
                crs="EPSG:32617", transform=from_origin(500000, 4000020, 30, 30),
                interleave="pixel")
    with rasterio.open(folder / f"{NAME}-SPECTRAL_IMAGE.tif", "w", **prof) as dst:
        dst.write(dn)
    with rasterio.open(folder / f"{NAME}-QL_QUALITY-2.tif", "w",
                       **dict(prof, count=1, dtype="uint8")) as dst:
        dst.write(np.zeros((1, ROWS, COLS), np.uint8))
    (folder / f"{NAME}-SPECTRAL_IMAGE.hdr").write_text(header(rows))
    (folder / f"{NAME}-METADATA.xml").write_text(xml(rows))
    return folder


if __name__ == "__main__":
    main()

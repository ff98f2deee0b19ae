#!/usr/bin/env python3
"""Write a tiny EnMAP L2A product in the real layout: a product folder with
``<name>-SPECTRAL_IMAGE.TIF`` (int16, nodata -32768, 224 bands, UTM) and ``<name>-METADATA.XML``
(root ``level_X``; ``specific/bandCharacterisation/bandID[@number]`` with
``wavelengthCenterOfBand``, ``FWHMOfBand``, ``GainOfBand``, ``OffsetOfBand``;
``specific/vnirProductQuality|swirProductQuality/expectedChannelsList``;
``product/bandStatistics/bandID`` with ``mean``/``stdDeviation``). The band table is hsiadapt's
packaged EnMAP table sorted by wavelength, as L2A products list it; two bands are filled with
no data and flagged in bandStatistics the way DLR does (mean -1000000, stdDeviation 0).
Seeded: python tests/data/enmap_l2a/data.py
"""

import csv
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

HERE = Path(__file__).parent
NAME = "ENMAP01-____L2A-DT0000001867_20220724T104526Z_008_V010302_20230628T165614Z"
ROWS, COLS = 4, 5
EMPTY = (130, 131)  # 0-based bands filled with no data


def table() -> list[tuple[float, float]]:
    src = HERE.parents[2] / "src" / "hsiadapt" / "spectral" / "_data" / "enmap.csv"
    lines = [ln for ln in src.read_text().splitlines() if ln and not ln.startswith("#")]
    rows = [(float(r["center_nm"]), float(r["fwhm_nm"])) for r in csv.DictReader(lines)]
    return sorted(rows)


def xml(rows: list[tuple[float, float]], means: np.ndarray, stds: np.ndarray) -> str:
    bands = "\n".join(
        f'      <bandID number="{i + 1}">\n'
        f"        <wavelengthCenterOfBand>{c}</wavelengthCenterOfBand>\n"
        f"        <FWHMOfBand>{f}</FWHMOfBand>\n"
        "        <GainOfBand>0.0001</GainOfBand>\n        <OffsetOfBand>0</OffsetOfBand>\n"
        "      </bandID>" for i, (c, f) in enumerate(rows))
    stats = "\n".join(
        f'      <bandID number="{i + 1}"><mean>{m:.10g}</mean><stdDeviation>{s:.10g}</stdDeviation>'
        "</bandID>" for i, (m, s) in enumerate(zip(means, stds, strict=True)))
    vnir = ",".join(str(i + 1) for i, (c, _) in enumerate(rows) if c < 1000)
    swir = ",".join(str(i + 1) for i, (c, _) in enumerate(rows) if c > 900)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<level_X>\n'
        f"  <metadata>\n    <schema><processingLevel>L2A</processingLevel></schema>\n"
        f"    <name>{NAME}-METADATA.XML</name>\n  </metadata>\n"
        "  <base>\n    <format>ENMAP_L2A</format>\n    <level>L2A</level>\n  </base>\n"
        "  <specific>\n    <code>L2A</code>\n"
        f"    <vnirProductQuality><expectedChannelsList>{vnir}</expectedChannelsList>"
        "</vnirProductQuality>\n"
        f"    <swirProductQuality><expectedChannelsList>{swir}</expectedChannelsList>"
        "</swirProductQuality>\n"
        f"    <bandCharacterisation>\n{bands}\n    </bandCharacterisation>\n  </specific>\n"
        f"  <product>\n    <bandStatistics>\n{stats}\n    </bandStatistics>\n  </product>\n"
        "</level_X>\n")


def main(root: Path = HERE / "root") -> None:
    rng = np.random.default_rng(20)
    rows = table()
    folder = root / NAME
    folder.mkdir(parents=True, exist_ok=True)
    dn = rng.integers(200, 6000, size=(len(rows), ROWS, COLS)).astype(np.int16)
    dn[list(EMPTY)] = -32768
    dn[:, 0, 0] = -32768  # one pixel without data
    valid = dn != -32768
    means = np.array([dn[b][valid[b]].mean() if valid[b].any() else -1000000
                      for b in range(len(rows))])  # DLR writes -1000000 for an empty band
    stds = np.array([dn[b][valid[b]].std() if valid[b].any() else 0 for b in range(len(rows))])
    prof = dict(driver="GTiff", width=COLS, height=ROWS, count=len(rows), dtype="int16",
                crs="EPSG:32633", transform=from_origin(366015, 5809965, 30, 30), nodata=-32768)
    with rasterio.open(folder / f"{NAME}-SPECTRAL_IMAGE.TIF", "w", **prof) as dst:
        dst.write(dn)
    (folder / f"{NAME}-METADATA.XML").write_text(xml(rows, means, stds))


if __name__ == "__main__":
    main()

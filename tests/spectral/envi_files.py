"""Write tiny ENVI files in the real on-disk layout (header text as ENVI and the EnMAP-Box write
it, headerless binary beside it) for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

_CODES = {"u1": 1, "i2": 2, "i4": 3, "f4": 4, "f8": 5, "u2": 12, "u4": 13}


def _envi_braces(values, per_line: int = 4) -> str:
    rows = [", ".join(values[i : i + per_line]) for i in range(0, len(values), per_line)]
    return "{\n " + ",\n ".join(rows) + "}"


def write_library(
    data_path: Path,
    spectra: np.ndarray,
    wavelengths_um: list[float],
    names: list[str],
    *,
    dtype: str = "<f4",
    header_offset: int = 0,
    scale: float | None = None,
    fwhm_um: list[float] | None = None,
    bbl: list[int] | None = None,
    header_path: Path | None = None,
) -> Path:
    """An ENVI spectral library: ``lines`` spectra of ``samples`` values, ``bands = 1``."""
    dt = np.dtype(dtype)
    n, b = spectra.shape
    head = [
        "ENVI",
        "description = {\n  Spectral library written by the hsiadapt tests}",
        f"samples = {b}",
        f"lines   = {n}",
        "bands   = 1",
        f"header offset = {header_offset}",
        "file type = ENVI Spectral Library",
        f"data type = {_CODES[dt.str[1:]]}",
        "interleave = bsq",
        "sensor type = Unknown",
        f"byte order = {1 if dt.byteorder == '>' else 0}",
        "wavelength units = Micrometers",
    ]
    if scale is not None:
        head.append(f"reflectance scale factor = {scale:.6f}")
    head += [
        "z plot titles = {Wavelength, Reflectance}",
        "band names = {\n Spectral Library}",
        f"spectra names = {_envi_braces(names)}",
        f"wavelength = {_envi_braces([f'{w:.6f}' for w in wavelengths_um], 7)}",
    ]
    if fwhm_um is not None:
        head.append(f"fwhm = {_envi_braces([f'{w:.6f}' for w in fwhm_um], 7)}")
    if bbl is not None:
        head.append(f"bbl = {_envi_braces([str(v) for v in bbl], 16)}")
    hdr = header_path or data_path.with_suffix(".hdr")
    hdr.write_text("\n".join(head) + "\n")
    with data_path.open("wb") as f:
        f.write(b"\x00" * header_offset)
        f.write(np.ascontiguousarray(spectra, dtype=dt).tobytes())
    return hdr


def write_image(
    data_path: Path,
    cube: np.ndarray,
    wavelengths_nm: list[float],
    *,
    interleave: str = "bsq",
    dtype: str = "<f4",
    header_path: Path | None = None,
    file_type: str | None = "ENVI Standard",
) -> Path:
    """An ENVI image from ``cube`` of shape ``(lines, samples, bands)``."""
    lines, samples, bands = cube.shape
    dt = np.dtype(dtype)
    head = [
        "ENVI",
        f"samples = {samples}",
        f"lines = {lines}",
        f"bands = {bands}",
        "header offset = 0",
    ]
    if file_type is not None:
        head.append(f"file type = {file_type}")
    head += [
        f"data type = {_CODES[dt.str[1:]]}",
        f"interleave = {interleave}",
        f"byte order = {1 if dt.byteorder == '>' else 0}",
        "wavelength units = Nanometers",
        f"wavelength = {_envi_braces([f'{w:g}' for w in wavelengths_nm], 8)}",
    ]
    hdr = header_path or data_path.with_suffix(".hdr")
    hdr.write_text("\n".join(head) + "\n")
    order = {"bsq": (2, 0, 1), "bil": (0, 2, 1), "bip": (0, 1, 2)}[interleave]
    data_path.write_bytes(np.ascontiguousarray(cube.transpose(order), dtype=dt).tobytes())
    return hdr

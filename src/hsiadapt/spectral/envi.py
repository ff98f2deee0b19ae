"""ENVI files: the text header, the binary beside it, and the wavelengths the header lists.

An ENVI data set is a headerless binary plus a text header. Distributions name them in several
ways, all accepted here: ``scene`` + ``scene.hdr`` (no extension, e.g. AVIRIS-NG and EMIT
products), ``scene.img`` / ``.bsq`` / ``.bil`` / ``.bip`` / ``.dat`` / ``.raw`` / ``.sli`` +
``scene.hdr``, and ``scene.img`` + ``scene.img.hdr``.

Two layouts carry wavelengths: an image (``file type = ENVI Standard``), where ``bands`` counts
them, and a spectral library (``file type = ENVI Spectral Library``), where each line is one
spectrum, ``samples`` counts the wavelengths and ``bands = 1``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from hsiadapt.spectral._parse import floats, unit_scale
from hsiadapt.spectral.band import BandOrder, BandSet, SpectralError

__all__ = ["DATA_SUFFIXES", "NoEnviPartner", "read_envi_header", "resolve_envi_pair"]

#: Extensions an ENVI binary may have besides none at all (matched case-insensitively).
DATA_SUFFIXES = (".img", ".bsq", ".bil", ".bip", ".dat", ".raw", ".sli")

LIBRARY_FILE_TYPE = "envi spectral library"


class NoEnviPartner(SpectralError):
    """Raised by :func:`resolve_envi_pair` when the header or data file of a pair is missing."""


def _parse_envi_header(text: str) -> Mapping[str, str]:
    """Keys (lower case) and raw values of an ENVI header; ``;`` comment lines are skipped."""
    if not text.lstrip().upper().startswith("ENVI"):
        raise SpectralError("not an ENVI header (the first line must be 'ENVI')")
    out: dict[str, str] = {}
    for m in re.finditer(r"^\s*([^=\n]+?)\s*=\s*(\{[^}]*\}|[^\n]*)", text, flags=re.M):
        key = m.group(1).strip().lower()
        if not key.startswith(";"):
            out[key] = m.group(2).strip()
    return out


def _envi_list(text: str) -> list[str]:
    return [v.strip() for v in text.strip().strip("{}").split(",") if v.strip()]


def _is_header(path: Path) -> bool:
    if path.suffix.lower() == ".hdr":
        return True
    with path.open("rb") as f:
        return f.read(4).upper() == b"ENVI"


def _read_header(path: Path) -> Mapping[str, str]:
    try:
        return _parse_envi_header(path.read_text(errors="replace"))
    except SpectralError as err:
        raise SpectralError(f"{path}: {err}") from None


def header_int(hdr: Mapping[str, str], key: str, where: str, default: int | None = None) -> int:
    """An integer header field (``samples``, ``data type``...), with an error naming the field."""
    if key not in hdr:
        if default is not None:
            return default
        raise SpectralError(f"{where}: ENVI header has no '{key}' field; add it (an integer)")
    try:
        return int(hdr[key])
    except ValueError:
        raise SpectralError(f"{where}: '{key} = {hdr[key]}' is not an integer") from None


def is_library(hdr: Mapping[str, str]) -> bool:
    """True for a header with ``file type = ENVI Spectral Library``."""
    return hdr.get("file type", "").strip().lower() == LIBRARY_FILE_TYPE


def wavelength_count_key(hdr: Mapping[str, str]) -> str:
    """The header field that counts the wavelengths: ``samples`` for a library, else ``bands``."""
    return "samples" if is_library(hdr) else "bands"


def bandset_from_header(
    hdr: Mapping[str, str],
    where: str,
    name: str,
    order: BandOrder = "detectors",
) -> BandSet:
    """The band set an ENVI header describes (``wavelength``, ``wavelength units``, ``fwhm``,
    ``bbl``), checked against the header's own band count."""
    if "wavelength" not in hdr:
        raise SpectralError(
            f"{where}: ENVI header has no 'wavelength' list; add one or pass a wavelength file"
        )
    centers = floats(_envi_list(hdr["wavelength"]), "wavelength", where)
    count_key = wavelength_count_key(hdr)
    if is_library(hdr) and header_int(hdr, "bands", where, default=1) != 1:
        raise SpectralError(
            f"{where}: a spectral library has bands = 1 (one spectrum per line, wavelengths "
            f"along samples) but this header says bands = {hdr['bands']}; fix 'bands' or "
            "'file type'"
        )
    if count_key in hdr and header_int(hdr, count_key, where) != centers.size:
        hint = ""
        if count_key == "bands" and header_int(hdr, "samples", where, default=-1) == centers.size:
            hint = (
                f"; samples = {hdr['samples']} matches, so this looks like a spectral library: "
                "add 'file type = ENVI Spectral Library' to the header"
            )
        raise SpectralError(
            f"{where}: header says {count_key} = {hdr[count_key]} but lists {centers.size} "
            f"wavelengths{hint}"
        )
    scale = unit_scale(hdr.get("wavelength units"), centers, where)
    fw = None
    if "fwhm" in hdr:
        fw = floats(_envi_list(hdr["fwhm"]), "fwhm", where) * scale
        if fw.size != centers.size:
            raise SpectralError(f"{where}: {fw.size} fwhm values for {centers.size} wavelengths")
    valid = None
    if "bbl" in hdr:
        valid = floats(_envi_list(hdr["bbl"]), "bbl", where) != 0
        if valid.size != centers.size:
            raise SpectralError(
                f"{where}: {valid.size} bad-band flags (bbl) for {centers.size} wavelengths"
            )
    return BandSet.from_wavelengths(centers * scale, fw, valid=valid, name=name, order=order)


def _data_name(header: Path) -> str:
    base = header.name[: -len(".hdr")] if header.name.lower().endswith(".hdr") else header.stem
    stem, dot, ext = base.rpartition(".")
    return stem if dot and f".{ext.lower()}" in DATA_SUFFIXES else base


def read_envi_header(
    path: str | Path, name: str | None = None, *, order: BandOrder = "detectors"
) -> BandSet:
    """Band wavelengths from an ENVI header, in nm, in data order.

    ``path`` is the header (``scene.hdr``) or the data file beside it (``scene``, ``scene.img``
    ...; see :func:`resolve_envi_pair`). Reads ``wavelength`` (converted from ``wavelength
    units``), ``fwhm`` and ``bbl``. For a spectral library (``file type = ENVI Spectral
    Library``) the wavelengths run along ``samples``; for an image along ``bands``.

    Args:
        path: the header or the data file.
        name: name for the band set (default: the data file's name without extension).
        order: order the centres must have (see :class:`~hsiadapt.spectral.BandSet`); the default
            ``"detectors"`` accepts sorted tables and multi-detector product order (EnMAP's VNIR
            then SWIR) but not a shuffled table; pass ``"any"`` for data stored in another order.

    Raises:
        SpectralError: no wavelength list, or a wavelength count that disagrees with the header.
        FileNotFoundError: no such file.
    """
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such ENVI header: {p}")
    if not _is_header(p):
        p = resolve_envi_pair(p)[1]
    return bandset_from_header(_read_header(p), str(p), name or _data_name(p), order)


def _find_sibling(directory: Path, names: list[str]) -> list[Path]:
    """The existing files among ``names`` in ``directory`` (exact name first, then any case)."""
    found: list[Path] = []
    listing: dict[str, Path] | None = None
    for n in names:
        q = directory / n
        if not q.is_file():
            if listing is None:
                listing = {c.name.lower(): c for c in directory.iterdir() if c.is_file()}
            q = listing.get(n.lower(), q)
        if q.is_file() and q not in found:
            found.append(q)
    return found


#: Bytes per value of each ENVI 'data type' code.
_ITEMSIZE = {1: 1, 2: 2, 3: 4, 4: 4, 5: 8, 6: 8, 9: 16, 12: 2, 13: 4, 14: 8, 15: 8}


def _implied_size(header: Path) -> int | None:
    """Bytes the data file of ``header`` must have, or ``None`` when the header does not say."""
    try:
        hdr = _parse_envi_header(header.read_text(errors="replace"))
        n = int(hdr["samples"]) * int(hdr["lines"]) * int(hdr.get("bands", "1"))
        return int(hdr.get("header offset", "0")) + n * _ITEMSIZE[int(hdr["data type"])]
    except (SpectralError, KeyError, ValueError, OSError):
        return None


def header_names(data_path: Path) -> list[str]:
    """Names the header of ``data_path`` may have, most specific first: ``scene.img.hdr``, then
    ``scene.hdr`` when the file has an extension (for an extension outside
    :data:`DATA_SUFFIXES`, e.g. Cubert's ``.cue``, only if that header describes a file of
    exactly this size)."""
    names = [data_path.name + ".hdr"]
    if data_path.suffix:
        names.append(data_path.stem + ".hdr")
    return names


def _data_for_header(p: Path) -> Path:
    base = p.name[: -len(".hdr")]
    names = [base] + [base + s for s in DATA_SUFFIXES]
    found = [q for q in _find_sibling(p.parent, names) if q != p]
    if not found:
        # any other extension (e.g. Cubert's scene.cue) if its size is what the header describes
        size = _implied_size(p)
        prefix = base.lower() + "."
        found = [
            q
            for q in p.parent.iterdir()
            if q.name.lower().startswith(prefix)
            and q.suffix.lower() != ".hdr"
            and q.is_file()
            and q.stat().st_size == size
        ]
    if not found:
        raise NoEnviPartner(
            f"{p}: no ENVI data file beside this header; looked for {', '.join(names)} (or "
            f"{base}.* of the size the header describes) in {p.parent}. Put the binary next to "
            "its header under one of these names"
        )
    if len(found) > 1:
        raise SpectralError(
            f"{p}: several files could be this header's data: "
            f"{', '.join(sorted(q.name for q in found))}; pass the data file itself"
        )
    return found[0]


def _header_for_data(p: Path) -> Path:
    specific, *others = header_names(p)
    found = _find_sibling(p.parent, [specific])
    if not found and others:
        found = _find_sibling(p.parent, others)
        if p.suffix.lower() not in DATA_SUFFIXES:
            found = [h for h in found if _implied_size(h) == p.stat().st_size]
    if not found:
        also = f" and {others[0]} (describing a file of {p.stat().st_size} bytes)" if others else ""
        raise NoEnviPartner(
            f"{p}: no ENVI header beside this file; looked for {specific}{also} in {p.parent}"
        )
    return found[0]


def resolve_envi_pair(path: str | Path) -> tuple[Path, Path]:
    """``(data_path, header_path)`` of an ENVI data set, given either file.

    Given a header ``scene.hdr``, the data file is ``scene`` (no extension) or ``scene`` with one
    of :data:`DATA_SUFFIXES`, or failing those ``scene.<anything>`` of exactly the size the
    header describes; given ``scene.img.hdr``, it is ``scene.img``. Given a data file
    ``scene.img``, the header is ``scene.img.hdr`` or ``scene.hdr``; given ``scene``, it is
    ``scene.hdr``; given ``scene.v01`` (an extension outside :data:`DATA_SUFFIXES`),
    ``scene.v01.hdr``, or ``scene.hdr`` if that describes a file of this size. Names match
    case-insensitively.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        NoEnviPartner: no partner file (a :class:`SpectralError`).
        SpectralError: several candidate data files for one header.
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {p}")
    if p.suffix.lower() == ".hdr":
        return _data_for_header(p), p
    return p, _header_for_data(p)

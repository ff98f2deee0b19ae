"""Small parsing helpers shared by the readers in :mod:`hsiadapt.spectral.io` and ``envi``."""

from __future__ import annotations

import numpy as np

from hsiadapt.spectral._plausibility import MICROMETRE_SUSPICION_NM
from hsiadapt.spectral.band import SpectralError

_UNIT_SCALE = {
    "nanometers": 1.0,
    "nanometer": 1.0,
    "nanometres": 1.0,
    "nanometre": 1.0,
    "nm": 1.0,
    "micrometers": 1000.0,
    "micrometer": 1000.0,
    "micrometres": 1000.0,
    "micrometre": 1000.0,
    "microns": 1000.0,
    "micron": 1000.0,
    "um": 1000.0,
    "µm": 1000.0,
}


def unit_scale(unit: str | None, centers: np.ndarray, where: str) -> float:
    """Factor that turns ``centers`` (in ``unit``) into nm; infers the unit when none is given."""
    if unit is None or not unit.strip() or unit.strip().lower() in ("unknown", "index"):
        # no unit given: infer from magnitude, the same way BandSet validation judges it
        return 1000.0 if centers.max() < MICROMETRE_SUSPICION_NM else 1.0
    scale = _UNIT_SCALE.get(unit.strip().lower())
    if scale is None:
        raise SpectralError(
            f"{where}: wavelength unit {unit!r} is not understood; use Nanometers or Micrometers"
        )
    positive = centers[centers > 0]
    if positive.size:
        typical = float(np.median(positive))
        in_um = typical < MICROMETRE_SUSPICION_NM
        if in_um != (scale == 1000.0):
            said, are = ("micrometres", "nanometres") if scale == 1000.0 else ("nm", "micrometres")
            raise SpectralError(
                f"{where}: the wavelength unit is {unit!r} ({said}) but the values "
                f"({positive.min():g}-{positive.max():g}, median {typical:g}) are {are}; "
                "correct the unit (or leave it out to have it inferred)"
            )
    return scale


def floats(values: list[str], what: str, where: str) -> np.ndarray:
    """``values`` as float64, or a :class:`SpectralError` naming the entry that is not a number."""
    try:
        return np.array([float(v) for v in values], dtype=np.float64)
    except ValueError as err:
        raise SpectralError(f"{where}: {what} has a non-numeric entry ({err})") from None


def looks_binary(head: bytes) -> bool:
    """True when the first bytes of a file are not text (NUL bytes, or mostly non-text bytes).

    A float32 cube need not contain NUL bytes, so bytes that are neither printable ASCII nor valid
    UTF-8 count too; a text table in Latin-1 with one ``µ`` still reads as text.
    """
    if not head:
        return False
    if b"\x00" in head:
        return True
    control = sum(b < 32 and b not in (9, 10, 12, 13) for b in head)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 3:  # not just a multi-byte character cut at the end
            high = sum(b >= 128 for b in head)
            return (control + high) / len(head) > 0.10
    return control / len(head) > 0.05

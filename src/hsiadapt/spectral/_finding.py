"""One finding of :func:`hsiadapt.spectral.sanity.spectral_sanity`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: How strongly a finding points at the labels.
Severity = Literal["strong", "weak"]


@dataclass(frozen=True)
class SanityFinding:
    """One suspicious feature of a spectrum against its labels.

    ``kind`` is ``"displaced-absorption"``, ``"absent-absorption"``, ``"displaced-o2a"``,
    ``"bright-water-band"``, ``"jump"`` or ``"fill-band"``; ``severity`` says whether the
    evidence points at the labels (``"strong"``) or fits other causes too (``"weak"``, the
    message lists them). ``value``: for ``displaced-absorption`` and ``displaced-o2a`` the
    estimated label error in nm (labels minus true wavelengths; NaN when no single shift explains
    it), for ``absent-absorption`` the largest label error the diagnosis implies (nm; NaN when
    unknown), for ``bright-water-band`` the brightness relative to the clean reference, for
    ``jump`` the largest relative step, for ``fill-band`` the band count.
    """

    kind: str
    bands: tuple[int, ...]
    wavelengths_nm: tuple[float, ...]
    value: float
    message: str
    severity: Severity = "weak"

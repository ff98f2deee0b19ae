"""How a product's own band table differs from the built-in sensor's (per band, in nm).

A product carries its own centres and FWHM (EnMAP's METADATA.XML, EMIT's
``sensor_band_parameters``, PRISMA's ``List_Cw_*``, DESIS's METADATA.xml); they win over the
built-in tables, which are one scene's or the mission's nominal values. Centres drift by scene and
processor version (PRISMA by a few nm), and a binned DESIS product has wider bands: a model
trained on one table and applied to another is applied to other bands. :func:`diff_band_tables`
pairs the bands in wavelength order when both tables have as many bands (so a table shifted by
more than half a band spacing is seen as shifted), else each product band with the built-in band
of nearest centre (a product with fewer bands), and gives the differences;
``hsiadapt data check`` shows them when the largest exceeds :data:`TOLERANCE_NM`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hsiadapt.spectral.band import BandSet

__all__ = ["TOLERANCE_NM", "BandTableDiff", "diff_band_tables"]

#: centre or FWHM differences up to this many nm are not reported
TOLERANCE_NM = 3.0


@dataclass(frozen=True, eq=False)
class BandTableDiff:
    """Per product band: the nearest built-in band (``matched``, 0-based) and the differences
    product - built-in of the centre (``center_nm``) and FWHM (``fwhm_nm``)."""

    product: BandSet
    builtin: BandSet
    matched: np.ndarray
    center_nm: np.ndarray
    fwhm_nm: np.ndarray

    def largest(self, what: str = "center") -> tuple[float, int]:
        """``(largest absolute difference in nm, product band index)`` of centres or FWHM."""
        d = np.nan_to_num(np.abs(self.center_nm if what == "center" else self.fwhm_nm))
        j = int(d.argmax())
        return float(d[j]), j

    def differs(self, tolerance_nm: float = TOLERANCE_NM) -> bool:
        """True when a centre or FWHM differs by more than ``tolerance_nm`` (a product with fewer
        bands, e.g. PRISMA's overlap resolved, does not differ for that alone)."""
        return max(self.largest("center")[0], self.largest("fwhm")[0]) > tolerance_nm

    def lines(self, top: int = 5, tolerance_nm: float = TOLERANCE_NM) -> list[str]:
        """The report: counts, the largest differences and the ``top`` bands that differ most."""
        c, jc = self.largest("center")
        f, jf = self.largest("fwhm")
        p, b = self.product, self.builtin
        how = "in wavelength order" if len(p) == len(b) else "with the nearest built-in centre"
        out = [f"the product's table ({len(p)} bands) vs the built-in '{b.name}' ({len(b)} "
               f"bands), bands paired {how}: "
               f"centres differ by up to {c:.2f} nm (band {jc}: {p.centers[jc]:.2f} vs "
               f"{b.centers[self.matched[jc]]:.2f} nm), FWHM by up to {f:.2f} nm (band {jf}: "
               f"{p.fwhm[jf]:.2f} vs {b.fwhm[self.matched[jf]]:.2f} nm); "
               f"{int((np.nan_to_num(np.abs(self.center_nm)) > tolerance_nm).sum())} centres and "
               f"{int((np.nan_to_num(np.abs(self.fwhm_nm)) > tolerance_nm).sum())} FWHM differ "
               "by more than "
               f"{tolerance_nm:g} nm. The product's own table is used"]
        score = np.nan_to_num(np.maximum(np.abs(self.center_nm), np.abs(self.fwhm_nm)))
        worst = np.argsort(-score, kind="stable")[:top]
        out += [f"band {i}: centre {p.centers[i]:.2f} nm ({self.center_nm[i]:+.2f}), FWHM "
                f"{p.fwhm[i]:.2f} nm ({self.fwhm_nm[i]:+.2f}) vs built-in band "
                f"{self.matched[i]}" for i in worst]
        return out


def diff_band_tables(product: BandSet, builtin: BandSet) -> BandTableDiff:
    """Pair the bands of ``product`` with those of ``builtin`` (in wavelength order when the
    counts agree, else by nearest centre) and give the centre and FWHM differences (nm,
    product - built-in)."""
    if len(product) == len(builtin):
        matched = np.empty(len(product), dtype=np.int64)
        matched[np.argsort(product.centers, kind="stable")] = np.argsort(builtin.centers,
                                                                          kind="stable")
    else:
        matched = np.abs(product.centers[:, None] - builtin.centers[None, :]).argmin(axis=1)
    return BandTableDiff(product, builtin, matched, product.centers - builtin.centers[matched],
                         product.fwhm - builtin.fwhm[matched])

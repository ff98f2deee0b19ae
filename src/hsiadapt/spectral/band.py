"""Bands and band sets: the spectral description of a sensor.

Wavelengths are nanometres everywhere in this module. A :class:`BandSet` is an ordered,
validated tuple of :class:`Band` objects; the order is the order of the bands in the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from hsiadapt.spectral._band_checks import check_band_table
from hsiadapt.spectral.errors import SpectralError

__all__ = ["Band", "BandOrder", "BandSet", "SpectralError"]

#: How the band centres of a set are ordered: ``"increasing"`` (strictly), ``"detectors"``
#: (increasing per detector, detectors overlapping at their ends; or decreasing), ``"any"``.
BandOrder = Literal["increasing", "detectors", "any"]


@dataclass(frozen=True, eq=False)
class Band:
    """One spectral band.

    Args:
        name: band name (e.g. ``"RED"`` or ``"B042"``).
        center_nm: band centre wavelength in nm.
        fwhm_nm: full width at half maximum in nm, or ``None`` when unknown.
        response: optional tabulated relative spectral response as ``(wavelength_nm, value)``
            arrays, peak-normalised or not (normalisation is irrelevant to the maps built here).
        label: optional second name, e.g. the Sentinel-2 band code ``"B04"`` for ``"RED"``.
        valid: ``False`` for a bad band (e.g. EnMAP bands in the water-vapour windows flagged by
            the product's bad-band list); bad bands never receive weight in a spectral map.
    """

    name: str
    center_nm: float
    fwhm_nm: float | None = None
    response: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)
    label: str | None = None
    valid: bool = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Band):
            return NotImplemented
        same_response = (self.response is None) == (other.response is None)
        if same_response and self.response is not None and other.response is not None:
            same_response = all(
                np.array_equal(a, b) for a, b in zip(self.response, other.response, strict=True)
            )
        return (
            self.name == other.name
            and self.center_nm == other.center_nm
            and self.fwhm_nm == other.fwhm_nm
            and self.label == other.label
            and self.valid == other.valid
            and same_response
        )

    def __hash__(self) -> int:
        return hash((self.name, self.center_nm, self.fwhm_nm, self.label, self.valid))


class BandSet(Sequence[Band]):
    """An ordered, validated set of bands (the spectral metadata of one sensor or data file).

    Args:
        bands: the bands, in data order.
        name: a name for the set (the sensor name for built-in sensors).
        order: ``"increasing"`` requires strictly increasing centres; ``"detectors"`` accepts
            runs of increasing centres where each run starts inside the upper end of the previous
            one and reaches beyond it (multi-detector sensors: EnMAP stores VNIR then SWIR,
            overlapping near 950 nm; AVIRIS its four spectrometers), or decreasing throughout
            (bands stored from long to short wavelengths); ``"any"`` accepts any order.

    Raises:
        SpectralError: empty set, non-finite/non-positive/duplicate centres, centres that look like
            micrometres, a table mixing units (e.g. one value in nm among micrometres), one or two
            values isolated far beyond the rest of a hyperspectral table, non-positive FWHM,
            duplicate names, or centres out of the ``order`` asked for.
    """

    def __init__(
        self,
        bands: Sequence[Band],
        name: str = "custom",
        order: BandOrder = "any",
    ) -> None:
        self._bands: tuple[Band, ...] = tuple(bands)
        self.name = name
        self.order = order
        self._validate()

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_wavelengths(
        cls,
        centers: Sequence[float] | np.ndarray,
        fwhm: Sequence[float] | np.ndarray | float | None = None,
        names: Sequence[str] | None = None,
        *,
        unit: Literal["nm", "um"] = "nm",
        valid: Sequence[bool] | np.ndarray | None = None,
        name: str = "custom",
        order: BandOrder = "increasing",
    ) -> BandSet:
        """Build a band set from band centres (and optionally FWHM, names, good-band flags).

        Args:
            centers: band centres, in ``unit``.
            fwhm: FWHM per band (or one value for all), in ``unit``; ``None`` when unknown.
            names: band names; default ``B001``, ``B002``, ...
            unit: ``"nm"`` (default) or ``"um"``; converted to nm here.
            valid: per-band good-band flags (``False`` = bad band); default all good.
            name: name of the set.
            order: see :class:`BandSet`; ``"increasing"`` by default because a hand-made list
                out of order is usually a mistake. Pass ``order="detectors"`` for data stored in
                multi-detector product order, ``order="any"`` for data in any other order.
        """
        c = np.asarray(centers, dtype=np.float64).ravel()
        if c.size == 0:
            raise SpectralError("no band centres given: pass one wavelength per band (nm)")
        scale = {"nm": 1.0, "um": 1000.0}.get(unit)
        if scale is None:
            raise SpectralError(f"unknown wavelength unit {unit!r}: use 'nm' or 'um'")
        c = c * scale
        if fwhm is None:
            f: list[float | None] = [None] * c.size
        else:
            fa = np.asarray(fwhm, dtype=np.float64).ravel() * scale
            if fa.size == 1:
                fa = np.full(c.shape, fa[0])
            if fa.shape != c.shape:
                raise SpectralError(f"{fa.size} FWHM values for {c.size} band centres")
            f = [float(x) for x in fa]
        if names is None:
            width = max(3, len(str(c.size)))
            names = [f"B{i + 1:0{width}d}" for i in range(c.size)]
        if len(names) != c.size:
            raise SpectralError(f"{len(names)} band names for {c.size} band centres")
        v = np.ones(c.size, dtype=bool) if valid is None else np.asarray(valid, dtype=bool).ravel()
        if v.size != c.size:
            raise SpectralError(f"{v.size} good-band flags for {c.size} band centres")
        bands = [
            Band(str(n), float(ci), fi, valid=bool(vi))
            for n, ci, fi, vi in zip(names, c, f, v, strict=True)
        ]
        return cls(bands, name=name, order=order)

    # -- validation ---------------------------------------------------------------------------
    def _validate(self) -> None:
        check_band_table(self.name, self._bands, self.order)

    # -- sequence protocol --------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._bands)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return BandSet(self._bands[index], name=self.name, order="any")
        return self._bands[index]

    def __iter__(self) -> Iterator[Band]:
        return iter(self._bands)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BandSet):
            return NotImplemented
        return self._bands == other._bands

    def __hash__(self) -> int:
        return hash(self._bands)

    def __repr__(self) -> str:
        c = self.centers
        return (
            f"BandSet(name={self.name!r}, n={len(self)}, "
            f"range={c.min():.1f}-{c.max():.1f} nm, fwhm={'yes' if self.has_fwhm else 'no'})"
        )

    # -- views --------------------------------------------------------------------------------
    @property
    def bands(self) -> tuple[Band, ...]:
        """The bands as a tuple."""
        return self._bands

    @property
    def names(self) -> list[str]:
        """Band names in data order."""
        return [b.name for b in self._bands]

    @property
    def centers(self) -> np.ndarray:
        """Band centres in nm, shape ``(n,)``."""
        return np.array([b.center_nm for b in self._bands], dtype=np.float64)

    @property
    def fwhm(self) -> np.ndarray:
        """FWHM in nm, shape ``(n,)``; NaN where unknown."""
        return np.array(
            [np.nan if b.fwhm_nm is None else b.fwhm_nm for b in self._bands], dtype=np.float64
        )

    @property
    def has_fwhm(self) -> bool:
        """True when every band has a FWHM."""
        return all(b.fwhm_nm is not None for b in self._bands)

    @property
    def valid(self) -> np.ndarray:
        """Good-band flags, shape ``(n,)`` (``False`` = bad band)."""
        return np.array([b.valid for b in self._bands], dtype=bool)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description (name, band names, centres and FWHM in nm, good-band flags);
        :meth:`from_dict` reads it back. Response curves are not stored."""
        return {"name": self.name, "names": self.names, "centers": self.centers.tolist(),
                "fwhm": [None if f != f else float(f) for f in self.fwhm.tolist()],
                "valid": self.valid.tolist()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BandSet:
        """The band set :meth:`to_dict` wrote (data order kept as stored)."""
        fw = data.get("fwhm")
        fwhm = fw if fw is not None and all(f is not None for f in fw) else None
        return cls.from_wavelengths(data["centers"], fwhm, data.get("names"),
                                    valid=data.get("valid"), name=data.get("name", "custom"),
                                    order="any")

    def subset(self, indices: Sequence[int] | np.ndarray, name: str | None = None) -> BandSet:
        """The bands at ``indices`` (0-based), in that order."""
        idx = [int(i) for i in np.asarray(indices).ravel()]
        for i in idx:
            if not -len(self) <= i < len(self):
                raise SpectralError(
                    f"band index {i} out of range for band set {self.name!r} with {len(self)} bands"
                )
        return BandSet([self._bands[i] for i in idx], name=name or self.name, order="any")

    def effective_fwhm(self) -> np.ndarray:
        """FWHM in nm, with unknown values replaced by the local band spacing.

        The local spacing of a band is the mean distance to its nearest neighbours in wavelength
        (for a single band without FWHM, 10 nm). This is what the resampling code assumes when a
        sensor does not publish FWHM (e.g. HYPERVIEW).
        """
        f = self.fwhm
        if not np.isnan(f).any():
            return f
        c = self.centers
        order = np.argsort(c)
        cs = c[order]
        if cs.size == 1:
            spacing_sorted = np.array([10.0])
        else:
            d = np.diff(cs)
            left = np.concatenate([[d[0]], d])
            right = np.concatenate([d, [d[-1]]])
            spacing_sorted = (left + right) / 2
        spacing = np.empty_like(c)
        spacing[order] = spacing_sorted
        return np.where(np.isnan(f), spacing, f)

    def check_data(self, n_bands: int, what: str = "data") -> None:
        """Raise a :class:`SpectralError` unless ``n_bands`` equals the number of bands here."""
        if int(n_bands) != len(self):
            raise SpectralError(
                f"{what} has {n_bands} bands but band set {self.name!r} describes {len(self)}; "
                "pass the wavelength table that belongs to these data (one entry per band, in "
                "data order)"
            )

"""Mask codes -> class ordinals, with an explicit policy for every code that is not a class.

A segmentation mask stores product codes (BNETD's 1, 2, 3, 6...; a user's 0-based classes...).
:class:`LabelMap` turns them into ordinals ``0..K-1`` and says, for everything else, what happens:

* **background codes** (declared, never guessed): left out of training and scoring
  (``background="ignore"``, ordinal ``ignore_index``) or trained and scored as one more class
  ``K`` named ``Background`` (``background="class"``, as the published study did);
* **unknown codes** (neither a class nor background): ``unknown_labels="error"`` (default) stops
  with the codes and the fix; ``"ignore"`` leaves them out; ``"background"`` treats them as
  background (what the study's code did: every unlisted code went to its background class).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from hsiadapt.datasets.base import HSIDataError

__all__ = ["BACKGROUND_POLICIES", "UNKNOWN_LABEL_POLICIES", "LabelMap"]

BACKGROUND_POLICIES = ("ignore", "class")
UNKNOWN_LABEL_POLICIES = ("error", "ignore", "background")
Background = Literal["ignore", "class"]
UnknownLabels = Literal["error", "ignore", "background"]


@dataclass(frozen=True)
class LabelMap:
    """How raw mask codes become class ordinals (see the module docstring)."""

    class_codes: tuple[int, ...]
    background_codes: tuple[int, ...] = ()
    background: Background = "ignore"
    unknown_labels: UnknownLabels = "error"
    ignore_index: int = -1

    def __post_init__(self) -> None:
        if self.background not in BACKGROUND_POLICIES:
            raise ValueError(f"background must be one of {BACKGROUND_POLICIES} (dataset_args "
                             f"key 'background'), got {self.background!r}")
        if self.unknown_labels not in UNKNOWN_LABEL_POLICIES:
            raise ValueError(f"unknown_labels must be one of {UNKNOWN_LABEL_POLICIES} "
                             f"(dataset_args key 'unknown_labels'), got {self.unknown_labels!r}")
        for key, codes in (("class_codes", self.class_codes),
                           ("background_codes", self.background_codes)):
            dup = sorted({c for i, c in enumerate(codes) if c in codes[:i]})
            if dup:
                raise ValueError(f"{key} lists {dup} more than once ({list(codes)}); list each "
                                 f"code once (dataset_args key '{key}')")
        both = set(self.class_codes) & set(self.background_codes)
        if both:
            raise ValueError(f"codes {sorted(both)} are listed both as classes and as background")

    @classmethod
    def build(cls, class_codes: Sequence[int], background_codes: Sequence[int] = (), *,
              background: str = "ignore", unknown_labels: str = "error") -> LabelMap:
        return cls(tuple(int(c) for c in class_codes), tuple(int(c) for c in background_codes),
                   background, unknown_labels)  # type: ignore[arg-type]

    @property
    def num_classes(self) -> int:
        return len(self.class_codes) + (self.background == "class")

    def ordinal_codes(self) -> list[int]:
        """The product code of each ordinal (background, when a class, as its first code)."""
        codes = list(self.class_codes)
        if self.background == "class":
            codes.append(self.background_codes[0] if self.background_codes else -1)
        return codes

    def unknown_codes(self, raw: np.ndarray) -> dict[int, int]:
        """Pixel counts of the codes that are neither a class nor background (masked pixels of
        a masked array - a mask's nodata - are not counted)."""
        raw = np.asarray(np.ma.getdata(raw))[~np.ma.getmaskarray(raw)]
        known = np.isin(raw, np.array(self.class_codes + self.background_codes, dtype=np.int64))
        codes, counts = np.unique(raw[~known], return_counts=True)
        return {int(c): int(n) for c, n in zip(codes, counts, strict=True)}

    def remap(self, raw: np.ndarray, where: str = "mask") -> np.ndarray:
        """Raw codes -> ordinals ``(H, W)`` int64 (ignored pixels: ``ignore_index``; so are the
        masked pixels of a masked array, a mask's nodata).

        Raises:
            HSIDataError: unknown codes under ``unknown_labels="error"``.
        """
        nodata = np.ma.getmaskarray(raw)
        raw = np.asarray(np.ma.getdata(raw))
        out = np.full(raw.shape, self.ignore_index, dtype=np.int64)
        for k, code in enumerate(self.class_codes):
            out[(raw == code) & ~nodata] = k
        bg = np.isin(raw, np.array(self.background_codes, dtype=np.int64)) & ~nodata
        known = bg | (out != self.ignore_index) | nodata
        if not known.all():
            if self.unknown_labels == "error":
                codes = sorted(self.unknown_codes(np.ma.MaskedArray(raw, mask=nodata)))
                raise HSIDataError(
                    f"{where}: mask codes {codes[:10]} are neither classes "
                    f"{list(self.class_codes)} nor background {list(self.background_codes)}. "
                    "Say what they are: add them to the classes, or set the dataset argument "
                    "unknown_labels to 'ignore' (leave them out) or 'background' (count them as "
                    "background, as the published study did) - in a config: dataset_args: "
                    "{unknown_labels: ignore}; on the CLI: --arg unknown_labels=ignore")
            if self.unknown_labels == "background":
                bg |= ~known
        if self.background == "class":
            out[bg] = len(self.class_codes)
        return out

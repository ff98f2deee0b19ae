"""What the mask codes say about the declared labels: background that is really a class, 0-based
masks, and stray codes that are probably nodata.

Read from a histogram of raw mask codes (a mask's nodata-tagged pixels not counted):

* a **declared background code** that holds most of the pixels, or more than any class, is said
  plainly (a *warning*): copying the README's ``background_codes: [0]`` onto 0-based masks leaves
  the largest class out of training and scoring. It cannot be an error: Indian Pines' unlabelled
  0 also holds most pixels. So is **0-based** (codes exactly ``0..K-1``), because 0 is then a class
  unless it marks unlabelled pixels;
* **undeclared codes** (found by scanning the masks, not listed by the user) that occur in fewer
  than :data:`STRAY_SHARE` of the pixels, or that equal the mask dtype's maximum (255 in uint8:
  the usual nodata value), are *problems*: they would become classes ``class_<code>`` with almost
  no pixels (a NaN IoU when the test split has none). ``data check`` exits 1 on them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

__all__ = ["STRAY_SHARE", "LabelFinding", "audit_codes", "audit_folder", "code_counts"]

#: an undeclared code in fewer than this share of the labelled pixels is a likely stray
STRAY_SHARE = 0.001


@dataclass(frozen=True)
class LabelFinding:
    """``severity``: ``"problem"`` (``data check`` exits 1) or ``"warning"`` (said plainly)."""

    severity: Literal["problem", "warning"]
    message: str


def code_counts(masks: Iterable[np.ndarray]) -> dict[int, int]:
    """Pixel count of every raw code over ``masks`` (masked pixels - a mask's nodata - left out)."""
    out: dict[int, int] = {}
    for m in masks:
        vals, cnt = np.unique(np.ma.compressed(np.ma.asarray(m)), return_counts=True)
        for v, c in zip(vals.tolist(), cnt.tolist(), strict=True):
            out[int(v)] = out.get(int(v), 0) + int(c)
    return out


def _dtype_max(dtype: np.dtype | str | None) -> int | None:
    if dtype is None or not np.issubdtype(np.dtype(dtype), np.integer):
        return None
    return int(np.iinfo(np.dtype(dtype)).max)


def _share(n: int, total: int) -> str:
    return f"{n:,} of {total:,} pixels, {100 * n / total:.2g}%"


def audit_codes(counts: dict[int, int], *, background_codes: Sequence[int],
                scanned_codes: bool, dtype: np.dtype | str | None,
                declare: Callable[[list[int]], str]) -> list[LabelFinding]:
    """Findings about the mask codes (see the module docstring).

    Args:
        counts: pixels per raw code (:func:`code_counts`).
        background_codes: the declared background codes.
        scanned_codes: the classes are every code found (``class_codes`` not given), so the
            codes that are not background were never declared by the user.
        dtype: the masks' file dtype (its maximum is the usual nodata value), or ``None``.
        declare: the fix in the user's terms: how to declare these codes as background
            (e.g. ``--arg 'background_codes=[0, 255]'``), given the full list.
    """
    total = sum(counts.values())
    if total == 0:
        return []
    out: list[LabelFinding] = []
    bg = [int(c) for c in background_codes]
    codes = sorted(counts)
    zero_based = len(codes) >= 2 and codes == list(range(len(codes)))
    others = {c: n for c, n in counts.items() if c not in bg}
    largest = max(others.values()) if others else 0
    for b in bg:
        n = counts.get(b, 0)
        if n and (2 * n > total or n >= largest):
            based = (f"; the masks look 0-based (codes {codes[0]}..{codes[-1]}, no other code "
                     "for unlabelled pixels)" if zero_based and b == 0 else "")
            out.append(LabelFinding("warning", (
                f"declared background code {b} holds {_share(n, total)}, "
                f"{'most of the pixels' if 2 * n > total else 'more than any class'}{based}. "
                "Background is left out of training and scoring: if "
                f"{b} marks unlabelled pixels this is right; if it is a class, take it out of "
                f"the background codes ({declare([c for c in bg if c != b])})")))
    if not bg and zero_based and scanned_codes:
        out.append(LabelFinding("warning", (
            f"the masks look 0-based (codes {codes[0]}..{codes[-1]}): code 0 is taken as a class "
            f"({_share(counts[0], total)}); declare it background only if it marks unlabelled "
            f"pixels ({declare([0])})")))
    if not scanned_codes:
        return out
    top = _dtype_max(dtype)
    stray = {c: n for c, n in others.items() if n < STRAY_SHARE * total or c == top}
    if stray and len(stray) < len(others):
        why = "; ".join(
            f"{c}: {_share(n, total)}" + (f", the {np.dtype(dtype)} maximum (a usual nodata "
                                          "value)" if c == top else "")
            for c, n in sorted(stray.items()))
        out.append(LabelFinding("problem", (
            f"mask codes {sorted(stray)} look like nodata or strays, not classes ({why}); as "
            f"they are, they become classes {', '.join(f'class_{c}' for c in sorted(stray))} "
            "(with no test pixel their IoU is undefined). Declare them as background "
            f"({declare(sorted({*bg, *stray}))}), or tag the masks' nodata value (e.g. "
            "gdal_edit.py -a_nodata 255 MASK.tif), or list the real classes in class_codes")))
    return out


def audit_folder(ds: Any, *, declare: Callable[[list[int]], str],
                 counts: dict[int, int] | None = None) -> list[LabelFinding]:
    """:func:`audit_codes` for an :class:`~hsiadapt.datasets.folder.HSIFolder` split (its masks
    read unless ``counts`` are given)."""
    if counts is None:
        counts = code_counts(ds.raw_labels(i) for i in range(len(ds)))
    return audit_codes(counts, background_codes=ds.label_map.background_codes,
                       scanned_codes=ds.scanned_codes, dtype=ds.mask_dtype(), declare=declare)

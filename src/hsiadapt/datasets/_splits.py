"""Split lists that contradict themselves: a file listed twice in one split, or in two splits.

A file in both ``train`` and ``test`` scores the model on data it trained on; a file twice in
``train`` weighs it double. Neither is an error PyTorch would notice, so the datasets that read
split lists check them here when they open a split, and the error names the file(s), the split
lists and the lines (``data check`` reports it as a problem; ``run`` fails before training).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Literal, TypeVar, cast, get_args

from hsiadapt.datasets.base import HSIDataError
from hsiadapt.hints import check_choice

__all__ = ["SPLITS", "Split", "check_split", "check_split_lists", "check_train_subset",
           "has_split_lists", "listed_files", "other_split_lists", "seeded_split",
           "train_subset_of"]

#: a dataset's splits (whose lists must not share a file)
Split = Literal["train", "val", "test"]
SPLITS: tuple[str, ...] = get_args(Split)

_T = TypeVar("_T")


def check_split(split: object) -> Split:
    """``split``, one of :data:`SPLITS`.

    Raises:
        ValueError: naming the value, the splits and the closest one.
    """
    return cast(Split, check_choice("split", split, Split))


def check_train_subset(n: object) -> int | None:
    """A dataset's ``train_subset`` (a label budget: the first N training samples), checked:
    ``None`` or a positive whole number.

    Raises:
        ValueError: naming the argument, the value and what to write.
    """
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        raise ValueError(f"train_subset (a dataset argument) must be a positive whole number of "
                         f"training samples (a label budget), or null for all; got {n!r}")
    return n


def train_subset_of(ids: list[_T], split: str, n: int | None) -> list[_T]:
    """``ids`` of ``split`` under the label budget ``n`` (checked by
    :func:`check_train_subset`): the first ``n`` of the training split, the other splits whole."""
    return ids[:n] if split == "train" and n is not None else ids


#: a folder's split CSVs (an ``image`` column each)
SPLIT_CSV = {"train": "train_files.csv", "val": "validation_files.csv", "test": "test_files.csv"}


def has_split_lists(root: Path) -> bool:
    """Whether ``root`` holds split lists (``splits/`` or the split CSVs)."""
    return (root / "splits").is_dir() or any((root / n).is_file() for n in SPLIT_CSV.values())


def listed_files(root: Path, image_dir: Path, split: str,
                 data_name: Callable[[str], str]) -> tuple[Path, list[str]] | None:
    """A split's list file (``splits/<split>.txt``, else its CSV) and the data file names it
    lists (``data_name`` maps an entry to its data file); ``None``: no list."""
    import csv

    from hsiadapt.datasets.base import read_split_file

    if (root / "splits" / f"{split}.txt").is_file():
        path = root / "splits" / f"{split}.txt"
        names = [x if (image_dir / x).is_file() else Path(x).name
                 for x in read_split_file(path, "HSIFolder")]
    elif (root / SPLIT_CSV[split]).is_file():
        path = root / SPLIT_CSV[split]
        with path.open(newline="") as f:
            names = [Path(r["image"]).name for r in csv.DictReader(f)]
    else:
        return None
    return path, [data_name(n) for n in names]


def _show(names: Sequence[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:5])
    return shown + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def check_split_lists(what: str, split: str, entries: Sequence[str], source: Path | str,
                      others: Mapping[str, tuple[Path | str, Sequence[str]]]) -> None:
    """Refuse a split list with a repeated entry, or one sharing entries with another split.

    Args:
        what: the dataset, for the message (``"HSIFolder"``).
        split: the split being opened.
        entries: its entries, as compared (file names or relative paths).
        source: the file the entries were read from.
        others: the other splits' ``(source, entries)`` (those that have a list).

    Raises:
        HSIDataError: naming the repeated / shared entries, the lists and the fix.
    """
    first: dict[str, int] = {}
    repeated: list[str] = []
    for n, e in enumerate(entries, 1):
        if e in first and e not in repeated:
            repeated.append(e)
        first.setdefault(e, n)
    if repeated:
        raise HSIDataError(
            f"{what}: split {split!r} ({source}) lists {_show(repeated)} more than once (first "
            f"at entry {first[repeated[0]]}); a repeated file is trained or scored twice - list "
            "each file once")
    mine = set(entries)
    for other, (other_source, other_entries) in others.items():
        if other == split:
            continue
        shared = sorted(mine.intersection(other_entries))
        if shared:
            a, b = sorted((split, other), key=SPLITS.index)
            raise HSIDataError(
                f"{what}: {_show(shared)} {'is' if len(shared) == 1 else 'are'} listed in both "
                f"{split!r} ({source}) and {other!r} ({other_source}); a file in two splits is "
                f"scored on data it was trained or selected on - keep each file in one split "
                f"({len(shared)} shared between {a} and {b})")


def other_split_lists(split: str, read: Callable[[str], tuple[Path, Sequence[str]] | None]
                      ) -> dict[str, tuple[Path | str, Sequence[str]]]:
    """The other splits' lists, read with ``read(split)`` (``None``, or an error: that split
    has no readable list, and opening it reports why)."""
    out: dict[str, tuple[Path | str, Sequence[str]]] = {}
    for other in SPLITS:
        if other == split:
            continue
        try:
            got = read(other)
        except (OSError, ValueError, HSIDataError, LookupError):
            continue
        if got is not None:
            out[other] = got
    return out


def seeded_split(names: Sequence[str], split: str, fractions: Sequence[float],
                 seed: int) -> list[str]:
    """``split``'s share of ``names`` in a seeded random split by ``fractions`` (train, val,
    test; they must sum to 1), sorted."""
    import numpy as np

    if abs(sum(fractions) - 1) > 1e-6:
        raise ValueError(f"split_fractions must sum to 1, got {fractions}")
    perm = np.random.default_rng(seed).permutation(len(names))
    n_tr = round(fractions[0] * len(names))
    n_va = round(fractions[1] * len(names))
    part = {"train": perm[:n_tr], "val": perm[n_tr:n_tr + n_va], "test": perm[n_tr + n_va:]}
    return sorted(names[i] for i in part[split])

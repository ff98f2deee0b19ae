"""Spatially disjoint block splits of one labelled scene.

A random split of a scene's *pixels* puts a test pixel's neighbours - same field, same material,
nearly the same spectrum, and the same image patch a convolutional model sees - into the training
set, so test scores measure memorised neighbourhoods, not generalisation. Here the scene is cut
into a grid of square blocks and whole blocks go to train, val or test.

The split is deterministic for a seed: blocks are shuffled once; then every class, rarest first,
gets a block in train, then in test, then in val, while it has blocks left (a class in a single
block is in train only, and reported missing from the others); the remaining blocks go, one by
one, to the split furthest below its share of labelled pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["SPLITS", "BlockSplit", "assign_blocks", "split_blocks"]

SPLITS = ("train", "val", "test")


@dataclass
class BlockSplit:
    """Which split each block went to, and the labelled pixels per class in each split.

    Attributes:
        tile: block side in pixels.
        blocks: ``(row, col)`` of each block's top-left pixel -> split name (blocks without a
            labelled pixel are left out); ``(image, row, col)`` for the blocks of several images
            (:func:`assign_blocks`).
        counts: split -> pixels per class code (index 0 = code 1).
        missing: one line per class absent from a split.
    """

    tile: int
    blocks: dict[tuple[int, ...], str]
    counts: dict[str, np.ndarray]
    missing: list[str] = field(default_factory=list)

    def table(self, class_names: list[str] | tuple[str, ...]) -> str:
        """The per-split class counts as a text table."""
        w = max(12, *(len(n) for n in class_names)) + 2
        n_blocks = {s: sum(v == s for v in self.blocks.values()) for s in SPLITS}
        lines = [f"{'class':<{w}}" + "".join(f"{s:>9}" for s in SPLITS),
                 f"{'(blocks)':<{w}}" + "".join(f"{n_blocks[s]:>9}" for s in SPLITS)]
        for k, name in enumerate(class_names):
            lines.append(f"{name:<{w}}" + "".join(f"{int(self.counts[s][k]):>9}" for s in SPLITS))
        return "\n".join(lines)


def _block_counts(gt: np.ndarray, tile: int, n_classes: int) -> dict[tuple[int, ...], np.ndarray]:
    out: dict[tuple[int, ...], np.ndarray] = {}
    for r in range(0, gt.shape[0], tile):
        for c in range(0, gt.shape[1], tile):
            block = gt[r:r + tile, c:c + tile]
            counts = np.bincount(block.ravel(), minlength=n_classes + 1)[1:n_classes + 1]
            if counts.sum():
                out[(r, c)] = counts
    return out


def split_blocks(gt: np.ndarray, tile: int, n_classes: int, *,
                 fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                 seed: int = 0, class_names: Sequence[str] | None = None) -> BlockSplit:
    """Split the label image ``gt`` (0 = unlabelled, classes 1..``n_classes``) into blocks;
    ``class_names`` (codes 1..N) name the classes in :attr:`BlockSplit.missing`.

    Raises:
        ValueError: ``tile`` < 1, fractions that are not three non-negative numbers summing to
            1, or fewer than three labelled blocks (use a smaller tile).
    """
    if tile < 1:
        raise ValueError(f"block size must be at least 1 pixel, got {tile}")
    return assign_blocks(_block_counts(gt, tile, n_classes), tile, fractions=fractions,
                         seed=seed, class_names=class_names)


def assign_blocks(per_block: dict[tuple[int, ...], np.ndarray], tile: int, *,
                  fractions: tuple[float, float, float] = (0.6, 0.2, 0.2), seed: int = 0,
                  class_names: Sequence[str] | None = None) -> BlockSplit:
    """Split blocks given by their labelled pixels per class (key -> counts, index 0 = code 1;
    keys are any sortable tuples, e.g. ``(image, row, col)`` for the blocks of several images)
    as :func:`split_blocks` does (see the module docstring).

    Raises:
        ValueError: fractions that are not three non-negative numbers summing to 1, or fewer
            than three blocks.
    """
    n_classes = len(next(iter(per_block.values()))) if per_block else 0
    fr = np.asarray(fractions, dtype=float)
    if fr.shape != (3,) or (fr < 0).any() or abs(fr.sum() - 1) > 1e-6:
        raise ValueError(f"split fractions must be three numbers >= 0 summing to 1, got "
                         f"{list(fractions)}")
    if len(per_block) < 3:
        raise ValueError(f"only {len(per_block)} block(s) of {tile} px hold labelled pixels; "
                         "train, val and test need one each: use a smaller block size")
    rng = np.random.default_rng(seed)
    keys = sorted(per_block)
    order = [keys[i] for i in rng.permutation(len(keys))]
    assigned: dict[tuple[int, ...], str] = {}
    counts = {s: np.zeros(n_classes, dtype=np.int64) for s in SPLITS}

    def give(key: tuple[int, ...], split: str) -> None:
        assigned[key] = split
        counts[split] += per_block[key]

    totals = np.sum(list(per_block.values()), axis=0)
    rarest_first = np.argsort(totals, kind="stable")
    for split in ("train", "test", "val"):  # every class into train first, then test, val
        if fr[SPLITS.index(split)] == 0:
            continue
        for k in rarest_first:
            if counts[split][k]:
                continue
            free = [b for b in order if b not in assigned and per_block[b][k]]
            if free:
                give(free[0], split)
    labelled = float(totals.sum())
    for b in order:
        if b in assigned:
            continue
        have = np.array([counts[s].sum() for s in SPLITS], dtype=float)
        give(b, SPLITS[int(np.argmax(fr * labelled - have))])
    result = BlockSplit(tile=tile, blocks=assigned, counts=counts)
    for k in range(n_classes):
        if totals[k]:
            what = f"class {class_names[k]!r} (code {k + 1})" if class_names else \
                f"class code {k + 1}"
            result.missing += [f"{what}: no pixel in {s}" for s in SPLITS
                               if fr[SPLITS.index(s)] > 0 and not counts[s][k]]
    return result

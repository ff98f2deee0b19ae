"""``data check``'s statistics, streamed: per-band mean and variance over valid pixels merged
block by block (Chan et al.'s parallel update, :class:`~hsiadapt.data.stats.RunningStats`), the
values' percentiles from a fixed sample of each chip, and the finiteness test - each a few rows
of a chip at a time, never a float64 copy of a whole chip (three 2048 x 2048 x 30 chips took
5.75 GB when the check copied each chip's valid pixels twice in float64)."""

from __future__ import annotations

import numpy as np

from hsiadapt.data.stats import RunningStats

__all__ = ["ChipStatistics"]

#: values kept per chip for the percentiles
SAMPLE = 20_000
#: pixels per block (x bands x 8 bytes: 32 k pixels of 30 bands are 7.5 MB)
BLOCK_PX = 1 << 15


class ChipStatistics:
    """Per-band running statistics over the valid pixels of the chips added.

    Args:
        good_bands: flags ``(C,)`` of the bands whose values enter the percentiles.
        above: count the valid pixels whose largest good-band value exceeds this
            (:attr:`above_share`; ``None``: do not count).
    """

    def __init__(self, good_bands: np.ndarray, above: float | None = None) -> None:
        self.good = np.flatnonzero(good_bands) if np.any(good_bands) else \
            np.arange(len(good_bands))
        self.stats = RunningStats(len(good_bands))
        self.samples: list[np.ndarray] = []
        self.threshold, self.n_above = above, 0

    def add(self, img: np.ndarray, valid: np.ndarray) -> bool:
        """Add a chip ``(C, H, W)`` with its valid pixels ``(H, W)``; returns whether all its
        values are finite."""
        c = img.shape[0]
        flat = img.reshape(c, -1)
        finite = True
        rows = max(1, BLOCK_PX // max(1, img.shape[2]))
        for r0 in range(0, img.shape[1], rows):
            finite &= bool(np.isfinite(img[:, r0:r0 + rows]).all())
        pix = np.flatnonzero(valid)
        if pix.size == 0:
            return finite
        for p0 in range(0, pix.size, BLOCK_PX):
            block = flat[:, pix[p0:p0 + BLOCK_PX]]
            if self.threshold is not None:  # each pixel's largest good-band value, row by row
                top = block[self.good[0]].copy()
                for g in self.good[1:]:
                    np.maximum(top, block[g], out=top)
                self.n_above += int((top > self.threshold).sum())
            block = block.T.astype(np.float64)  # (the float32 block is freed here)
            self.stats.update(block)
            del block
        # every step-th value of the good bands' valid values, band by band (as the check
        # always sampled them)
        size = len(self.good) * pix.size
        at = np.arange(0, size, max(1, size // SAMPLE))
        self.samples.append(flat[self.good[at // pix.size], pix[at % pix.size]]
                            .astype(np.float64))
        return finite

    @property
    def count(self) -> int:
        """Valid pixels added."""
        return self.stats.n

    @property
    def above_share(self) -> float:
        """Share of the valid pixels whose largest good-band value exceeds ``above``."""
        return self.n_above / self.stats.n if self.stats.n else 0.0

    @property
    def mean(self) -> np.ndarray | None:
        """Per-band mean over the valid pixels (``None`` before any)."""
        return self.stats.mean if self.stats.n else None

    @property
    def std(self) -> np.ndarray | None:
        """Per-band standard deviation over the valid pixels (``None`` before any)."""
        return self.stats.std if self.stats.n else None

    def values(self) -> np.ndarray | None:
        """The sampled values (for percentiles), ``None`` before any."""
        return np.concatenate(self.samples) if self.samples else None

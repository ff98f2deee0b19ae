"""What the runs of one process share: band statistics and the samples of small splits.

A sweep (``hsiadapt run``, each ``--workers`` process, the demo) runs many cells on the same
data: three seeds, several backbones. Each run used to read its splits from disk again, and a
run without a fixed adapter (``linear``, ``full_spectrum``, ``native``, the tokenizer: every
band) also read its training split a second time for the band statistics. Here a run finds what
an earlier run of the same process read, keyed on what decides its values: the split's
:func:`~hsiadapt.data.stats.dataset_fingerprint` (class, root, split, sample list, bands,
settings, and the size and modification time of every source file - a changed file is read
again), the fixed adapter's weights and the normalisation statistics. The values are the same
tensors a fresh read would give, so results do not change.

Kept samples are bounded: when a new split is asked for, the least recently used ones are
dropped until what is kept fits in ``HSIADAPT_MEMORY_MB`` (the per-split budget of
:data:`~hsiadapt.data.pipeline.MEMORY_MB`); ``HSIADAPT_MEMORY_MB=0`` keeps nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

from hsiadapt.data.pipeline import MEMORY_MB, sample_bytes

__all__ = ["budget_bytes", "clear", "kept_key", "kept_samples", "remembered", "weights_digest"]

T = TypeVar("T")

_KEPT: OrderedDict[str, dict[int, dict[str, Any]]] = OrderedDict()
_VALUES: OrderedDict[str, Any] = OrderedDict()
_MAX_VALUES = 64  # statistics are a few hundred floats each


def budget_bytes() -> int:
    """The bytes of kept samples a process may hold (``HSIADAPT_MEMORY_MB``)."""
    return int(os.environ.get("HSIADAPT_MEMORY_MB", MEMORY_MB)) * 2**20


def weights_digest(*arrays: Any) -> str:
    """A short digest of arrays' bytes (an adapter's weights, statistics)."""
    import numpy as np

    h = hashlib.sha256()
    for a in arrays:
        x = np.ascontiguousarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a)
        h.update(str(x.dtype).encode() + str(x.shape).encode())
        h.update(x.tobytes())
    return h.hexdigest()[:16]


def _kept_bytes(kept: dict[int, dict[str, Any]]) -> int:
    return sum(sample_bytes(s) for s in kept.values())


def kept_samples(key: str | None) -> dict[int, dict[str, Any]]:
    """The samples kept for ``key`` (index -> sample), to be filled by the caller on first
    read; a fresh, unshared dict when ``key`` is None or the budget is 0."""
    budget = budget_bytes()
    if key is None or budget <= 0:
        return {}
    if key in _KEPT:
        _KEPT.move_to_end(key)
        return _KEPT[key]
    total = sum(_kept_bytes(k) for k in _KEPT.values())
    while _KEPT and total > budget:
        _, dropped = _KEPT.popitem(last=False)
        total -= _kept_bytes(dropped)
    _KEPT[key] = {}
    return _KEPT[key]


def kept_key(fingerprint: str, adapter: Any = None, adapter_label: str = "",
             statistics: tuple[Any, Any] | None = None) -> str:
    """What decides a split's kept samples: the data (its
    :func:`~hsiadapt.data.stats.dataset_fingerprint`), the fixed adapter applied in the loader
    (a module: its name and arguments in ``adapter_label``, its weights) and the normalisation
    statistics applied before keeping (mean, std)."""
    parts = [fingerprint]
    if adapter is not None:
        parts += [f"adapter-{adapter_label}", weights_digest(*adapter.state_dict().values())]
    if statistics is not None:
        parts.append("normalised-" + weights_digest(*statistics))
    return "|".join(parts)


def remembered(key: str | None, compute: Callable[[], T]) -> T:
    """``compute()``, once per ``key`` in this process (None: every time)."""
    if key is None or budget_bytes() <= 0:
        return compute()
    if key in _VALUES:
        _VALUES.move_to_end(key)
        return _VALUES[key]
    value = compute()
    _VALUES[key] = value
    while len(_VALUES) > _MAX_VALUES:
        _VALUES.popitem(last=False)
    return value


def clear() -> None:
    """Forget everything kept (tests; a process that changes its data under the same names
    within one modification-time tick)."""
    _KEPT.clear()
    _VALUES.clear()

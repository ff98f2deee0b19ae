"""The random generators' state in a run's checkpoints.

:class:`RngState` stores the Python, NumPy and torch (CPU and CUDA) random generators' states in
every checkpoint and restores them on resume, so a resumed run draws the same shuffles and
dropout masks as one that was never interrupted. The states are stored as tensors and plain
lists, so the checkpoint still loads with ``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["RngState"]


class RngState(Callback):
    """Saves and restores the random generators' states with the checkpoint."""

    def state_dict(self) -> dict[str, Any]:
        version, state, gauss = random.getstate()
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        out: dict[str, Any] = {
            "python": [version, list(state), gauss],
            "numpy": [kind, torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos),
                      int(has_gauss), float(cached)],
            "torch": torch.get_rng_state(),
        }
        if torch.cuda.is_available():
            out["cuda"] = torch.cuda.get_rng_state_all()
        return out

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not state:
            return
        version, st, gauss = state["python"]
        random.setstate((version, tuple(st), gauss))
        kind, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
        torch.set_rng_state(state["torch"])
        if "cuda" in state and torch.cuda.is_available():
            cuda = state["cuda"]
            if len(cuda) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(cuda)

"""Reading a finished run's files back for inference (``hsiadapt predict``), with clear errors.

A run folder that lost a file must never give a prediction that merely looks right: a run
trained on normalised inputs whose ``stats.json`` is gone would be applied to raw reflectance
(wrong classes, exit 0), and deleted or empty checkpoints surfaced as ``No such file`` or
``EOFError``. Here each is refused, naming the run folder, the missing piece and the fix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["run_statistics", "run_weights"]


def _rerun(rd: Path) -> str:
    return f"re-run it: remove {rd} and run its config again (hsiadapt run CONFIG)"


def run_statistics(rd: Path, normalization: str) -> dict[str, Any] | None:
    """The normalisation statistics a run trained with (``stats.json``), or ``None`` for a run
    with ``normalization: none``.

    Raises:
        ValueError: the run was normalised but ``stats.json`` is missing or unreadable.
    """
    path = rd / "stats.json"
    if normalization == "none":
        return None
    if not path.is_file():
        raise ValueError(
            f"{rd}: stats.json is missing, but the run was trained on normalised inputs "
            f"(normalization: {normalization}); predicting without it would give wrong classes. "
            f"Put the run's stats.json back from a copy, or {_rerun(rd)}")
    try:
        stats = json.loads(path.read_text())
        if not (isinstance(stats, dict) and len(stats["mean"]) == len(stats["std"]) > 0):
            raise ValueError("no per-band mean and std")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path}: unreadable normalisation statistics ({err}); put the run's "
                         f"stats.json back from a copy, or {_rerun(rd)}") from None
    return stats


def run_weights(rd: Path) -> dict[str, Any]:
    """The model's weights from the run's best checkpoint (``last.ckpt`` when there is no best
    one), as a state dict without the ``model.`` prefix; loaded with ``weights_only=True``.

    Raises:
        ValueError: no checkpoint, or one that does not load (empty, truncated, not weights).
    """
    import torch

    ckpt_dir = rd / "checkpoints"
    found = [ckpt_dir / n for n in ("best.ckpt", "last.ckpt") if (ckpt_dir / n).is_file()]
    if not found:
        raise ValueError(f"{rd}: no checkpoint (checkpoints/best.ckpt or last.ckpt) to predict "
                         f"with; the weights were deleted or never written. {_rerun(rd)}")
    ckpt = found[0]
    if ckpt.stat().st_size == 0:
        raise ValueError(f"{ckpt}: empty (0 bytes) - the weights were lost (a full disk or a "
                         f"copy that failed). Restore the file from a copy, or {_rerun(rd)}")
    try:
        state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
    except Exception as err:  # truncated zip, EOF, corrupt pickle, no state_dict, ...
        why = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        raise ValueError(f"{ckpt}: not a readable checkpoint ({why.rstrip(': ')}). Restore the "
                         f"file from a copy, or {_rerun(rd)}") from None
    return {k.removeprefix("model."): v for k, v in state.items() if k.startswith("model.")}

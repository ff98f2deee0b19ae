"""Checkpoints a killed process cannot break, and choosing one to resume from.

Lightning writes a checkpoint by truncating the destination and streaming into it, so a
process killed mid-write leaves a ``last.ckpt`` that no longer loads ("failed finding central
directory") - and the run failed on every re-run. :class:`AtomicCheckpointIO` writes the
checkpoint to a temporary file *in the checkpoint folder itself* (so the rename never crosses a
filesystem), flushes it to disk and renames it over the destination: a reader sees the old
checkpoint or the new one, never half of one.

On resume :func:`choose_resume` loads each candidate (``last.ckpt``, then ``best.ckpt``) with
``torch.load(weights_only=True)`` - never unpickling code - and takes the first that loads as a
full training checkpoint *of this run, unchanged*: every checkpoint carries a seal (the run's
fingerprint and a checksum of its contents, :mod:`.checkpoint_seal`), so another run's
checkpoint copied in, or one with flipped bits in its tensors, is refused like an unreadable one.
Refused ones are removed, and the note saying so goes to the log and the run record. With none
left the run starts over.

``last.ckpt`` is Lightning's full checkpoint: weights, optimiser and scheduler states, loop
progress, the callbacks' states - early stopping, best checkpoint, and the random generators
(:class:`~hsiadapt.experiment.callbacks.RngState`) - so a resumed run continues exactly where it
stopped. All of it is tensors and plain containers: it loads with ``weights_only=True`` without
any extra safe globals (a test loads a real run's checkpoint that way).
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path
from typing import Any

from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

from hsiadapt._atomic import atomic_path
from hsiadapt.experiment.checkpoint_seal import seal, seal_problem

__all__ = ["AtomicCheckpointIO", "choose_resume", "load_checkpoint", "run_seal",
           "verify_checkpoint"]

log = logging.getLogger(__name__)

#: checkpoints a run may resume from, most recent first
RESUME_CANDIDATES = ("last.ckpt", "best.ckpt")


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose writes are atomic (temporary file beside the target, fsync,
    rename). Write errors surface as ``OSError`` with their errno (a full disk: ``ENOSPC``).

    Args:
        identity: the run's identity (``run_id``, ``seed``, ``digest``); when given every
            checkpoint is sealed with it and a checksum (:mod:`.checkpoint_seal`).
    """

    def __init__(self, identity: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.identity = identity

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any,
                        storage_options: Any | None = None) -> None:
        import torch

        if storage_options is not None:
            raise TypeError("AtomicCheckpointIO takes no storage_options")
        if self.identity is not None:
            checkpoint = dict(checkpoint)
            seal(checkpoint, self.identity)
        buf = io.BytesIO()
        torch.save(checkpoint, buf)  # serialise first: a disk error is then a plain OSError
        with atomic_path(path) as tmp, open(tmp, "wb") as f:
            f.write(buf.getbuffer())
            f.flush()
            os.fsync(f.fileno())


def run_seal(spec: Any) -> dict[str, Any]:
    """The identity a run's checkpoints are sealed with: ``run_id``, ``seed`` and its digest
    (a :class:`~hsiadapt.experiment.config.RunSpec`'s)."""
    return {"run_id": spec.run_id, "seed": spec.seed, "digest": spec.digest()}


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint loaded safely (``weights_only=True``: tensors and plain containers only)."""
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)


def verify_checkpoint(path: str | Path, digest: str | None = None) -> str | None:
    """``None`` when ``path`` loads as a full training checkpoint (of the run with ``digest``,
    unchanged since written, when given); else why it does not."""
    try:
        ck = load_checkpoint(path)
    except Exception as err:  # truncated zip, corrupt pickle, unsafe global, ...
        why = f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
        return f"unreadable ({why.rstrip(': ')})"
    if not isinstance(ck, dict) or "state_dict" not in ck or "loops" not in ck:
        return "unreadable (not a full training checkpoint (weights only))"
    problem = seal_problem(ck, digest)
    return None if problem is None else f"refused: it {problem}"


def choose_resume(ckpt_dir: Path, candidates: tuple[str, ...] = RESUME_CANDIDATES,
                  digest: str | None = None) -> tuple[Path | None, str | None]:
    """The checkpoint to resume from and a note when it is not ``last.ckpt`` as expected.

    Args:
        digest: the resuming run's digest: a checkpoint sealed by another run, or not sealed,
            is refused (``None``: only a sealed checkpoint's checksum is checked).

    Returns:
        ``(path, note)``: ``path`` is ``None`` for a fresh start; ``note`` is ``None`` when
        nothing unusual happened (no checkpoint at all, or a readable ``last.ckpt``).
    """
    problems: list[str] = []
    for name in candidates:
        p = ckpt_dir / name
        if not p.exists():
            continue
        why = verify_checkpoint(p, digest)
        if why is None:
            if not problems:
                return p, None
            note = "; ".join(problems) + f"; resumed from {name} instead"
            log.warning("%s: %s", ckpt_dir.parent.name, note)
            return p, note
        problems.append(f"{name} {why}; removed")
        p.unlink(missing_ok=True)  # (another rank of a multi-process run may have removed it)
    if not problems:
        return None, None
    note = "; ".join(problems) + "; no usable checkpoint left, started over from scratch"
    log.warning("%s: %s", ckpt_dir.parent.name, note)
    return None, note

"""A checkpoint's seal: whose run it belongs to, and a checksum of everything it holds.

A ``last.ckpt`` that still loads can still be wrong: copied in from another run (another seed's
checkpoint in this run's folder: the run was recorded as seed 0 with seed 1's numbers), or with
flipped bits inside its tensors (the zip stays valid: NaN loss, then a "finished" run with a
wrong mIoU). Every checkpoint hsiadapt writes therefore carries, under :data:`SEAL_KEY`, the
run's identity (``run_id``, ``seed`` and the run digest, see
:meth:`~hsiadapt.experiment.config.RunSpec.digest`) and a CRC32 over all its contents - every
tensor's dtype, shape and bytes, and every other value - in order. Before resuming,
:func:`seal_problem` says why a checkpoint must not be resumed from: another run's, not sealed,
or changed since it was written.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

__all__ = ["SEAL_KEY", "content_checksum", "seal", "seal_problem"]

#: the key of the seal in a checkpoint dict
SEAL_KEY = "hsiadapt_seal"


def _feed(value: Any, crc: int) -> int:
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous().reshape(-1)
        crc = zlib.crc32(f"T{t.dtype}{tuple(value.shape)}".encode(), crc)
        return zlib.crc32(t.view(torch.uint8).numpy().data, crc) if t.numel() else crc
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        crc = zlib.crc32(f"A{a.dtype}{a.shape}".encode(), crc)
        return zlib.crc32(a.view(np.uint8).data, crc) if a.size else crc
    if isinstance(value, Mapping):
        crc = zlib.crc32(f"M{len(value)}".encode(), crc)
        for k, v in value.items():
            crc = _feed(v, zlib.crc32(repr(k).encode(), crc))
        return crc
    if isinstance(value, list | tuple):  # a tuple may come back as a list: same content
        crc = zlib.crc32(f"L{len(value)}".encode(), crc)
        for v in value:
            crc = _feed(v, crc)
        return crc
    if isinstance(value, set | frozenset):
        return zlib.crc32(repr(sorted(map(repr, value))).encode(), crc)
    return zlib.crc32(repr(value).encode(), crc)


def content_checksum(checkpoint: Mapping[str, Any]) -> str:
    """CRC32 (hex) over everything in ``checkpoint`` but its seal (see the module docstring)."""
    return f"{_feed({k: v for k, v in checkpoint.items() if k != SEAL_KEY}, 0):08x}"


def seal(checkpoint: dict[str, Any], identity: Mapping[str, Any]) -> None:
    """Add the seal (``identity`` and the content checksum) to ``checkpoint`` in place."""
    checkpoint[SEAL_KEY] = {**identity, "checksum": content_checksum(checkpoint)}


def seal_problem(checkpoint: Mapping[str, Any], digest: str | None) -> str | None:
    """Why ``checkpoint`` must not be resumed by the run with ``digest``, or ``None``.

    Args:
        checkpoint: the loaded checkpoint.
        digest: the resuming run's digest; ``None`` checks only the checksum (of a sealed
            checkpoint).
    """
    s = checkpoint.get(SEAL_KEY)
    if not isinstance(s, Mapping):
        return None if digest is None else (
            "carries no run fingerprint (not written by this run: copied in, or written by "
            "another tool or an older hsiadapt)")
    if digest is not None and s.get("digest") != digest:
        return (f"belongs to another run ({s.get('run_id')}, seed {s.get('seed')}, fingerprint "
                f"{s.get('digest')}; this run's is {digest}): copied in from another run folder")
    got = content_checksum(checkpoint)
    if got != s.get("checksum"):
        return (f"was changed since it was written (checksum {got}, written "
                f"{s.get('checksum')}): flipped bits on the disk or in a copy")
    return None

"""Atomic file writes: write to a temporary name in the target folder, then rename.

The temporary name is ``.<name>.<pid>.<random>.tmp``: the pid lets a later process remove the
leftovers of a writer that was killed (:func:`hsiadapt.experiment.storage.clean_leftovers`).
The file gets the mode any new file gets (0666 less the umask), not the temporary file's 0600.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "atomic_savefig", "atomic_savez", "atomic_write_text"]


_UMASK_LOCK = threading.Lock()


def _umask() -> int:
    """The process's umask (read by setting and restoring it, under a lock)."""
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is
    removed (so a reader never sees a half-written file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.{os.getpid()}.", suffix=suffix)
    try:  # mkstemp makes it 0600; the result is an ordinary file: honour the umask
        os.fchmod(fd, 0o666 & ~_umask())
    finally:
        os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (flushed to disk before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def atomic_savez(path: str | Path, *, compressed: bool = True, **arrays: Any) -> None:
    """``numpy.savez[_compressed](path, **arrays)``, atomically (written through a file object,
    so numpy adds no ``.npz`` to the temporary name)."""
    import numpy as np

    save = np.savez_compressed if compressed else np.savez
    with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as f:
        save(f, **arrays)
        f.flush()
        os.fsync(f.fileno())


def atomic_savefig(fig: Any, path: str | Path, **kwargs: Any) -> None:
    """``fig.savefig(path, **kwargs)`` for a matplotlib figure, atomically (the format is taken
    from ``path``'s suffix unless ``format=`` is given)."""
    p = Path(path)
    kwargs.setdefault("format", p.suffix.lstrip(".").lower() or None)
    with atomic_path(p, suffix=p.suffix or ".tmp") as tmp, open(tmp, "wb") as f:
        fig.savefig(f, **kwargs)
        f.flush()
        os.fsync(f.fileno())

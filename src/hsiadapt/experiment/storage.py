"""The output folder's health: writable, room for a run's checkpoints, no leftovers.

* :func:`check_writable` - at sweep start-up, a real write (permissions, read-only mounts).
* :func:`check_free_space` - at each run's start-up, once its model is built: a run keeps
  ``last.ckpt`` and the best checkpoint and writes one more beside them while saving, each the
  weights plus AdamW's two moments (:func:`checkpoint_bytes`).
* :func:`storage_error` - whether an error is the output storage failing (full disk, quota,
  read-only, no permission on the output): the run is recorded as failed and the sweep stops,
  since every later run would fail the same way.
* :func:`clean_leftovers` - temporary files and cache builds of processes killed mid-write;
  :func:`clean_tmpdir_checkpoints` - checkpoints that Lightning (through fsspec) was writing in
  ``$TMPDIR`` when its process was killed (runs written before checkpoints were written in
  their own folder).
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path

from hsiadapt.experiment.lock import LOCK_FILE, pid_alive

__all__ = ["StorageError", "check_free_space", "check_writable", "checkpoint_bytes",
           "clean_leftovers", "clean_tmpdir_checkpoints", "storage_error"]

log = logging.getLogger(__name__)

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}
_DENIED = {errno.EACCES, errno.EPERM}
_MARGIN = 64 * 2**20  # logs, samples, stats, records


class StorageError(OSError):
    """The output folder cannot take what a run writes (the message says what to do)."""


_ELSEWHERE = "or write elsewhere (--output on the command line, 'output:' in the config)"


def check_writable(folder: str | Path) -> None:
    """Raise :class:`StorageError` unless a file can be created in ``folder`` (created if
    missing)."""
    p = Path(folder)
    probe = p / f".hsiadapt-write-test.{os.getpid()}"
    try:
        p.mkdir(parents=True, exist_ok=True)
        with open(probe, "w") as f:
            f.write("ok")
        probe.unlink()
    except OSError as err:
        raise StorageError(err.errno, f"output folder {p} is not writable ({err.strerror}); "
                           f"fix its permissions {_ELSEWHERE}") from None


def checkpoint_bytes(n_params: int, bytes_per_value: int = 4) -> int:
    """Disk a run's checkpoints need: 3 full checkpoints (last, best, one being written), each
    weights + 2 optimiser moments, in bytes."""
    return 3 * 3 * bytes_per_value * int(n_params)


def check_free_space(folder: str | Path, n_params: int, have: int = 0) -> int:
    """Raise :class:`StorageError` when ``folder``'s disk has less room than a run of a model
    with ``n_params`` parameters needs, beyond the ``have`` bytes of checkpoints it already
    wrote (a resumed run); returns the bytes still needed."""
    need = max(checkpoint_bytes(n_params) - int(have), 0) + _MARGIN
    free = shutil.disk_usage(folder).free
    if free < need:
        raise StorageError(errno.ENOSPC, (
            f"not enough free space in {folder}: {free / 2**20:.0f} MiB free, a run of this "
            f"model ({n_params / 1e6:.1f} M parameters) needs about {need / 2**20:.0f} MiB for "
            f"its checkpoints; free space {_ELSEWHERE}"))
    return need


def storage_error(err: BaseException, output: str | Path) -> bool:
    """Whether ``err`` (or an error it was raised from) is the output storage failing."""
    out = os.path.realpath(output)
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, StorageError):
            return True
        if isinstance(seen, OSError) and seen.errno in _FULL:
            return True
        if isinstance(seen, OSError) and seen.errno in _DENIED and seen.filename:
            if os.path.realpath(str(seen.filename)).startswith(out):
                return True
        seen = seen.__cause__ or seen.__context__
    return False


# `.<name>.<pid>.<random>.tmp` (hsiadapt._atomic), `<key>.tmp<pid>` (cache builds),
# `run.lock.stale<pid>` (a lock being broken)
_LEFTOVER = [re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$"), re.compile(r"^[0-9a-f]+\.tmp(\d+)$"),
             re.compile(rf"^{re.escape(LOCK_FILE)}\.stale(\d+)$")]


def _newest_mtime(p: Path) -> float:
    t = p.lstat().st_mtime
    if p.is_dir():
        for q in p.rglob("*"):
            t = max(t, q.lstat().st_mtime)
    return t


def clean_leftovers(output: str | Path, min_age_s: float = 600.0) -> list[Path]:
    """Remove what killed writers left in ``output`` (temporary files, cache builds): only
    entries whose writer's pid is not running on this host and that nothing has touched for
    ``min_age_s`` seconds (the output may be shared with other hosts, whose pids mean nothing
    here). Returns what was removed."""
    root = Path(output)
    if not root.is_dir():
        return []
    removed: list[Path] = []
    now = time.time()
    me = os.getpid()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            pid = next((int(m.group(1)) for rx in _LEFTOVER if (m := rx.match(name))), None)
            if pid is None or pid == me or pid_alive(pid):
                continue
            p = Path(dirpath) / name
            try:
                if now - _newest_mtime(p) < min_age_s:
                    continue
                if p.is_dir():
                    shutil.rmtree(p)
                    dirnames.remove(name)
                else:
                    p.unlink()
            except OSError as err:
                log.warning("could not remove leftover %s (%s)", p, err)
                continue
            removed.append(p)
    if removed:
        log.info("removed %d leftovers of killed processes under %s (host %s)", len(removed),
                 root, socket.gethostname())
    return removed


def _open_files() -> set[str] | None:
    """Every file open in a process this user can see (``None`` without ``/proc``)."""
    proc = Path("/proc")
    if not (proc / "self" / "fd").is_dir():
        return None
    out: set[str] = set()
    for fd_dir in proc.glob("[0-9]*/fd"):
        try:
            out.update(os.readlink(fd) for fd in os.scandir(fd_dir))
        except OSError:
            continue
    return out


def _lightning_checkpoint(p: Path) -> bool:
    """Whether ``p`` starts like a Lightning checkpoint written by ``torch.save`` (a zip whose
    first entry, ``<archive>/data.pkl``, names ``pytorch-lightning_version``) - complete or
    truncated after that first entry."""
    try:
        with open(p, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return False
    n = int.from_bytes(head[26:28], "little")
    return (head[30:30 + n].endswith(b"/data.pkl")
            and b"pytorch-lightning_version" in head)


def clean_tmpdir_checkpoints(min_age_s: float = 600.0) -> list[Path]:
    """Remove this user's ``$TMPDIR/tmp*`` Lightning checkpoints that no running
    process has open and that are ``min_age_s`` seconds untouched: checkpoints whose writer was
    killed before it moved them into place. Nothing is removed where open files cannot be
    listed (no ``/proc``)."""
    tmp = Path(tempfile.gettempdir())
    now, uid = time.time(), os.getuid()
    candidates = []
    for p in tmp.glob("tmp*"):
        try:
            st = p.lstat()
        except OSError:
            continue
        if (p.is_file() and not p.is_symlink() and st.st_uid == uid
                and now - st.st_mtime >= min_age_s and _lightning_checkpoint(p)):
            candidates.append(p)
    if not candidates:
        return []
    open_now = _open_files()
    if open_now is None:
        return []
    removed = []
    for p in candidates:
        if str(p) in open_now or os.path.realpath(p) in open_now:
            continue
        try:
            p.unlink()
        except OSError:
            continue
        removed.append(p)
    if removed:
        log.info("removed %d checkpoint temporaries of killed processes from %s", len(removed),
                 tmp)
    return removed

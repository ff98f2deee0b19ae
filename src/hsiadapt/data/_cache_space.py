"""Room for an adapted-band cache entry, and what interrupted builds left.

The size of an entry is known before it is written (chips x bands x pixels): it is checked
against the free space of the cache's filesystem first, and each array file is allocated in full
before it is memory-mapped (``posix_fallocate``), so a disk that fills while the entry is written
gives ``ENOSPC`` - a clear error - rather than a ``SIGBUS`` inside a memory-mapped write.

A build works in ``<key>.tmp<pid>`` (with an ``owner`` file naming its host) and renames it when
complete. A build killed on this host leaves that folder behind; the next build removes it (it
takes room the new build needs) and says so in one line. One from another host is left alone
until nothing has touched it for :data:`_FOREIGN_AGE_S` seconds.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import socket
import time
from pathlib import Path

from hsiadapt._process import pid_alive

__all__ = ["CacheSpaceError", "allocate", "check_cache_space", "filled", "remove_partial_builds"]

log = logging.getLogger(__name__)

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_MARGIN = 1 << 20  # the manifest, array headers, filesystem blocks
_FOREIGN_AGE_S = 600.0
_PARTIAL = re.compile(r"^[0-9a-f]+\.tmp(\d+)$")
OWNER = "owner"


class CacheSpaceError(OSError):
    """The cache's disk has no room for an entry (the message says what to do)."""


def _advice(folder: Path) -> str:
    return (f"free space on the disk holding {folder}, write the output elsewhere (--output on "
            "the command line, 'output:' in the config; the cache is its _cache folder), or set "
            "`cache: false` on the task in the config (each chip is then projected as it is "
            "read, nothing is cached)")


def check_cache_space(folder: Path, need: int, what: str) -> None:
    """Raise :class:`CacheSpaceError` unless ``folder``'s filesystem has ``need`` bytes free
    (plus a small margin). ``what`` describes the entry (chips, bands, pixels)."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if free < need + _MARGIN:
        raise CacheSpaceError(errno.ENOSPC, (
            f"not enough free space for the adapted-band cache in {folder}: {what} needs "
            f"{(need + _MARGIN) / 2**20:.1f} MiB, {free / 2**20:.1f} MiB free; "
            f"{_advice(folder)}"))


def allocate(path: Path, folder: Path) -> None:
    """Reserve the whole of ``path`` (already at its final size) on disk, so that writing it
    through a memory map cannot hit a full disk; :class:`CacheSpaceError` when it does not fit
    (a filesystem that cannot reserve space is left as it is)."""
    if not hasattr(os, "posix_fallocate"):  # macOS: the free-space check is all there is
        return
    fd = os.open(path, os.O_RDWR)
    try:
        os.posix_fallocate(fd, 0, os.fstat(fd).st_size)
    except OSError as err:
        if err.errno in (errno.EOPNOTSUPP, errno.EINVAL):
            return
        raise filled(err, folder) from None
    finally:
        os.close(fd)


def filled(err: OSError, folder: Path) -> OSError:
    """``err`` as a :class:`CacheSpaceError` with what to do when it is a full disk (or quota,
    or file size limit); else ``err`` itself."""
    if isinstance(err, CacheSpaceError) or err.errno not in _FULL:
        return err
    return CacheSpaceError(err.errno, (
        f"the disk filled while the adapted-band cache was written in {folder} "
        f"({err.strerror}); {_advice(folder)}"))


def _abandoned(p: Path, pid: int, host: str) -> bool:
    """Whether the build folder ``p`` of process ``pid`` was left by a killed build."""
    try:
        owner = (p / OWNER).read_text().strip()
    except OSError:
        owner = ""
    if owner == host:
        return not pid_alive(pid)
    try:  # another host's (or an unmarked) build: only once nothing touched it for a while
        newest = max([p.stat().st_mtime, *(q.stat().st_mtime for q in p.iterdir())])
    except OSError:
        return False
    return time.time() - newest >= _FOREIGN_AGE_S and not pid_alive(pid)


def remove_partial_builds(folder: Path) -> list[Path]:
    """Remove the cache builds under ``folder`` that a killed process left (one log line each);
    returns what was removed."""
    if not folder.is_dir():
        return []
    host, me = socket.gethostname(), os.getpid()
    removed = []
    for p in sorted(folder.iterdir()):
        m = _PARTIAL.match(p.name)
        if m is None or int(m.group(1)) == me or not _abandoned(p, int(m.group(1)), host):
            continue
        shutil.rmtree(p, ignore_errors=True)
        log.warning("removed a partial adapted-band cache left by an interrupted build (%s); "
                    "rebuilding", p)
        removed.append(p)
    return removed

"""A run folder's claim: one process trains a run, however many sweeps share the output folder.

``run.lock`` in the run folder is created with ``O_CREAT | O_EXCL`` (atomic, also on NFS v3+)
and holds ``{"pid", "host", "time", "token"}``. Another process that finds it skips the run
("running elsewhere"). While it holds the lock, a background thread of the holder touches the
file (every ``stale_after / 4`` seconds, at most 30), so a lock is *stale* - and is taken over -
when its pid is dead on this host (or now belongs to a process started after the lock was
taken: a reused pid), or when it has not been touched for ``stale_after`` seconds (a holder on
another host that died).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from hsiadapt._process import pid_alive

__all__ = ["LOCK_FILE", "STALE_AFTER_S", "RunLock", "pid_alive"]

log = logging.getLogger(__name__)

LOCK_FILE = "run.lock"
#: default age (seconds since the holder last touched it) after which a lock is stale
STALE_AFTER_S = 3600.0
_GRACE_S = 30.0  # a lock that is still empty (being written) is live for this long
_HELD: set[str] = set()  # locks this process holds


def _started_after(pid: int, when: float) -> bool:
    """Whether process ``pid`` started after time ``when`` (Linux ``/proc``; else ``False``)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat[stat.rindex(")") + 2:].split()[19])  # field 22: start time
        btime = next(int(ln.split()[1]) for ln in Path("/proc/stat").read_text().splitlines()
                     if ln.startswith("btime "))
        return btime + ticks / os.sysconf("SC_CLK_TCK") > when + 1.0
    except (OSError, ValueError, IndexError, StopIteration):
        return False


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


class RunLock:
    """The claim on one run folder (``with RunLock(run_dir) as lock: if lock.acquired: ...``).

    Args:
        run_dir: the run folder (created if missing).
        stale_after: seconds without a heartbeat after which another host's lock is stale.
    """

    def __init__(self, run_dir: str | Path, stale_after: float = STALE_AFTER_S) -> None:
        self.path = Path(run_dir) / LOCK_FILE
        self.stale_after = float(stale_after)
        self.acquired = False
        self.holder: dict[str, Any] | None = None  # who holds it when not acquired
        self.token = uuid.uuid4().hex
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- acquire / release ---------------------------------------------------------------------
    def acquire(self) -> bool:
        """Claim the run; ``False`` (and :attr:`holder` set) when a live process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(3):
            if self._create():
                self.acquired = True
                _HELD.add(str(self.path))
                self._stop.clear()
                self._thread = threading.Thread(target=self._heartbeat, daemon=True,
                                                name=f"lock-heartbeat-{self.path.parent.name}")
                self._thread.start()
                return True
            info = _read(self.path)
            why = self._stale(info)
            if why is None:
                self.holder = info or {}
                return False
            log.warning("%s: taking over a stale lock (%s)", self.path.parent.name, why)
            self._break(info)
        self.holder = _read(self.path) or {}
        return False

    def release(self) -> None:
        if not self.acquired:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        info = _read(self.path)
        if info is not None and info.get("token") == self.token:
            self.path.unlink(missing_ok=True)
        _HELD.discard(str(self.path))
        self.acquired = False

    def _heartbeat(self) -> None:
        """Touch the lock now and then, to show its holder is alive (background thread)."""
        every = min(30.0, self.stale_after / 4)
        while not self._stop.wait(every):
            try:
                os.utime(self.path)
            except OSError:
                pass

    def describe(self) -> str:
        """Who holds the lock, in words."""
        h = self.holder or {}
        since = time.strftime("%H:%M:%S", time.localtime(h["time"])) if "time" in h else "?"
        return f"pid {h.get('pid', '?')} on {h.get('host', '?')} since {since}"

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    # -- internals -----------------------------------------------------------------------------
    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        info = {"pid": os.getpid(), "host": socket.gethostname(), "time": time.time(),
                "token": self.token}
        try:
            with os.fdopen(fd, "w") as f:
                f.write(json.dumps(info))
                f.flush()
                os.fsync(f.fileno())
        except BaseException:  # e.g. a full disk: leave no empty lock behind
            self.path.unlink(missing_ok=True)
            raise
        return True

    def _stale(self, info: dict[str, Any] | None) -> str | None:
        """Why the current lock is stale, or ``None`` when it is live."""
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return "released meanwhile"
        if info is None:
            return f"unreadable and {age:.0f} s old" if age > _GRACE_S else None
        if info.get("host") == socket.gethostname():
            pid = int(info.get("pid", -1))
            if not pid_alive(pid):
                return f"pid {pid} is no longer running"
            if _started_after(pid, float(info.get("time", 0.0))):
                return f"pid {pid} now belongs to a process started after the lock was taken"
            if pid == os.getpid() and str(self.path) not in _HELD:
                return "left behind by this process"
            return None
        if age > self.stale_after:
            return (f"held by {info.get('host')} but not touched for {age:.0f} s "
                    f"(> {self.stale_after:.0f} s)")
        return None

    def _break(self, seen: dict[str, Any] | None) -> None:
        """Remove the stale lock - unless another process took it over meanwhile."""
        grave = self.path.with_name(f"{LOCK_FILE}.stale{os.getpid()}")
        try:
            os.rename(self.path, grave)
        except FileNotFoundError:
            return
        now = _read(grave)
        if (now or {}).get("token") != (seen or {}).get("token"):  # not the one judged stale
            try:
                os.link(grave, self.path)
            except OSError:
                pass
        grave.unlink(missing_ok=True)

"""Stopping a sweep cleanly on SIGTERM (cluster pre-emption, ``kill``) and SIGINT (Ctrl-C).

Inside a run, Lightning stops the training loop at the next batch on SIGTERM (its
``SIGTERMException`` is a ``SystemExit`` - code 0 - which would end the sweep silently), and
turns Ctrl-C into ``sys.exit(1)``. Here both become :class:`Interrupted`: the run in progress is
left unrecorded with its last checkpoint (it resumes on re-run), the sweep says what was
interrupted, and the command exits ``128 + signal`` (143 for SIGTERM, 130 for SIGINT).

While Lightning runs (:func:`deferred`) a SIGTERM is only noted and Lightning stops at a safe
point; elsewhere the handler raises at once (every file hsiadapt writes is written atomically).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["Interrupted", "as_interrupted", "check", "deferred", "received", "stop_signals"]

_state: dict[str, int | None] = {"received": None, "defer": 0}


class Interrupted(KeyboardInterrupt):
    """The process was asked to stop by ``signum``; the run in progress stays resumable."""

    def __init__(self, signum: int, run_id: str | None = None, detail: str = "") -> None:
        super().__init__(signum)
        self.signum = int(signum)
        self.run_id = run_id
        self.detail = detail

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        where = f" during {self.run_id}" if self.run_id else ""
        return f"interrupted by {self.name}{where}" + (f": {self.detail}" if self.detail else "")


def received() -> int | None:
    """The stop signal received since :func:`stop_signals` was entered, if any."""
    return _state["received"]


def check() -> None:
    """Raise :class:`Interrupted` if a stop signal was received."""
    if _state["received"] is not None:
        raise Interrupted(_state["received"])


def as_interrupted(err: BaseException, run_id: str | None = None,
                   detail: str = "") -> Interrupted:
    """The :class:`Interrupted` for a ``KeyboardInterrupt`` / ``SystemExit`` out of Lightning."""
    if isinstance(err, Interrupted):
        signum = err.signum
    elif _state["received"] is not None:
        signum = int(_state["received"])  # type: ignore[arg-type]
    elif isinstance(err, KeyboardInterrupt) or isinstance(err.__context__, KeyboardInterrupt):
        signum = signal.SIGINT
    else:  # Lightning's SIGTERMException, or a SystemExit from elsewhere
        signum = signal.SIGTERM
    return Interrupted(signum, run_id, detail)


def _handler(signum: int, frame: FrameType | None) -> None:
    _state["received"] = signum
    if signum == signal.SIGINT:
        raise KeyboardInterrupt  # Lightning shuts down gracefully on it
    if not _state["defer"]:
        raise Interrupted(signum)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """While Lightning runs: a SIGTERM is noted, and Lightning stops at the next batch."""
    _state["defer"] = int(_state["defer"] or 0) + 1
    try:
        yield
    finally:
        _state["defer"] = int(_state["defer"] or 1) - 1


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Handle SIGTERM and SIGINT as described in the module docstring (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGTERM, signal.SIGINT)
    old = {s: signal.getsignal(s) for s in sigs}
    _state["received"] = None
    for s in sigs:
        signal.signal(s, _handler)
    try:
        yield
    finally:
        for s in sigs:  # Lightning leaves SIGINT ignored after a Ctrl-C; put back what was there
            signal.signal(s, old[s] if old[s] is not None else signal.SIG_DFL)
        _state["received"] = None

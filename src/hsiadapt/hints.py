"""The one place that writes "did you mean ...?" hints for unknown names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean", "unknown_name"]


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_name(kind: str, name: object, choices: Iterable[str], where: str = "") -> str:
    """A full message: ``"<where>: unknown <kind> 'x'; did you mean 'y'? Known: a, b, c"``."""
    known = sorted(choices)
    prefix = f"{where}: " if where else ""
    return f"{prefix}unknown {kind} {name!r}{did_you_mean(name, known)} Known: {', '.join(known)}"

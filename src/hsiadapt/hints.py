"""The one place that writes "did you mean ...?" hints for unknown names."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

__all__ = ["did_you_mean", "unknown_name", "user_terms"]


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def unknown_name(kind: str, name: object, choices: Iterable[str], where: str = "") -> str:
    """A full message: ``"<where>: unknown <kind> 'x'; did you mean 'y'? Known: a, b, c"``."""
    known = sorted(choices)
    prefix = f"{where}: " if where else ""
    return f"{prefix}unknown {kind} {name!r}{did_you_mean(name, known)} Known: {', '.join(known)}"


#: Python spellings some deep errors use, and what a command-line / YAML user types instead.
_USER_TERMS = (
    (re.compile(r"\bpretrained=False\b"), "pretrained: false (in the config's backbone)"),
    (re.compile(r"\bckpt_path=(/\S*[^\s,;.)])"),
     r"ckpt_path: \1 (in the config's backbone)"),
    (re.compile(r"\bckpt_path=(?=\s|$)"), "ckpt_path: FILE (in the config's backbone)"),
)


def user_terms(message: str) -> str:
    """``message`` with Python keyword spellings (``pretrained=False``, ``ckpt_path=...``)
    rewritten as the YAML keys a command-line user sets; the CLI prints errors through this."""
    for pattern, repl in _USER_TERMS:
        message = pattern.sub(repl, message)
    return message

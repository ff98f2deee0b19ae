"""The one place that writes "did you mean ...?" hints for unknown names."""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Iterable
from typing import Any, TypeVar

__all__ = ["check_choice", "choices_of", "did_you_mean", "unknown_name", "user_terms"]

_T = TypeVar("_T")


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices``, or ``""`` when none is close."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def choices_of(allowed: Any) -> tuple[Any, ...]:
    """The values a ``Literal`` type allows (through ``Annotated`` and unions; ``None`` for an
    ``X | None``)."""
    origin, args = typing.get_origin(allowed), typing.get_args(allowed)
    if origin is typing.Literal:
        return args
    if origin is typing.Annotated:
        return choices_of(args[0])
    if origin in (typing.Union, types.UnionType):
        return tuple(v for a in args for v in (choices_of(a) if a is not type(None) else (None,)))
    raise TypeError(f"{allowed!r} is not a Literal type")


def check_choice(key: str, value: _T, allowed: Any, where: str = "") -> _T:
    """``value``, when it is one of the values of the ``Literal`` type ``allowed`` - the one
    check of an option typed with its choices, for callers that no config checker stands before.

    Raises:
        ValueError: ``"<key> <value> is not one of <values>; did you mean <v>? (<where>)"``.
    """
    values = choices_of(allowed)
    if value in values and type(value) in {type(v) for v in values}:
        return value
    shown = ", ".join("None" if v is None else repr(v) for v in values)
    close = did_you_mean(value, [str(v) for v in values if v is not None])
    raise ValueError(f"{key} {value!r} is not one of {shown}{close}"
                     + (f" ({where})" if where else ""))


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

"""Config values checked against the types of the dataclass fields they fill.

Each value is checked when the YAML is loaded, from the field's annotation (``int``, ``float``,
``bool``, ``str``, ``X | None``, ``Literal[...]``, ``list[X]``, ``tuple[X, ...]``,
``dict[str, X]``, ``Annotated[X, "note"]``), and the error names the YAML key:
``tasks[0].recipe_overrides.lr: expected a number, got the string 'abc'``. A ``Literal`` field's
error lists the allowed values and the closest one (``trainer.logger[0]: expected one of 'csv',
..., got the string 'cvs'; did you mean 'csv'?``), and an ``Annotated`` note says what they mean,
so a field typed with its choices needs no check of its own.

One conversion is made, and only one: a *float* field accepts a string that spells a number
(``lr: 1e-3`` - YAML 1.1, which PyYAML reads, takes ``1e-3`` without a dot for a string) and
converts it. Everything else of the wrong type is an error: ``max_epochs: '2'`` (write
``2``), ``pretrained: 'false'`` (write ``false``), ``cache: 'no'`` (write ``false``).
Component arguments (``dataset_args``, an adapter's ``args``) are checked against the
component's signature (:func:`check_arguments`).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hsiadapt.hints import did_you_mean

__all__ = ["NAME_RE", "ConfigError", "ValueTypeError", "check_arguments", "check_fields",
           "check_keys", "check_name", "check_value", "make_spec"]


class ValueTypeError(ValueError):
    """A value is not of its field's type (the message names the key)."""


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
#: a name used as a folder name: letters, digits, ``.``, ``_``, ``-``; no leading dot
NAME_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


def _got(value: Any) -> str:
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if value is None:
        return "null (nothing)"
    if isinstance(value, Mapping):
        return f"a mapping {dict(value)!r}"
    if isinstance(value, (list, tuple)):
        return f"a list {list(value)!r}"
    return f"{type(value).__name__} {value!r}"


def _describe(tp: Any) -> str:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer"
    if tp is float:
        return "a number"
    if tp is str:
        return "a string"
    if tp is type(None):
        return "null"
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin is typing.Annotated:
        notes = [m for m in tp.__metadata__ if isinstance(m, str)]
        return _describe(args[0]) + (f" ({'; '.join(notes)})" if notes else "")
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin in (list, Sequence, tuple):
        return "a list"
    if origin in (dict, Mapping):
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def _choices(tp: Any) -> list[str]:
    """The ``Literal`` values ``tp`` allows (through unions and ``Annotated``), as text."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return [str(a) for a in args]
    if origin is typing.Annotated:
        return _choices(args[0])
    if origin in (typing.Union, types.UnionType):
        return [c for a in args for c in _choices(a)]
    return []


def _hint(value: Any, tp: Any) -> str:
    """What to write instead, for the usual YAML slips."""
    choices = _choices(tp)
    if isinstance(value, str) and value.strip() in choices:  # 4 meant, '4' written
        return f" (write {value.strip()} without quotes)"
    close = did_you_mean(value, choices) if isinstance(value, str | int | float) else ""
    if close:
        return close
    if isinstance(value, str):
        low = value.strip().lower()
        if _accepts(tp, bool) and low in ("true", "false", "yes", "no", "on", "off"):
            fix = "true" if low in ("true", "yes", "on") else "false"
            return f" (write {fix} without quotes)"
        if _accepts(tp, int) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return f" (write {value.strip()} without quotes)"
    return ""


def _accepts(tp: Any, simple: type) -> bool:
    if tp is simple:
        return True
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return any(_accepts(a, simple) for a in typing.get_args(tp))
    return False


def check_value(where: str, value: Any, tp: Any) -> Any:
    """``value`` checked against the annotation ``tp`` (converted where documented above).

    Raises:
        ValueTypeError: naming ``where``, what was expected and what was given.
    """
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    fail = ValueTypeError(f"{where}: expected {_describe(tp)}, got {_got(value)}"
                          f"{_hint(value, tp)}")
    if tp is Any or tp is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        deeper: ValueTypeError | None = None
        for alt in (*[a for a in args if a is not float], *[a for a in args if a is float]):
            try:  # exact types first: "2" must not become 2.0 in ``int | str``
                return check_value(where, value, alt)
            except ValueTypeError as err:  # an item inside a list / mapping: say which
                if str(err)[len(where):len(where) + 1] in ("[", "."):
                    deeper = deeper or err
        raise deeper or fail
    if origin is typing.Literal:
        if value in args and type(value) in {type(a) for a in args}:
            return value
        raise fail
    if origin is typing.Annotated:
        try:
            return check_value(where, value, args[0])
        except ValueTypeError as err:  # the field's own value: say what the choices mean
            if str(err)[len(where):len(where) + 1] in ("[", "."):
                raise
            raise fail from None
    if tp is type(None):
        if value is None:
            return None
        raise fail
    if tp is bool:
        if isinstance(value, bool):
            return value
        raise fail
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise fail
    if tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value  # an int stays an int: the resolved config (and its digest) unchanged
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            return float(value)  # YAML 1.1 reads 1e-3 as a string: the documented conversion
        raise fail
    if tp is str:
        if isinstance(value, str):
            return value
        raise fail
    if origin in (list, Sequence) or tp is list:
        if not isinstance(value, (list, tuple)):
            raise fail
        item = args[0] if args else Any
        return [check_value(f"{where}[{i}]", v, item) for i, v in enumerate(value)]
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise fail
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(check_value(f"{where}[{i}]", v, args[0]) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ValueTypeError(f"{where}: expected a list of {len(args)} values, got "
                                 f"{_got(value)}")
        return tuple(check_value(f"{where}[{i}]", v, a)
                     for i, (v, a) in enumerate(zip(value, args, strict=True)))
    if origin in (dict, Mapping) or tp is dict:
        if not isinstance(value, Mapping):
            raise fail
        vt = args[1] if len(args) == 2 else Any
        return {k: check_value(f"{where}.{k}", v, vt) for k, v in value.items()}
    return value  # a type this checker does not know: the component checks it


def check_fields(where: str, data: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """``data`` (keys already known to be fields of the dataclass ``cls``) with every value
    checked against its field's type."""
    hints = typing.get_type_hints(cls, include_extras=True)
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: check_value(f"{where}.{k}", v, hints[k]) if k in names else v
            for k, v in data.items()}


def check_name(where: str, name: Any, what: str) -> str:
    """A name that becomes a folder name (task, adapter, experiment): letters, digits and
    ``._-``, not starting with a dot - so a run's folder stays inside the output folder."""
    if isinstance(name, bool | int | float) or name is None:
        raise ValueTypeError(
            f"{where}: YAML read the {what} name as {name!r} (a bare off/no/yes/on, a number or "
            "nothing); quote it, e.g. name: 'off'")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueTypeError(
            f"{where}: {what} name {name!r} cannot be used as a folder name; use letters, "
            "digits, '.', '_' and '-' only, not starting with a dot (e.g. "
            f"{_safe(name)!r})")
    return name


def _safe(name: Any) -> str:
    """A folder-safe spelling of ``name`` (for the error message's example)."""
    parts = [p for p in re.split(r"[^A-Za-z0-9_-]+", str(name)) if p]
    return "_".join(parts) or "name"


def check_arguments(where: str, args: Mapping[str, Any], fn: Callable[..., Any],
                    given: Sequence[str] = (), what: str = "argument") -> None:
    """Every key of ``args`` is a keyword parameter of ``fn`` (a class: its ``__init__``), not
    one of those hsiadapt passes itself (``given``); ``Literal`` choices and simple types of
    annotated parameters are checked too.

    Raises:
        ValueTypeError: an unknown argument (with the closest valid one) or a bad value.
    """
    sig = inspect.signature(fn)
    params = {n: p for n, p in sig.parameters.items()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n != "self"}
    if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
        return
    valid = [n for n in params if n not in given and n != "transforms"]
    name = getattr(fn, "__name__", str(fn))
    hints = _annotations(fn, params)
    for key, value in args.items():
        if key not in valid:
            raise ValueTypeError(f"{where}: {name} has no {what} {key!r}"
                                 f"{did_you_mean(key, valid)} Valid: {', '.join(valid) or 'none'}")
        tp = hints.get(key)
        if tp is not None and _simple(tp):
            check_value(f"{where}.{key}", value, tp)


def _annotations(fn: Callable[..., Any], params: Mapping[str, inspect.Parameter]) -> dict:
    """Each parameter's annotation, resolved where it can be (one that names a type imported
    only for type checking stays unchecked)."""
    target = fn.__init__ if isinstance(fn, type) else fn  # type: ignore[misc]
    scope = dict(getattr(target, "__globals__", {}))
    out = {}
    for n, p in params.items():
        ann = p.annotation
        if isinstance(ann, str):
            try:
                ann = eval(ann, scope, {})  # an annotation of the package's own code
            except Exception:
                continue
        if ann is not inspect.Parameter.empty:
            out[n] = ann
    return out


def _simple(tp: Any) -> bool:
    """Whether an annotation is made only of types :func:`check_value` checks exactly."""
    if tp in (bool, int, float, str, type(None)):
        return True
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal:
        return True
    if origin is typing.Annotated:
        return _simple(args[0])
    if origin in (typing.Union, types.UnionType):
        return all(_simple(a) for a in args)
    return False


class ConfigError(ValueError):
    """A configuration file or value is invalid (the message says where and how to fix it)."""


def check_keys(where: str, data: Mapping[str, Any], cls: type) -> None:
    valid = [f.name for f in dataclasses.fields(cls) if f.init]
    for k in data:
        if k not in valid:
            raise ConfigError(f"{where}: unknown key {k!r}{did_you_mean(k, valid)} Valid keys: "
                              f"{', '.join(valid)}")


def make_spec(where: str, cls: type, data: Any) -> Any:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__}")
    check_keys(where, data, cls)
    try:
        obj = cls(**check_fields(where, data, cls))
        if hasattr(obj, "validate"):
            obj.validate(where)
    except ValueTypeError as err:
        raise ConfigError(str(err)) from None
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None
    return obj


def check_restrictions(where: str, declared: Mapping[str, list[str]],
                       entries: list[tuple[str, Any, tuple[str, ...]]]) -> None:
    """Each entry's restriction lists (a backbone's ``adapters`` / ``tasks``, an adapter's
    ``tasks``) are non-empty lists of names the config declares (``declared``: key -> names).

    Raises:
        ConfigError: naming the entry, the key and the closest declared name.
    """
    for entry_where, entry, keys in entries:
        for key in keys:
            v = getattr(entry, key)
            if v is not None and (not isinstance(v, list) or not v
                                  or not all(isinstance(x, str) for x in v)):
                raise ConfigError(f"{where}: {entry_where}.{key} must be a non-empty list of "
                                  f"names from the config's {key}, got {v!r}")
            for a in v or []:
                if a not in declared[key]:
                    raise ConfigError(f"{where}: {entry_where}.{key}: no {key[:-1]} named {a!r}"
                                      f"{did_you_mean(a, declared[key])} Valid: "
                                      f"{', '.join(declared[key])}")

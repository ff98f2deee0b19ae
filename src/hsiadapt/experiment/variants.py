"""Named variants of one experiment grid: ``variants:`` in a config, chosen with ``variant:`` or
``--variant``.

A study whose code existed in more than one state (the TerraMind HSI study: its per-task configs
of the seed-42 runs, and its cleaned code of January 2026) is one grid with a default and named
alternatives. A variant is a patch of the config's own keys: top-level keys replace the
config's (e.g. ``output``), and ``tasks`` / ``adapters`` are mappings from an entry's ``name`` to
the keys it changes in that entry; mappings merge key by key (so ``recipe_overrides: {lr: ...}``
changes one override), anything else replaces. The variant's name is appended to the experiment
name (``table1.B``), so its runs have their own fingerprints.

Example::

    variant: published            # the default (optional; without it the grid is unpatched)
    variants:
      published: {}
      B:
        output: ../runs/table1_B
        tasks:
          hyperview1: {recipe_overrides: {regression_loss: mse}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hsiadapt.experiment._values import ConfigError
from hsiadapt.hints import did_you_mean

__all__ = ["apply_variant"]


def _merge(base: Any, patch: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(patch, Mapping):
        out = dict(base)
        for k, v in patch.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return patch


def _patch_entries(entries: Any, patch: Any, key: str, where: str) -> list[Any]:
    if not isinstance(patch, Mapping):
        raise ConfigError(f"{where}.{key}: a mapping from {key[:-1]} names to the keys they "
                          f"change, got {patch!r}")
    entries = list(entries or [])
    names = [e.get("name") if isinstance(e, Mapping) else None for e in entries]
    for name, change in patch.items():
        if name not in names:
            valid = [str(n) for n in names if n is not None]
            raise ConfigError(f"{where}.{key}: no {key[:-1]} named {name!r}"
                              f"{did_you_mean(str(name), valid)} Valid: {', '.join(valid)}")
        if not isinstance(change, Mapping):
            raise ConfigError(f"{where}.{key}.{name}: a mapping of keys to change, got "
                              f"{change!r}")
        i = names.index(name)
        entries[i] = _merge(entries[i], change)
    return entries


def apply_variant(raw: Mapping[str, Any], chosen: str | None, where: str) -> dict[str, Any]:
    """The config ``raw`` (parsed YAML) with variant ``chosen`` (or its ``variant:`` key)
    applied, without the ``variants`` / ``variant`` keys.

    Raises:
        ConfigError: an unknown variant (with the valid ones), or a patch naming an entry that
            does not exist.
    """
    out = dict(raw)
    variants = out.pop("variants", None) or {}
    default = out.pop("variant", None)
    name = chosen if chosen is not None else default
    if not isinstance(variants, Mapping):
        raise ConfigError(f"{where}: variants must be a mapping from names to patches")
    if name is None:
        return out
    name = str(name)
    if name not in variants:
        valid = [str(v) for v in variants]
        flag = "--variant" if chosen is not None else "variant"
        raise ConfigError(f"{where}: {flag} {name!r}: the config has no such variant"
                          f"{did_you_mean(name, valid)} Variants: {', '.join(valid) or 'none'}")
    patch = variants[name] or {}
    if not isinstance(patch, Mapping):
        raise ConfigError(f"{where}: variants.{name} must be a mapping of config keys")
    w = f"{where} variants.{name}"
    for key, change in patch.items():
        if key in ("tasks", "adapters"):
            out[key] = _patch_entries(out.get(key), change, key, w)
        elif key in ("name", "variants", "variant"):
            raise ConfigError(f"{w}: a variant cannot change {key!r}")
        else:
            out[key] = _merge(out[key], change) if key in out else change
    out["name"] = f"{out.get('name')}.{name}"
    return out

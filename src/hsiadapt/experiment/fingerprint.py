"""What determines a run's result, as a fingerprint: a finished run is reused only when it still
matches; otherwise its folder is moved aside (``<output>/_superseded/``) and the run is redone,
with a message naming what changed. Old numbers are never shown under new settings.

The fingerprint has four parts:

* ``config``: the resolved run config's digest (recipe, dataset arguments, adapter arguments,
  backbone, seed, trainer...);
* ``data``: every split's sample list, band table, loader settings and the size and modification
  time of every source file (:func:`hsiadapt.data.stats.dataset_fingerprint`);
* ``files``: the content of the other files the config names (raw statistics, SRF weight files,
  a backbone checkpoint: size and modification time);
* ``hsiadapt``: the package version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

from hsiadapt.data.plan import DataPlan
from hsiadapt.experiment.config import NOT_RESULT, RunSpec
from hsiadapt.experiment.plan import RunPlan
from hsiadapt.experiment.record import CONFIG_FILE, RunRecord

__all__ = ["SUPERSEDED", "clear_cache", "data_fingerprint", "hsiadapt_version", "run_fingerprint",
           "stale_reason", "supersede"]

SUPERSEDED = "_superseded"

# data fingerprints within one sweep (cleared when a sweep starts: files may change between)
_DATA_CACHE: dict[str, str] = {}


def clear_cache() -> None:
    """Forget the data fingerprints computed so far (each sweep starts afresh)."""
    _DATA_CACHE.clear()


def hsiadapt_version() -> str:
    """The installed hsiadapt's version (``unknown`` from a source tree)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hsiadapt")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def _file_stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing"
    return f"{path}:{st.st_size}:{st.st_mtime_ns}"


def data_fingerprint(d: DataPlan) -> str:
    """A run's data (its data plan), fingerprinted: every split's sample list, band table,
    loader settings and source files' sizes and modification times (cached within a sweep)."""
    from hsiadapt.data.stats import dataset_fingerprint
    from hsiadapt.datasets import DATASETS

    key = json.dumps([d.dataset, str(d.root), d.dataset_args], sort_keys=True, default=str)
    if key in _DATA_CACHE:
        return _DATA_CACHE[key]
    parts = []
    cls: Any = DATASETS.get(d.dataset)
    for split in ("train", "val", "test"):
        try:
            parts.append(dataset_fingerprint(cls(d.root, split, **d.dataset_args)))
        except Exception as err:  # a missing split or unreadable data: part of the state
            parts.append(f"{split}: {type(err).__name__}")
    out = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    _DATA_CACHE[key] = out
    return out


def _files_fingerprint(plan: RunPlan) -> str:
    files: list[Path] = []
    if plan.data.raw_statistics is not None:
        files += [plan.data.raw_statistics / "mu.npy", plan.data.raw_statistics / "sigma.npy"]
    for args in (plan.data.adapter_args, plan.model.adapter_args or {}):
        if isinstance(args.get("matrix"), str):
            files.append(Path(args["matrix"]))
    if plan.model.ckpt_path:
        files.append(Path(plan.model.ckpt_path))
    return hashlib.sha256("\n".join(_file_stamp(p) for p in files).encode()).hexdigest()[:16]


def run_fingerprint(plan: RunPlan) -> dict[str, str]:
    """The fingerprint of everything that determines a planned run's result (module
    docstring)."""
    return {"config": plan.spec.digest(), "data": data_fingerprint(plan.data),
            "files": _files_fingerprint(plan), "hsiadapt": hsiadapt_version()}


def _flatten(d: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(d, dict):
        out: dict[str, Any] = {}
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: d}


def _config_changes(run_dir: Path, spec: RunSpec) -> list[str]:
    try:
        old = yaml.safe_load((run_dir / CONFIG_FILE).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return []
    # compared as the digest sees them (JSON): a list read back from YAML equals the tuple it
    # was written from, so [0.4, 1.0] vs (0.4, 1.0) is no change and is not shown as one
    a, b = (_flatten(json.loads(json.dumps(d, default=str))) for d in (old, spec.to_dict()))
    skip = {"digest", "data_root", "run_id", *(f"{p}.{k}" for p, k in NOT_RESULT)}
    keys = sorted(k for k in set(a) | set(b) if k not in skip and a.get(k) != b.get(k))
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in keys[:8]]


def stale_reason(plan: RunPlan, record: RunRecord, run_dir: Path) -> str | None:
    """Why a finished run's result no longer belongs to its planned run (``None``: it still
    does)."""
    spec = plan.spec
    old = record.fingerprint or {}
    if not old:  # written before runs kept a fingerprint: the config digest is all there is
        if record.digest and record.digest != spec.digest():
            changes = _config_changes(run_dir, spec)
            return "the configuration changed" + (f" ({'; '.join(changes)})" if changes else "")
        return None
    new = run_fingerprint(plan)
    what = []
    if old.get("config") != new["config"]:
        changes = _config_changes(run_dir, spec)
        what.append("the configuration" + (f" ({'; '.join(changes)})" if changes else ""))
    if old.get("data") != new["data"]:
        what.append("the data (a split list, a band table, a loader setting or a source file)")
    if old.get("files") != new["files"]:
        what.append("a file the config names (statistics, a weight matrix or a checkpoint)")
    if old.get("hsiadapt") != new["hsiadapt"]:
        what.append(f"the hsiadapt version ({old.get('hsiadapt')} -> {new['hsiadapt']})")
    return ", ".join(what) + " changed" if what else None


def supersede(run_dir: Path) -> Path:
    """Move a run folder aside to ``<output>/_superseded/<run_id>-<time>/`` (kept, not shown)."""
    dest = run_dir.parent / SUPERSEDED / f"{run_dir.name}-{time.strftime('%Y%m%dT%H%M%S')}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(run_dir), str(dest))
    return dest

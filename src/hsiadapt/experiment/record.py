"""The run folder's schema: one typed, versioned record of what a run holds.

A run folder ``<output>/<run_id>/`` is one row of the results database. This module is the only
code that writes or reads its ``metrics.json``; table, figures, predict and the demo read runs
through :func:`read_record` / :func:`collect_records`.

Schema versions: ``1`` (this one). Folders written before the schema had a version (the same
keys, no ``schema``) read as version 1; a folder from a newer hsiadapt, or one whose record is
not a mapping, is refused with a message saying so.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from hsiadapt._atomic import atomic_write_text
from hsiadapt.experiment._values import ValueTypeError, check_fields
from hsiadapt.experiment.environment import hardware, package_versions
from hsiadapt.spectral import BandSet

if TYPE_CHECKING:
    from hsiadapt.experiment.config import RunSpec

__all__ = ["RECORD_FILE", "SCHEMA_VERSION", "RecordError", "RunRecord", "RunStatus",
           "collect_records", "folder_problem", "read_record", "run_status", "write_record"]

SCHEMA_VERSION = 1
RECORD_FILE = "metrics.json"
CONFIG_FILE = "resolved_config.yaml"

RunStatus = Literal["finished", "failed", "partial", "pending"]


class RecordError(ValueError):
    """A run folder's record cannot be read with this version of hsiadapt."""


class NewerRecordError(RecordError):
    """The record was written by a newer hsiadapt (upgrade to read it)."""


@dataclass
class RunRecord:
    """What a run folder records (``metrics.json``).

    Identity: ``run_id``, ``task``, ``dataset``, ``adapter``, ``input_mode``, ``backbone`` (the
    config entry's label), ``model`` (its registry name), ``seed``, ``task_type``. Outcome:
    ``status``, ``test`` (metric name -> value),
    ``primary_metric`` and ``direction`` (``max``/``min``), ``monitor``/``monitor_mode`` and
    ``best_val``, ``epochs``, ``seconds``, ``resumed_from_checkpoint`` (and ``resume_note``
    when the checkpoint it meant to resume from did not load), ``error`` and
    ``traceback`` for a failed run. Provenance: ``digest`` (the resolved config's), the source
    band table, the adapter's arguments and target sensor, ``weights`` (``hf`` / ``ckpt:...`` /
    ``random``), ``prior`` (the named prior those weights are, e.g. ``s2``, as the config's
    backbone entry declares it), ``precision`` and ``float32_matmul_precision``, ``hardware``, ``versions``.
    A classical baseline's record (``baseline`` set) has the same form: ``backbone`` / ``model``
    name the baseline (``lda``), ``adapter`` its bands (``full`` or an adapter's name).
    """

    run_id: str
    status: Literal["finished", "failed"]
    task: str = ""
    dataset: str = ""
    adapter: str = ""
    input_mode: str = ""
    backbone: str = ""
    #: the backbone's registry name (``backbone`` is the config entry's label)
    model: str = ""
    seed: int = 0
    task_type: str = ""
    test: dict[str, float] = field(default_factory=dict)
    primary_metric: str | None = None
    direction: Literal["max", "min"] | None = None
    monitor: str | None = None
    monitor_mode: str | None = None
    best_val: float | None = None
    epochs: int = 0
    seconds: float = 0.0
    resumed_from_checkpoint: bool = False
    #: what happened to the checkpoints on resume, when not the expected (e.g. an unreadable
    #: ``last.ckpt``: resumed from the best one, or started over)
    resume_note: str | None = None
    adapter_args: dict[str, Any] = field(default_factory=dict)
    chip_px: int | None = None
    #: how the test split was scored: ``resized_chips`` / ``native_pixels``
    #: (:mod:`hsiadapt.experiment.scoring`); ``None`` in records written before (resized chips)
    test_scoring: str | None = None
    #: segmentation: the class names and the product code of each class ordinal
    classes: list[str] = field(default_factory=list)
    class_codes: list[int] | None = None
    target: str = "sentinel2_l2a"
    source_bands: dict[str, Any] | None = None
    weights: str = "random"
    pretrained: bool = False
    #: the named prior the backbone started from (the backbone entry's ``prior``), or ``None``
    prior: str | None = None
    precision: str | None = None
    float32_matmul_precision: str | None = None
    hardware: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    #: what determined the result (:mod:`hsiadapt.experiment.fingerprint`)
    fingerprint: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    traceback: str | None = None
    #: a classical baseline's record (:mod:`.baselines`): its name, band set, row name and the
    #: pixels it was fitted on; ``None`` for a deep run
    baseline: dict[str, Any] | None = None
    schema: int = SCHEMA_VERSION
    #: the folder the record was read from (not stored)
    path: Path | None = field(default=None, compare=False)

    @classmethod
    def completed(cls, spec: RunSpec, *, data: Any, weights: str, **outcome: Any) -> RunRecord:
        """A finished run's record: identity and provenance from ``spec``, the data it trained
        on (``data``: its data module) and the backbone's ``weights``; ``outcome``: the test
        metrics, primary metric, monitor, epochs, seconds... (the fields of the same name)."""
        info = data.info
        return cls(
            status="finished", **identity(spec), adapter_args=spec.adapter.args_for(spec.task.name),
            chip_px=int(data.raw["train"][0]["image"].shape[-1]), target=spec.backbone.target,
            classes=list(info.classes),
            class_codes=info.label_map.ordinal_codes() if hasattr(info, "label_map") else None,
            source_bands=info.bands.to_dict(), weights=weights, pretrained=weights != "random",
            prior=spec.backbone.prior if weights != "random" else None,
            hardware=hardware(), versions=package_versions(), **outcome)

    @classmethod
    def failure(cls, spec: RunSpec, error: str, **outcome: Any) -> RunRecord:
        """A failed run's record: its identity, the ``error`` and ``outcome`` (the traceback,
        seconds, whether it resumed)."""
        return cls(status="failed", **identity(spec), error=error, **outcome)

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def is_baseline(self) -> bool:
        """Whether this is a classical baseline's record, not a deep run's."""
        return self.baseline is not None

    def bands(self) -> BandSet | None:
        """The source band table the run trained on."""
        return BandSet.from_dict(self.source_bands) if self.source_bands else None

    def primary(self) -> tuple[str, str]:
        """``(metric, direction)`` of the run's task."""
        if self.primary_metric and self.direction:
            return self.primary_metric, self.direction
        return _LEGACY_PRIMARY.get(self.task_type, ("miou", "max"))

    def value(self, metric: str | None = None) -> float | None:
        """A test metric (default the primary one); ``None`` when absent."""
        v = self.test.get(metric or self.primary()[0])
        return None if v is None else float(v)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("path")
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "record") -> RunRecord:
        if not isinstance(data, Mapping):
            raise RecordError(f"{where}: not a run record (a JSON object was expected)")
        version = int(data.get("schema", 1))
        if version > SCHEMA_VERSION:
            raise NewerRecordError(f"{where}: written by a newer hsiadapt (run-folder schema {version}, "
                              f"this version reads up to {SCHEMA_VERSION}); upgrade hsiadapt")
        known = {f.name for f in dataclasses.fields(cls)} - {"path"}
        kwargs = {k: v for k, v in data.items() if k in known}
        if "run_id" not in kwargs:
            raise RecordError(f"{where}: the record has no run_id; the folder is not a run "
                              "folder written by hsiadapt")
        kwargs.setdefault("status", "failed")
        kwargs["schema"] = SCHEMA_VERSION
        try:  # a field of the wrong type is a broken record, not a crash further on
            kwargs = check_fields("", kwargs, cls)
        except ValueTypeError as err:
            raise RecordError(f"{where}: {str(err).lstrip('.')}; the record is damaged") from None
        return cls(**kwargs)


def identity(spec: RunSpec) -> dict[str, Any]:
    """The identity fields of ``spec``'s record."""
    return {"run_id": spec.run_id, "task": spec.task.name, "dataset": spec.task.dataset,
            "adapter": spec.adapter.name, "input_mode": spec.adapter.input_mode,
            "backbone": spec.backbone.id, "model": spec.backbone.name, "seed": spec.seed,
            "task_type": spec.task.recipe_obj().task, "digest": spec.digest()}


# task type -> primary metric, for records written before runs stored their primary metric
_LEGACY_PRIMARY = {"segmentation": ("miou", "max"), "regression": ("hyperview_score", "min"),
                   "multilabel": ("map_macro", "max")}


def write_record(run_dir: str | Path, record: RunRecord) -> Path:
    """Write ``record`` as the run folder's ``metrics.json`` (atomically)."""
    p = Path(run_dir) / RECORD_FILE
    atomic_write_text(p, json.dumps(record.to_dict(), indent=1, default=float))
    return p


def read_record(run_dir: str | Path) -> RunRecord | None:
    """The run folder's record; ``None`` when it has none (or it is unreadable JSON: a write
    that never completed).

    Raises:
        RecordError: the record is from an incompatible schema.
    """
    p = Path(run_dir) / RECORD_FILE
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    if isinstance(data, dict):
        data.setdefault("run_id", Path(run_dir).name)  # records written before the schema
    rec = RunRecord.from_dict(data, str(p))
    rec.path = Path(run_dir)
    return rec


def run_status(run_dir: str | Path) -> RunStatus:
    """``finished``, ``failed``, ``partial`` (started, not finished) or ``pending``."""
    try:
        rec = read_record(run_dir)
    except RecordError:
        return "failed"
    if rec is not None:
        return rec.status
    return "partial" if (Path(run_dir) / CONFIG_FILE).exists() else "pending"


def folder_problem(run_dir: str | Path) -> str | None:
    """Why a run folder's ``metrics.json`` or ``resolved_config.yaml`` cannot be read (not
    JSON / YAML, not a mapping, a field of the wrong type, a newer schema), or ``None``. Files
    hsiadapt writes are written atomically, so a broken one was damaged or edited by hand: the
    sweep reports such a run as failed, leaves the folder as it is, and goes on."""
    import yaml

    d = Path(run_dir)
    rec, cfg = d / RECORD_FILE, d / CONFIG_FILE
    fix = f"; remove {d} (or run with --force) to run it again"
    if rec.exists():
        try:
            data = json.loads(rec.read_text())
        except (OSError, ValueError) as err:
            return f"{rec}: not readable JSON ({err}){fix}"
        try:
            if isinstance(data, dict):
                data.setdefault("run_id", d.name)
            RunRecord.from_dict(data, str(rec))
        except NewerRecordError as err:
            return str(err)
        except RecordError as err:
            return f"{err}{fix}"
    if cfg.exists():
        try:
            conf = yaml.safe_load(cfg.read_text())
        except (OSError, ValueError, yaml.YAMLError) as err:
            mark = getattr(err, "problem_mark", None)
            why = (f"{getattr(err, 'problem', None) or 'unreadable'}"
                   + (f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""))
            return f"{cfg}: not readable YAML ({why}){fix}"
        if not isinstance(conf, dict):
            return f"{cfg}: not a mapping (a run's resolved configuration){fix}"
    return None


def collect_records(root: str | Path) -> list[RunRecord]:
    """Every run record under ``root`` (finished and failed), in path order; folders whose name
    starts with ``_`` (superseded runs, caches) are not results, and a damaged record is left
    out with a warning naming it."""
    import logging

    out = []
    root = Path(root)
    for p in sorted(root.rglob(RECORD_FILE)):
        rel = p.parent.relative_to(root).parts
        if any(part.startswith("_") for part in rel):  # _superseded, _cache, _submitit
            continue
        try:
            rec = read_record(p.parent)
        except NewerRecordError:
            raise
        except RecordError as err:
            logging.getLogger(__name__).warning("left out: %s", err)
            continue
        if rec is not None:
            out.append(rec)
    return out

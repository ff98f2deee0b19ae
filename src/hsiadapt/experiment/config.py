"""Experiment configuration: one YAML file = one grid (tasks x adapters x backbones x seeds).

Parsed with safe YAML loading into frozen dataclasses. Unknown keys and bad values are errors
that name the file section, the offending key and the closest valid key. Every value is checked
against its field's type when the file is loaded (:mod:`._values`: a float field takes a string
that spells a number, ``lr: 1e-3``, and converts it; any other wrong type is an error), recipe
overrides against :class:`~hsiadapt.models.recipes.Recipe`, ``dataset_args`` and adapter
``args`` / ``task_args`` against the signature of the dataset / adapter they go to. Task,
adapter and experiment names become folder names, so they are restricted to letters, digits and
``._-`` (no leading dot).

Components are named through hsiadapt's registries only (datasets, adapters, backbones,
recipes) - never an import path, so the experiment grid cannot make hsiadapt execute code. The
one exception is the launcher: ``launcher.slurm`` holds submitit's SLURM executor parameters,
and some of them (``slurm_setup``, ``slurm_srun_args``, ``slurm_additional_parameters``...) are
written into the generated sbatch script and executed by the shell on the cluster. Treat a
config that uses ``launcher.type: slurm`` like a shell script: run only those you trust.

Relative paths in a config file resolve against the folder of that file, never the current
directory, so ``hsiadapt run`` gives the same result from anywhere: ``data_root``, ``output``
and a backbone's ``ckpt_path`` are relative to the config file's folder; a task's ``root`` and
``raw_statistics`` are relative to ``data_root``. Paths given on the command line
(``--data-root``, ``--output``) are relative to the current directory, as a shell user expects.
:func:`load_config` returns them all absolute, so errors show where a file was looked for.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hsiadapt.experiment._values import (
    ConfigError,
    ValueTypeError,
    check_name,
    check_restrictions,
    check_value,
    make_spec,
)
from hsiadapt.experiment._yaml import YamlError, load_yaml_file
from hsiadapt.experiment.adapter_spec import AdapterSpec
from hsiadapt.experiment.backbone_spec import BackboneSpec
from hsiadapt.experiment.baseline_spec import parse_baselines
from hsiadapt.experiment.execution import LauncherSpec, TrainerSpec
from hsiadapt.experiment.task_spec import TaskSpec
from hsiadapt.experiment.variants import apply_variant
from hsiadapt.hints import did_you_mean

__all__ = ["AdapterSpec", "BackboneSpec", "ConfigError", "ExperimentConfig", "LauncherSpec",
           "RunSpec", "TaskSpec", "TrainerSpec", "load_config"]


#: (section, key) of the run settings that do not change its numbers: the grid's layout (a
#: backbone entry's label, prior name and restrictions, an adapter's task restriction) and
#: checkpointing
NOT_RESULT = (("backbone", "label"), ("backbone", "prior"), ("backbone", "adapters"),
              ("backbone", "tasks"),
              ("adapter", "tasks"), ("trainer", "checkpoint_every_n_epochs"),
              ("trainer", "best_checkpoint"))


@dataclass(frozen=True)
class RunSpec:
    """One run of the grid, fully resolved."""

    experiment: str
    task: TaskSpec
    adapter: AdapterSpec
    backbone: BackboneSpec
    seed: int
    data_root: str
    trainer: TrainerSpec

    @property
    def run_id(self) -> str:
        return f"{self.task.name}__{self.backbone.id}__{self.adapter.name}__seed{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        from hsiadapt.experiment.scoring import test_scoring

        d = dataclasses.asdict(self)
        d["run_id"] = self.run_id
        d["recipe"] = self.task.recipe_obj().to_dict()
        d["recipe"]["test_scoring"] = test_scoring(self.task.dataset, self.task.recipe_obj())
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """The spec :meth:`to_dict` wrote (a run folder's ``resolved_config.yaml``)."""
        def part(kind: type, key: str) -> Any:
            names = {f.name for f in dataclasses.fields(kind)}
            return kind(**{k: v for k, v in (data.get(key) or {}).items() if k in names})

        return cls(experiment=str(data["experiment"]), task=part(TaskSpec, "task"),
                   adapter=part(AdapterSpec, "adapter"), backbone=part(BackboneSpec, "backbone"),
                   seed=int(data["seed"]), data_root=str(data.get("data_root", ".")),
                   trainer=part(TrainerSpec, "trainer"))

    def digest(self) -> str:
        """What determines the run's result, hashed: the resolved config without the settings
        that only say how it executes or where it shows (:data:`NOT_RESULT`)."""
        d = self.to_dict()
        for part, key in NOT_RESULT:
            d[part].pop(key, None)
        if d["recipe"]["test_scoring"] == "resized_chips":  # as before it was a setting
            d["recipe"].pop("test_scoring")
        if d["recipe"].get("augmentation_on") == "loader":  # as before it was a setting
            d["recipe"].pop("augmentation_on")
        payload = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    tasks: tuple[TaskSpec, ...]
    adapters: tuple[AdapterSpec, ...]
    backbones: tuple[BackboneSpec, ...]
    seeds: tuple[int, ...]
    data_root: str = "."
    output: str = "runs"
    trainer: TrainerSpec = field(default_factory=TrainerSpec)
    launcher: LauncherSpec = field(default_factory=LauncherSpec)
    description: str = ""
    #: classical baselines run beside the grid (:mod:`.baseline_spec`)
    baselines: tuple[str, ...] = ()

    def runs(self, only: Mapping[str, Sequence[str]] | None = None) -> list[RunSpec]:
        """The grid, filtered by ``only`` (keys task/adapter/backbone/seed -> allowed values)."""
        only = {k: [str(v) for v in vs] for k, vs in (only or {}).items()}
        bad = [k for k in only if k not in ("task", "adapter", "backbone", "seed")]
        if bad:
            raise ConfigError(f"--only: unknown key(s) {bad}; use task, adapter, backbone, seed")
        valid = {"task": [t.name for t in self.tasks], "adapter": [a.name for a in self.adapters],
                 "backbone": [b.id for b in self.backbones],
                 "seed": [str(s) for s in self.seeds]}
        for key, values in only.items():
            for v in values:
                if v not in valid[key]:
                    raise ConfigError(
                        f"--only {key}={v}: the experiment {self.name!r} has no {key} {v!r}"
                        + did_you_mean(v, valid[key])
                        + f" Valid {key} values: {', '.join(valid[key])}")
        out = []
        for t in self.tasks:
            for b in self.backbones:
                if b.tasks is not None and t.name not in b.tasks:
                    continue
                for a in self.adapters:
                    if (b.adapters is not None and a.name not in b.adapters) or (
                            a.tasks is not None and t.name not in a.tasks):
                        continue
                    for s in self.seeds:
                        vals = {"task": t.name, "adapter": a.name, "backbone": b.id,
                                "seed": str(s)}
                        if all(vals[k] in vs for k, vs in only.items()):
                            out.append(RunSpec(self.name, a.task_for(t), a, b, s,
                                               self.data_root, self.trainer))
        return out


_TOP = {"name", "description", "tasks", "adapters", "backbones", "seeds", "data_root", "output",
        "trainer", "launcher", "baselines", "variants", "variant"}


def _seeds(p: Path, seeds: Any) -> list[int]:
    """The ``seeds:`` value: a list of integers, or ``{start: N, count: M}``."""
    if isinstance(seeds, Mapping) and set(seeds) == {"start", "count"}:
        seeds = list(range(int(seeds["start"]), int(seeds["start"]) + int(seeds["count"])))
    if not isinstance(seeds, list) or not all(isinstance(s, int) for s in seeds) or not seeds:
        raise ConfigError(f"{p}: seeds must be a non-empty list of integers or "
                          "{start: N, count: M}")
    return seeds


def load_config(path: str | Path, *, data_root: str | None = None,
                output: str | None = None, variant: str | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML (see ``configs/``); ``variant`` picks one of its
    ``variants`` (:mod:`hsiadapt.experiment.variants`) instead of its default.

    Raises:
        ConfigError: unreadable YAML, unknown keys (with the closest valid one), bad values.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p.absolute()} does not exist")
    try:
        raw = load_yaml_file(p)
    except YamlError as err:
        raise ConfigError(str(err)) from None
    except yaml.YAMLError as err:
        raise ConfigError(f"{p}: not valid YAML ({err})") from None
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{p}: the top level must be a mapping")
    for k in raw:
        if k not in _TOP:
            raise ConfigError(f"{p}: unknown key {k!r}{did_you_mean(k, sorted(_TOP))} Valid keys: "
                              f"{', '.join(sorted(_TOP))}")
    for req in ("name", "tasks", "adapters", "backbones", "seeds"):
        if req not in raw:
            raise ConfigError(f"{p}: missing required key {req!r}")
    raw = apply_variant(raw, variant, str(p))
    seeds = _seeds(p, raw["seeds"])
    tasks = tuple(make_spec(f"{p}: tasks[{i}]", TaskSpec, t) for i, t in enumerate(raw["tasks"]))
    adapters = tuple(make_spec(f"{p}: adapters[{i}]", AdapterSpec, a)
                     for i, a in enumerate(raw["adapters"]))
    backbones = tuple(make_spec(f"{p}: backbones[{i}]", BackboneSpec, b)
                      for i, b in enumerate(raw["backbones"]))
    for what, names in (("task", [x.name for x in tasks]), ("adapter", [x.name for x in adapters]),
                        ("backbone", [x.id for x in backbones])):
        if len(set(names)) != len(names):
            hint = ("; give each entry of one architecture its own `label:`"
                    if what == "backbone" else "")
            raise ConfigError(f"{p}: duplicate {what} names {names}{hint}")
    declared = {"adapters": [a.name for a in adapters], "tasks": [t.name for t in tasks]}
    entries: list[tuple[str, Any, tuple[str, ...]]] = [
        (f"backbones[{i}]", b, ("adapters", "tasks")) for i, b in enumerate(backbones)]
    entries += [(f"adapters[{i}]", a, ("tasks",)) for i, a in enumerate(adapters)]
    check_restrictions(str(p), declared, entries)
    baselines = parse_baselines(f"{p}: baselines", raw.get("baselines"),
                                [t.recipe_obj().task for t in tasks])
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"{p}: duplicate seeds")
    try:
        check_name(f"{p}: name", raw["name"], "experiment")
        for i, a in enumerate(adapters):
            a.check_task_entries(f"{p}: adapters[{i}]", tasks)
        data_root_value = check_value(f"{p}: data_root", raw.get("data_root", "."), str)
        output_value = check_value(f"{p}: output", raw.get("output", f"runs/{raw['name']}"), str)
    except ValueTypeError as err:
        raise ConfigError(str(err)) from None
    trainer = make_spec(f"{p}: trainer", TrainerSpec, raw.get("trainer") or {})
    launcher = make_spec(f"{p}: launcher", LauncherSpec, raw.get("launcher") or {})
    here = p.absolute().parent  # relative paths in the file: against the file's folder

    def _abs(value: str, base: Path) -> str:
        return os.path.normpath(Path(base) / os.path.expanduser(value))

    root = (_abs(data_root, Path.cwd()) if data_root is not None
            else _abs(data_root_value, here))
    out = (_abs(output, Path.cwd()) if output is not None
           else _abs(output_value, here))
    backbones = tuple(dataclasses.replace(b, ckpt_path=_abs(b.ckpt_path, here))
                      if b.ckpt_path else b for b in backbones)
    return ExperimentConfig(
        name=str(raw["name"]), description=str(raw.get("description", "")), tasks=tasks,
        adapters=adapters, backbones=backbones, seeds=tuple(seeds), data_root=root,
        output=out, trainer=trainer, launcher=launcher, baselines=baselines)

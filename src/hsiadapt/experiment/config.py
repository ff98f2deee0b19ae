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
    check_arguments,
    check_fields,
    check_keys,
    check_name,
    check_value,
    full_spectrum_args,
    make_spec,
    native_args,
)
from hsiadapt.hints import did_you_mean, unknown_name
from hsiadapt.models.recipes import RECIPES, Recipe

__all__ = ["AdapterSpec", "BackboneSpec", "ConfigError", "ExperimentConfig", "RunSpec",
           "TaskSpec", "TrainerSpec", "load_config"]


@dataclass(frozen=True)
class TaskSpec:
    """One task (dataset) of the grid.

    ``root`` is relative to the data root unless absolute. ``raw_statistics`` names a folder with
    ``mu.npy``/``sigma.npy`` (relative to the data root) for ``normalization: study``.
    """

    name: str
    dataset: str
    root: str = ""
    dataset_args: dict[str, Any] = field(default_factory=dict)
    recipe: str = "study_segmentation"
    recipe_overrides: dict[str, Any] = field(default_factory=dict)
    normalization: str = "data"
    raw_statistics: str | None = None
    #: units of ``raw_statistics``: ``dn`` (reflectance x 10000, the loaders' scale) or
    #: ``reflectance`` (0-1; scaled by 10000 before use). Unset: they must match the data,
    #: which is checked when the run starts (a factor of 10 or more is an error)
    statistics_units: str | None = None
    #: ``corrected`` (default): a selected band is normalised with its own statistics;
    #: ``paper``: with the *next* band's, as the study's code did (it indexed the statistics
    #: with the 1-based band numbers it read the image with). Only selection maps are affected
    study_statistics: str = "corrected"
    class_weights: list[float] | None = None
    cache: bool = True
    num_workers: int = 0

    def validate(self, where: str) -> None:
        from hsiadapt.datasets import DATASETS

        check_name(f"{where}.name", self.name, "task")
        if self.dataset not in DATASETS:
            raise ConfigError(unknown_name("dataset", self.dataset, DATASETS.names(), where))
        check_arguments(f"{where}.dataset_args", self.dataset_args, DATASETS.get(self.dataset),
                        given=("root", "split"), what="dataset argument")
        if self.recipe not in RECIPES:
            raise ConfigError(unknown_name("recipe", self.recipe, RECIPES.names(), where))
        check_keys(f"{where}.recipe_overrides", self.recipe_overrides, Recipe)
        object.__setattr__(self, "recipe_overrides", check_fields(
            f"{where}.recipe_overrides", self.recipe_overrides, Recipe))
        if self.normalization not in ("data", "study", "pretraining", "none"):
            raise ConfigError(f"{where}: normalization must be data, study, pretraining or none")
        if self.statistics_units not in (None, "dn", "reflectance"):
            raise ConfigError(f"{where}: statistics_units must be dn (reflectance x 10000) or "
                              f"reflectance (0-1), got {self.statistics_units!r}")
        if self.study_statistics not in ("corrected", "paper"):
            raise ConfigError(f"{where}: study_statistics must be corrected or paper, got "
                              f"{self.study_statistics!r}")
        if self.normalization == "study" and not self.raw_statistics:
            raise ConfigError(f"{where}: normalization 'study' needs raw_statistics (a folder "
                              "with mu.npy and sigma.npy)")

    def recipe_obj(self) -> Recipe:
        return RECIPES.get(self.recipe).with_(**self.recipe_overrides)


@dataclass(frozen=True)
class AdapterSpec:
    """A spectral input strategy: an adapter (``select``, ``srf``, ``linear``,
    ``spectral_conv``), ``full_spectrum`` or ``native``; ``args`` for it, and per-task overrides
    (e.g. ``coverage: drop`` for HYPERVIEW)."""

    name: str
    input_mode: str
    args: dict[str, Any] = field(default_factory=dict)
    task_args: dict[str, dict[str, Any]] = field(default_factory=dict)

    def validate(self, where: str) -> None:
        from hsiadapt.models.model import input_modes

        check_name(f"{where}.name", self.name, "adapter")
        if self.input_mode not in input_modes():
            raise ConfigError(unknown_name("input_mode", self.input_mode, input_modes(), where))
        self.check_args(where, "args", self.args)

    def check_args(self, where: str, key: str, args: Mapping[str, Any]) -> None:
        """``args`` (or a ``task_args`` entry) against what the input mode accepts."""
        from hsiadapt.adapters import ADAPTERS

        if self.input_mode in ADAPTERS:
            fn: Any = ADAPTERS.get(self.input_mode)
        else:
            fn = full_spectrum_args if self.input_mode == "full_spectrum" else native_args
        check_arguments(f"{where}.{key}", args, fn, given=("source", "target"),
                        what=f"argument (input_mode {self.input_mode})")

    def args_for(self, task: str) -> dict[str, Any]:
        return {**self.args, **self.task_args.get(task, {})}


@dataclass(frozen=True)
class BackboneSpec:
    """A backbone by registry name; ``pretrained`` / ``ckpt_path`` choose the weights."""

    name: str
    pretrained: bool = True
    ckpt_path: str | None = None
    target: str = "sentinel2_l2a"
    args: dict[str, Any] = field(default_factory=dict)

    def validate(self, where: str) -> None:
        from hsiadapt.models.backbones import BACKBONES
        from hsiadapt.spectral import list_sensors

        if self.name not in BACKBONES:
            raise ConfigError(unknown_name("backbone", self.name, BACKBONES.names(), where))
        if self.target not in list_sensors():
            raise ConfigError(f"{where}: unknown target sensor {self.target!r}")


@dataclass(frozen=True)
class TrainerSpec:
    """Lightning trainer settings (multi-GPU / multi-node DDP within a run)."""

    accelerator: str = "auto"
    devices: int | str = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str | None = None  # None: the recipe's, or 32-true on CPU
    deterministic: bool | str = "warn"
    logger: list[str] = field(default_factory=lambda: ["csv"])

    def validate(self, where: str) -> None:
        bad = [x for x in self.logger if x not in ("csv", "tensorboard", "wandb", "mlflow")]
        if bad:
            raise ConfigError(f"{where}: unknown logger(s) {bad}; use csv, tensorboard, wandb, "
                              "mlflow")


@dataclass(frozen=True)
class LauncherSpec:
    """How the grid is spread: ``local`` (one process, sequential), ``submitit-local`` (one
    subprocess per run via submitit), ``local-gpus`` (one subprocess per run, as many at once
    as there are GPUs, each pinned to its own GPU via ``CUDA_VISIBLE_DEVICES``; ``gpus`` lists
    them, default all), ``slurm`` (submitit on a SLURM cluster; ``slurm`` holds its executor
    parameters). ``stale_lock_min``: minutes without a heartbeat after which a run's lock held
    by another host is taken over (on this host a lock whose process died is taken at once).

    ``slurm`` is passed to submitit as is, and some of its keys are **executed**: they are
    written into the generated sbatch script (``slurm_setup`` lines verbatim,
    ``slurm_srun_args``, ``slurm_additional_parameters``, ...). :meth:`shell_settings` names
    those a config sets; the CLI prints them before submitting."""

    type: str = "local"
    max_parallel: int = 1
    stale_lock_min: float = 60.0
    gpus: list[int] = field(default_factory=list)
    slurm: dict[str, Any] = field(default_factory=dict)

    def shell_settings(self) -> list[str]:
        """The ``launcher.slurm`` keys set here that reach the sbatch script as shell text
        (everything except submitit's plain numeric / name parameters)."""
        plain = {"timeout_min", "nodes", "gpus_per_node", "tasks_per_node", "cpus_per_task",
                 "mem_gb", "name", "slurm_partition", "slurm_job_name", "slurm_time",
                 "slurm_mem", "slurm_gpus_per_node", "slurm_cpus_per_task", "slurm_ntasks_per_node",
                 "slurm_array_parallelism", "stderr_to_stdout"}
        if self.type != "slurm":
            return []
        return [f"launcher.slurm.{k}" for k in self.slurm if k not in plain]

    def validate(self, where: str) -> None:
        if self.type not in ("local", "submitit-local", "local-gpus", "slurm"):
            raise ConfigError(f"{where}: launcher type must be local, submitit-local, "
                              "local-gpus or slurm")
        if not self.stale_lock_min > 0:
            raise ConfigError(f"{where}: stale_lock_min must be a positive number of minutes, "
                              f"got {self.stale_lock_min!r}")


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
        return f"{self.task.name}__{self.backbone.name}__{self.adapter.name}__seed{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["run_id"] = self.run_id
        d["recipe"] = self.task.recipe_obj().to_dict()
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
        payload = json.dumps(self.to_dict(), sort_keys=True, default=str)
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

    def runs(self, only: Mapping[str, Sequence[str]] | None = None) -> list[RunSpec]:
        """The grid, filtered by ``only`` (keys task/adapter/backbone/seed -> allowed values)."""
        only = {k: [str(v) for v in vs] for k, vs in (only or {}).items()}
        bad = [k for k in only if k not in ("task", "adapter", "backbone", "seed")]
        if bad:
            raise ConfigError(f"--only: unknown key(s) {bad}; use task, adapter, backbone, seed")
        valid = {"task": [t.name for t in self.tasks], "adapter": [a.name for a in self.adapters],
                 "backbone": [b.name for b in self.backbones],
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
                for a in self.adapters:
                    for s in self.seeds:
                        vals = {"task": t.name, "adapter": a.name, "backbone": b.name,
                                "seed": str(s)}
                        if all(vals[k] in vs for k, vs in only.items()):
                            out.append(RunSpec(self.name, t, a, b, s, self.data_root,
                                               self.trainer))
        return out


_TOP = {"name", "description", "tasks", "adapters", "backbones", "seeds", "data_root", "output",
        "trainer", "launcher"}


def load_config(path: str | Path, *, data_root: str | None = None,
                output: str | None = None) -> ExperimentConfig:
    """Read and validate an experiment YAML (see ``configs/``).

    Raises:
        ConfigError: unreadable YAML, unknown keys (with the closest valid one), bad values.
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {p.absolute()} does not exist")
    try:
        raw = yaml.safe_load(p.read_text())
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
    seeds = raw["seeds"]
    if isinstance(seeds, Mapping) and set(seeds) == {"start", "count"}:
        seeds = list(range(int(seeds["start"]), int(seeds["start"]) + int(seeds["count"])))
    if not isinstance(seeds, list) or not all(isinstance(s, int) for s in seeds) or not seeds:
        raise ConfigError(f"{p}: seeds must be a non-empty list of integers or "
                          "{start: N, count: M}")
    tasks = tuple(make_spec(f"{p}: tasks[{i}]", TaskSpec, t) for i, t in enumerate(raw["tasks"]))
    adapters = tuple(make_spec(f"{p}: adapters[{i}]", AdapterSpec, a)
                     for i, a in enumerate(raw["adapters"]))
    backbones = tuple(make_spec(f"{p}: backbones[{i}]", BackboneSpec, b)
                      for i, b in enumerate(raw["backbones"]))
    for what, items in (("task", tasks), ("adapter", adapters), ("backbone", backbones)):
        names = [x.name for x in items]
        if len(set(names)) != len(names):
            raise ConfigError(f"{p}: duplicate {what} names {names}")
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"{p}: duplicate seeds")
    task_names = [t.name for t in tasks]
    try:
        check_name(f"{p}: name", raw["name"], "experiment")
        for i, a in enumerate(adapters):
            for tname, targs in a.task_args.items():
                where = f"{p}: adapters[{i}].task_args"
                if tname not in task_names:
                    raise ConfigError(f"{where}: no task named {tname!r}"
                                      f"{did_you_mean(tname, task_names)} Tasks: "
                                      f"{', '.join(task_names)}")
                a.check_args(f"{p}: adapters[{i}]", f"task_args.{tname}", targs)
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
        output=out, trainer=trainer, launcher=launcher)

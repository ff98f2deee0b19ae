"""An adapter entry of an experiment grid (``adapters:`` in a config)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hsiadapt.experiment._values import (
    ConfigError,
    ValueTypeError,
    check_arguments,
    check_fields,
    check_name,
)
from hsiadapt.hints import did_you_mean, unknown_name
from hsiadapt.models.input_modes import input_mode, input_modes

#: a task entry (``hsiadapt.experiment.config.TaskSpec``; not imported: config imports this)
TaskSpec = Any

__all__ = ["AdapterSpec"]


@dataclass(frozen=True)
class AdapterSpec:
    """A spectral input strategy: an adapter (``select``, ``srf``, ``linear``,
    ``spectral_conv``), ``full_spectrum`` or ``native``; ``args`` for it, and per-task overrides
    (e.g. ``coverage: drop`` for HYPERVIEW); ``tasks`` restricts the tasks it runs on (default:
    all). ``task_settings`` changes a task's own settings for this adapter's runs only (task
    name -> task keys; ``recipe_overrides`` and ``dataset_args`` merge key by key), e.g. the
    study normalised its naive HYPERVIEW run and not its SRF run."""

    name: str
    input_mode: str
    args: dict[str, Any] = field(default_factory=dict)
    task_args: dict[str, dict[str, Any]] = field(default_factory=dict)
    tasks: list[str] | None = None
    task_settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def task_for(self, task: TaskSpec) -> TaskSpec:
        """``task`` as this adapter's runs have it (``task_settings`` applied)."""
        change = dict(self.task_settings.get(task.name) or {})
        if not change:
            return task
        for key in ("recipe_overrides", "dataset_args"):
            if key in change:
                change[key] = {**getattr(task, key), **change[key]}
        return dataclasses.replace(task, **change)

    def validate(self, where: str) -> None:
        check_name(f"{where}.name", self.name, "adapter")
        if self.input_mode not in input_modes():
            raise ConfigError(unknown_name("input_mode", self.input_mode, input_modes(), where))
        self.check_args(where, "args", self.args)

    def check_args(self, where: str, key: str, args: Mapping[str, Any]) -> None:
        """``args`` (or a ``task_args`` entry) against what the input mode accepts."""
        fn = input_mode(self.input_mode).arguments
        check_arguments(f"{where}.{key}", args, fn, given=("source", "target"),
                        what=f"argument (input_mode {self.input_mode})")

    def args_for(self, task: str) -> dict[str, Any]:
        return {**self.args, **self.task_args.get(task, {})}

    def check_task_entries(self, where: str, tasks: Sequence[TaskSpec]) -> None:
        """``task_args`` and ``task_settings`` name tasks of the grid and valid keys."""
        names = [t.name for t in tasks]
        for key, entries in (("task_args", self.task_args),
                             ("task_settings", self.task_settings)):
            for tname, change in entries.items():
                if tname not in names:
                    raise ConfigError(f"{where}.{key}: no task named {tname!r}"
                                      f"{did_you_mean(tname, names)} Tasks: {', '.join(names)}")
                if key == "task_args":
                    self.check_args(where, f"task_args.{tname}", change)
                    continue
                if not isinstance(change, Mapping) or {"name", "dataset"} & set(change):
                    raise ConfigError(f"{where}.task_settings.{tname}: a mapping of task keys "
                                      "to change (not name or dataset)")
                unknown = set(change) - {f.name for f in dataclasses.fields(tasks[0])}
                if unknown:
                    raise ConfigError(f"{where}.task_settings.{tname}: unknown task key(s) "
                                      f"{sorted(unknown)}")
                try:  # each value against its task field's type, as in ``tasks:``
                    check_fields(f"{where}.task_settings.{tname}", change, type(tasks[0]))
                except ValueTypeError as err:
                    raise ConfigError(str(err)) from None
                self.task_for(tasks[names.index(tname)]).validate(
                    f"{where}.task_settings.{tname}")

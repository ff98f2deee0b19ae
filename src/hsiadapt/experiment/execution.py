"""How a grid executes: Lightning trainer settings within a run (:class:`TrainerSpec`) and how
runs are spread over processes or a cluster (:class:`LauncherSpec`) - the ``trainer:`` and
``launcher:`` sections of an experiment config."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from hsiadapt.experiment._values import ConfigError
from hsiadapt.models.precision import Precision

__all__ = ["Accelerator", "LauncherSpec", "LauncherType", "Logger", "Strategy", "TrainerSpec",
           "control_characters"]

#: Lightning's accelerator names (``gpu`` and ``tpu`` are its aliases)
Accelerator = Literal["auto", "cpu", "gpu", "cuda", "mps", "tpu"]
#: Lightning's strategy names (its ``StrategyRegistry``; a test keeps the two equal)
Strategy = Literal[
    "auto", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook", "ddp_find_unused_parameters_false",
    "ddp_find_unused_parameters_true", "ddp_spawn_find_unused_parameters_false",
    "ddp_spawn_find_unused_parameters_true", "ddp_fork_find_unused_parameters_false",
    "ddp_fork_find_unused_parameters_true", "ddp_notebook_find_unused_parameters_false",
    "ddp_notebook_find_unused_parameters_true", "deepspeed", "deepspeed_stage_1",
    "deepspeed_stage_2", "deepspeed_stage_2_offload", "deepspeed_stage_3",
    "deepspeed_stage_3_offload", "deepspeed_stage_3_offload_nvme", "fsdp", "fsdp_cpu_offload",
    "single_device", "single_xla", "xla_debug", "xla", "single_tpu"]
Logger = Literal["csv", "tensorboard", "wandb", "mlflow"]
LauncherType = Literal["local", "submitit-local", "local-gpus", "slurm"]


def control_characters(value: Any, where: str) -> str | None:
    """Why ``value`` (a string, or lists / mappings of them, keys included) cannot go into an
    sbatch script: a newline or another control character in it, which would start a new shell
    line there (submitit writes the job name as an ``#SBATCH`` option in quotes: a newline inside ends
    the comment and bash runs the rest). ``None`` when there is none."""
    if isinstance(value, str):
        bad = [c for c in value if unicodedata.category(c) == "Cc"]
        if bad:
            return (f"{where}: {value!r} contains the control character {bad[0]!r}; values "
                    "that reach the sbatch script must be one line of printable text (a "
                    "newline there would run the rest as a shell command)")
        return None
    if isinstance(value, dict):
        for k, v in value.items():
            why = control_characters(str(k), f"{where} key") or control_characters(
                v, f"{where}.{k}")
            if why:
                return why
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            why = control_characters(v, f"{where}[{i}]")
            if why:
                return why
    return None


@dataclass(frozen=True)
class TrainerSpec:
    """Lightning trainer settings (multi-GPU / multi-node DDP within a run).

    ``checkpoint_every_n_epochs``: how often the resume checkpoint (``last.ckpt``, with the
    optimizer state) is written; 1 (default) loses nothing to a kill. A larger value saves the
    write on short epochs (the demo's); an interrupted run then repeats at most that many epochs
    and still resumes to the same numbers. ``best_checkpoint``: ``full`` (default) keeps the
    optimizer state in ``best.ckpt`` too, so a run whose ``last.ckpt`` is unreadable resumes from
    it; ``weights`` writes only the weights there (a third of the bytes on every improvement) and
    resumes only from ``last.ckpt``. Neither changes a run's numbers, so neither is part of the
    run's fingerprint.
    """

    accelerator: Accelerator = "auto"
    devices: int | str = 1
    num_nodes: int = 1
    strategy: Strategy = "auto"
    precision: Precision | None = None  # None: the recipe's, or 32-true on CPU
    deterministic: bool | str = "warn"
    logger: list[Logger] = field(default_factory=lambda: ["csv"])
    checkpoint_every_n_epochs: int = 1
    best_checkpoint: Annotated[Literal["full", "weights"],
                               "full: with the optimizer state; weights: the weights only"] = "full"

    def validate(self, where: str) -> None:
        if not self.checkpoint_every_n_epochs >= 1:
            raise ConfigError(f"{where}: checkpoint_every_n_epochs must be at least 1, got "
                              f"{self.checkpoint_every_n_epochs!r}")


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

    type: LauncherType = "local"
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
        control = control_characters(self.slurm, f"{where}.slurm")
        if control:
            raise ConfigError(control)
        if not self.stale_lock_min > 0:
            raise ConfigError(f"{where}: stale_lock_min must be a positive number of minutes, "
                              f"got {self.stale_lock_min!r}")

"""Options with a fixed set of values are typed ``Literal[...]``, and the config checker checks
them from the type: a bad value names its YAML key, the value, the allowed values and the
closest one; no option has a check of its own."""

import dataclasses
import re
import typing
from typing import Annotated, Literal

import pytest

from hsiadapt.experiment._values import ConfigError, make_spec
from hsiadapt.experiment.execution import Accelerator, Strategy
from hsiadapt.models import precision
from tests.experiment.test_config_values import _load

TASK = "tasks:\n  - {name: a, dataset: enmap_bnetd, %s}\n"
ADAPTER_SETTING = ("adapters:\n  - {name: s, input_mode: srf, task_settings: {a: {%s}}}\n")

BAD = [
    ("trainer: {accelerator: gpus}\n",
     "trainer.accelerator: expected one of 'auto', 'cpu', 'gpu', 'cuda', 'mps', 'tpu', got the "
     "string 'gpus'; did you mean 'gpu'?"),
    ("trainer: {strategy: dpp}\n",
     "trainer.strategy: expected one of 'auto', 'ddp', 'ddp_spawn'"),
    ("trainer: {strategy: dpp}\n", "got the string 'dpp'; did you mean 'ddp'?"),
    ("trainer: {precision: 16mixed}\n",
     "trainer.precision: expected one of '64-true', '64'"),
    ("trainer: {precision: 16mixed}\n", "or null, got the string '16mixed'; did you mean "
                                        "'16-mixed'?"),
    ("trainer: {logger: [csv, tensorbord]}\n",
     "trainer.logger[1]: expected one of 'csv', 'tensorboard', 'wandb', 'mlflow', got the "
     "string 'tensorbord'; did you mean 'tensorboard'?"),
    ("trainer: {best_checkpoint: weight}\n",
     "trainer.best_checkpoint: expected one of 'full', 'weights' (full: with the optimizer "
     "state; weights: the weights only), got the string 'weight'; did you mean 'weights'?"),
    ("launcher: {type: slurrm}\n",
     "launcher.type: expected one of 'local', 'submitit-local', 'local-gpus', 'slurm', got the "
     "string 'slurrm'; did you mean 'slurm'?"),
    (TASK % "normalization: studdy",
     "tasks[0].normalization: expected one of 'data', 'study', 'pretraining', 'none', got the "
     "string 'studdy'; did you mean 'study'?"),
    (TASK % "statistics_units: dns",
     "tasks[0].statistics_units: expected one of 'dn', 'reflectance' (dn: reflectance x 10000; "
     "reflectance: 0-1) or null, got the string 'dns'; did you mean 'dn'?"),
    (TASK % "study_statistics: papers",
     "tasks[0].study_statistics: expected one of 'corrected', 'paper' (corrected: a selected "
     "band's own statistics; paper: the next band's, as the study's code did), got the string "
     "'papers'; did you mean 'paper'?"),
    (TASK % "recipe_overrides: {precision: bf16mixed}",
     "tasks[0].recipe_overrides.precision: expected one of '64-true'"),
    # a task's settings changed for one adapter are checked like the task's own
    (ADAPTER_SETTING % "study_statistics: papers",
     "adapters[0].task_settings.a.study_statistics: expected one of 'corrected', 'paper'"),
    (ADAPTER_SETTING % "cache: 'no'",
     "adapters[0].task_settings.a.cache: expected true or false, got the string 'no' (write "
     "false without quotes)"),
]


@pytest.mark.parametrize(("patch", "msg"), BAD)
def test_a_bad_choice_names_key_value_and_choices(tmp_path, patch, msg):
    with pytest.raises(ConfigError, match=re.escape(msg)):
        _load(tmp_path, patch)


def test_good_choices_load(tmp_path):
    cfg = _load(tmp_path, "trainer: {accelerator: cpu, strategy: ddp, precision: bf16-mixed, "
                          "logger: [csv, tensorboard], best_checkpoint: weights}\n"
                          "launcher: {type: local-gpus}\n")
    assert (cfg.trainer.accelerator, cfg.trainer.strategy, cfg.trainer.precision) == (
        "cpu", "ddp", "bf16-mixed")
    assert cfg.trainer.logger == ["csv", "tensorboard"]
    assert cfg.trainer.best_checkpoint == "weights" and cfg.launcher.type == "local-gpus"


@dataclasses.dataclass(frozen=True)
class _NewSection:
    """A section no checker has heard of: its Literal fields are checked from their types."""

    colour: Literal["red", "green"] = "red"
    shade: Annotated[Literal["light", "dark"], "light: pastel; dark: deep"] | None = None
    sizes: list[Literal[1, 2, 4]] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize(("data", "msg"), [
    ({"colour": "gren"}, "new.colour: expected one of 'red', 'green', got the string 'gren'; "
                         "did you mean 'green'?"),
    ({"shade": "darker"}, "new.shade: expected one of 'light', 'dark' (light: pastel; dark: "
                          "deep) or null, got the string 'darker'; did you mean 'dark'?"),
    ({"sizes": [1, 3]}, "new.sizes[1]: expected one of 1, 2, 4, got int 3"),
    ({"sizes": [1, "2"]}, "new.sizes[1]: expected one of 1, 2, 4, got the string '2' (write 2 "
                          "without quotes)"),
])
def test_a_new_literal_field_is_checked_without_code_of_its_own(data, msg):
    with pytest.raises(ConfigError, match=re.escape(msg)):
        make_spec("new", _NewSection, data)


def test_a_new_literal_field_keeps_a_good_value():
    spec = make_spec("new", _NewSection, {"colour": "green", "shade": "dark", "sizes": [4, 1]})
    assert (spec.colour, spec.shade, spec.sizes) == ("green", "dark", [4, 1])


def test_the_lightning_choices_are_lightnings():
    # Lightning decides what it accepts: the types must list exactly its names
    from lightning.pytorch.accelerators import AcceleratorRegistry
    from lightning.pytorch.strategies import StrategyRegistry

    assert set(typing.get_args(Strategy)) == {"auto", *StrategyRegistry.available_strategies()}
    assert set(typing.get_args(Accelerator)) == {"auto", "gpu",
                                                 *AcceleratorRegistry.available_accelerators()}
    assert set(typing.get_args(precision.Precision)) == set(precision._MATMUL)

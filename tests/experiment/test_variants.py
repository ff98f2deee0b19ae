"""Named variants of a grid and per-adapter task settings."""

import pytest

from hsiadapt.experiment.config import ConfigError, load_config
from hsiadapt.experiment.variants import apply_variant
from tests.experiment.conftest import write_tiny_config

RAW = {"name": "g", "output": "o", "tasks": [{"name": "t", "recipe_overrides": {"lr": 1.0,
                                                                                "patience": 3}}],
       "adapters": [{"name": "a", "args": {"x": 1}}],
       "variants": {"V": {"output": "o2", "tasks": {"t": {"recipe_overrides": {"lr": 2.0}}},
                          "adapters": {"a": {"args": {"y": 2}}}}}}


def test_a_variant_patches_entries_by_name_and_merges_mappings():
    out = apply_variant(RAW, "V", "cfg")
    assert out["name"] == "g.V" and out["output"] == "o2"
    assert out["tasks"][0]["recipe_overrides"] == {"lr": 2.0, "patience": 3}
    assert out["adapters"][0]["args"] == {"x": 1, "y": 2}
    assert "variants" not in out
    assert apply_variant(RAW, None, "cfg")["name"] == "g"  # no variant: the grid as written


def test_a_patch_naming_a_missing_entry_is_refused():
    raw = {**RAW, "variants": {"V": {"tasks": {"tt": {"recipe": "x"}}}}}
    with pytest.raises(ConfigError, match="no task named 'tt'.*did you mean 't'"):
        apply_variant(raw, "V", "cfg")


def test_task_settings_change_one_adapters_runs(tmp_path):
    cfg = write_tiny_config(tmp_path, seeds=(0,))
    text = cfg.read_text().replace(
        "  - name: select\n    input_mode: select\n",
        "  - name: select\n    input_mode: select\n    task_settings:\n"
        "      bnetd: {normalization: none, recipe_overrides: {lr: 0.5}}\n")
    cfg.write_text(text)
    runs = {r.adapter.name: r for r in load_config(cfg).runs()}
    assert runs["select"].task.normalization == "none"
    assert runs["select"].task.recipe_obj().lr == 0.5
    assert runs["select"].task.recipe_obj().max_epochs == 1  # the task's other overrides stay
    assert runs["srf"].task.normalization == "data" and runs["srf"].task.recipe_obj().lr == 0.001


@pytest.mark.parametrize("change, message", [
    ("{normalisation: none}", "unknown task key"),
    ("{normalization: nonsense}", "normalization: expected one of 'data', 'study'"),
])
def test_task_settings_are_checked_like_tasks(tmp_path, change, message):
    cfg = write_tiny_config(tmp_path, seeds=(0,))
    cfg.write_text(cfg.read_text().replace(
        "  - name: select\n    input_mode: select\n",
        f"  - name: select\n    input_mode: select\n    task_settings:\n      bnetd: {change}\n"))
    with pytest.raises(ConfigError, match=message):
        load_config(cfg)

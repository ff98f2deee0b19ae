"""Config values are checked against their fields' types, and component arguments against the
component's signature, when the YAML is loaded; names become safe folder names."""

import re

import pytest

from hsiadapt.experiment.config import ConfigError, load_config

BASE = {
    "name": "name: x\n",
    "tasks": "tasks:\n  - {name: a, dataset: enmap_bnetd}\n",
    "adapters": "adapters:\n  - {name: s, input_mode: srf}\n",
    "backbones": "backbones:\n  - {name: stub}\n",
    "seeds": "seeds: [1]\n",
}


def patched_config(tmp_path, patch):
    """A minimal valid config file with one top-level entry replaced (or added) by ``patch``."""
    base = dict(BASE)
    key = patch.split(":")[0]
    if key in base:
        base[key] = patch
        text = "".join(base.values())
    else:
        text = "".join(base.values()) + patch
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def _load(tmp_path, patch):
    return load_config(patched_config(tmp_path, patch))


BAD = [
    # YAML 1.1 strings where a type was meant
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {max_epochs: '2'}}\n",
     "tasks[0].recipe_overrides.max_epochs: expected an integer, got the string '2' "
     "(write 2 without quotes)"),
    ("backbones:\n  - {name: stub, pretrained: 'false'}\n",
     "backbones[0].pretrained: expected true or false, got the string 'false' "
     "(write false without quotes)"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, cache: 'no'}\n",
     "tasks[0].cache: expected true or false, got the string 'no' (write false without quotes)"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {lr: fast}}\n",
     "tasks[0].recipe_overrides.lr: expected a number, got the string 'fast'"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {scheduler: cosin}}\n",
     "tasks[0].recipe_overrides.scheduler: expected one of 'cosine', 'plateau', 'none', got "
     "the string 'cosin'; did you mean 'cosine'?"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, num_workers: 1.5}\n",
     "tasks[0].num_workers: expected an integer, got float 1.5"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, class_weights: [1, x]}\n",
     "tasks[0].class_weights[1]: expected a number, got the string 'x'"),
    ("trainer: {devices: [0, 1]}\n",
     "trainer.devices: expected an integer or a string, got a list [0, 1]"),
    ("launcher: {stale_lock_min: soon}\n",
     "launcher.stale_lock_min: expected a number, got the string 'soon'"),
    # component arguments against the component's signature
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, dataset_args: {backgrund: class}}\n",
     "tasks[0].dataset_args: EnMAPBNETD has no dataset argument 'backgrund'; did you mean "
     "'background'?"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, dataset_args: {background: klass}}\n",
     "tasks[0].dataset_args.background: expected one of 'ignore', 'class', got the string "
     "'klass'"),
    ("adapters:\n  - {name: s, input_mode: srf, args: {integraton: boxcar}}\n",
     "adapters[0].args: SRFAdapter has no argument (input_mode srf) 'integraton'; did you mean "
     "'integration'?"),
    ("adapters:\n  - {name: s, input_mode: srf, task_args: {a: {coverag: drop}}}\n",
     "adapters[0].task_args.a: SRFAdapter has no argument (input_mode srf) 'coverag'; did you "
     "mean 'coverage'?"),
    ("adapters:\n  - {name: s, input_mode: srf, task_args: {b: {coverage: drop}}}\n",
     "adapters[0].task_args: no task named 'b'"),
    ("adapters:\n  - {name: s, input_mode: full_spectrum, args: {int: srf}}\n",
     "did you mean 'init'?"),
    # names become folder names
    ("tasks:\n  - {name: ../../x, dataset: enmap_bnetd}\n",
     "tasks[0].name: task name '../../x' cannot be used as a folder name"),
    ("adapters:\n  - {name: ../evil, input_mode: srf}\n",
     "adapters[0].name: adapter name '../evil' cannot be used as a folder name"),
    ("adapters:\n  - {name: .hidden, input_mode: srf}\n", "not starting with a dot"),
    ("name: ../up\n", "name: experiment name '../up' cannot be used as a folder name"),
]


@pytest.mark.parametrize(("patch", "msg"), BAD)
def test_bad_values_are_named_with_their_key(tmp_path, patch, msg):
    with pytest.raises(ConfigError, match=re.escape(msg)):
        _load(tmp_path, patch)


def test_a_number_spelled_as_a_string_converts_for_float_fields(tmp_path):
    # YAML 1.1 reads 1e-3 (no dot) as a string; a float field converts it, documented
    cfg = _load(tmp_path, "tasks:\n  - {name: a, dataset: enmap_bnetd, "
                          "recipe_overrides: {lr: 1e-3, max_epochs: 3, crop_scale: [0.5, 1]}}\n")
    r = cfg.tasks[0].recipe_obj()
    assert r.lr == 0.001 and isinstance(r.lr, float)
    assert r.max_epochs == 3 and r.crop_scale == (0.5, 1.0)
    assert cfg.runs()[0].task.recipe_obj().lr == 0.001  # the run sees the number


def test_good_values_and_arguments_pass(tmp_path):
    cfg = _load(tmp_path, "tasks:\n  - {name: a.b-c_1, dataset: enmap_bnetd, dataset_args: "
                          "{background: class, clip_negative: true}, cache: false}\n")
    assert cfg.tasks[0].cache is False
    assert cfg.tasks[0].dataset_args == {"background": "class", "clip_negative": True}


def test_checking_leaves_valid_values_as_written(tmp_path):
    # the resolved config, and so a finished run's digest, is what it was before checking
    cfg = _load(tmp_path, "tasks:\n  - {name: a, dataset: enmap_bnetd, class_weights: [1, 2.5], "
                          "recipe_overrides: {weight_decay: 0, head: {channels: 8}}}\n")
    t = cfg.tasks[0]
    assert t.class_weights == [1, 2.5] and type(t.class_weights[0]) is int
    assert t.recipe_overrides == {"weight_decay": 0, "head": {"channels": 8}}
    assert type(t.recipe_overrides["weight_decay"]) is int


def test_a_bare_yaml_boolean_as_a_name_says_to_quote_it(tmp_path):
    from hsiadapt.experiment.config import ConfigError, load_config

    p = tmp_path / "c.yaml"
    p.write_text("name: off\ntasks: [{name: a, dataset: enmap_bnetd}]\n"
                 "adapters: [{name: s, input_mode: select}]\nbackbones: [{name: stub}]\n"
                 "seeds: [0]\n")
    with pytest.raises(ConfigError, match="YAML read the experiment name as False.*quote it"):
        load_config(p)

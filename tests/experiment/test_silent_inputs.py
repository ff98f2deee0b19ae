"""Config inputs that used to pass silently (a run "finished" with wrong numbers, or a shell line
reached the sbatch script) are refused when the config is loaded, naming the key, its line and
the file (issue 22)."""

import re
import textwrap

import pytest

from hsiadapt.experiment.config import ConfigError, load_config

from .test_config_values import patched_config

#: (patch, part of the message); make_bad_inputs_doc.py prints these in docs/bad_inputs.md
SILENT = [
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {lr: 0.001, lr: 100.0}}\n",
     "c.yaml: line 3: duplicate key 'lr' (first given on line 3); YAML would silently keep "
     "only the last value - keep one"),
    ("tasks:\n  - name: a\n    dataset: enmap_bnetd\n    name: b\n",
     "c.yaml: line 5: duplicate key 'name' (first given on line 3)"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {max_epochs: 0}}\n",
     "tasks[0].recipe_overrides.max_epochs: must be at least 1 (0 epochs would score untrained "
     "weights), got 0"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {lr: 0}}\n",
     "tasks[0].recipe_overrides.lr: must be a positive number (0 would leave the weights "
     "untrained), got 0"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {lr: -0.001}}\n",
     "tasks[0].recipe_overrides.lr: must be a positive number"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {image_size: 0}}\n",
     "tasks[0].recipe_overrides.image_size: must be a positive number of pixels, or null to keep "
     "the chips' own size, got 0"),
    ("tasks:\n  - {name: a, dataset: enmap_bnetd, recipe_overrides: {image_size: -16}}\n",
     "tasks[0].recipe_overrides.image_size: must be a positive number of pixels"),
    ("tasks:\n  - {name: a, dataset: hsi_folder, dataset_args: {class_codes: [0, 1, 1, 2, 5]}}\n",
     "tasks[0].dataset_args.class_codes: 1 listed more than once in [0, 1, 1, 2, 5]"),
    ('launcher: {type: slurm, slurm: {slurm_job_name: "x\\ntouch /tmp/pwned"}}\n',
     "launcher.slurm.slurm_job_name: 'x\\ntouch /tmp/pwned' contains the control character "
     "'\\n'; values that reach the sbatch script must be one line of printable text"),
    ('launcher: {type: slurm, slurm: {slurm_partition: "gpu\\nrm -rf ~"}}\n',
     "launcher.slurm.slurm_partition: 'gpu\\nrm -rf ~' contains the control character"),
    ('launcher: {type: slurm, slurm: {name: "a\\rb"}}\n',
     "launcher.slurm.name: 'a\\rb' contains the control character '\\r'"),
    ('launcher: {type: slurm, slurm: {slurm_additional_parameters: {comment: "a\\nb"}}}\n',
     "launcher.slurm.slurm_additional_parameters.comment: 'a\\nb' contains the control"),
]


@pytest.mark.parametrize(("patch", "msg"), SILENT)
def test_silent_config_inputs_are_refused_naming_the_key(tmp_path, patch, msg):
    with pytest.raises(ConfigError, match=re.escape(msg)):
        load_config(patched_config(tmp_path, patch))


def test_a_merge_key_override_is_not_a_duplicate(tmp_path):
    cfg = load_config(patched_config(tmp_path, textwrap.dedent("""\
        tasks:
          - &base {name: a, dataset: enmap_bnetd, recipe_overrides: {lr: 0.001}}
          - <<: *base
            name: b
        """)))
    assert [t.name for t in cfg.tasks] == ["a", "b"]
    assert cfg.tasks[1].recipe_overrides == {"lr": 0.001}


ALIAS_BOMB = "".join(
    [
        "name: x\n",
        "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
        *(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 9)),
        "description: *a8\n",
    ]
)


def alias_bomb(tmp_path) -> str:
    """A 'billion laughs' config (10^9 strings once expanded); the message it gets."""
    p = tmp_path / "bomb.yaml"
    p.write_text(ALIAS_BOMB)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    return str(err.value)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path):
    msg = alias_bomb(tmp_path)
    assert "bomb.yaml: its anchors and aliases (&name / *name) expand to more than 100,000" in msg


def test_a_few_aliases_are_fine(tmp_path):
    cfg = load_config(patched_config(tmp_path, "tasks:\n  - &t {name: a, dataset: enmap_bnetd}\n"
                                               "description: x\n"))
    assert cfg.tasks[0].name == "a"


def utf16_config(tmp_path) -> str:
    """A valid config saved as UTF-16; the message it gets."""
    good = patched_config(tmp_path, "seeds: [1]\n")
    p = tmp_path / "utf16.yaml"
    p.write_bytes(good.read_text().encode("utf-16"))
    with pytest.raises(ConfigError) as err:
        load_config(p)
    return str(err.value)


def test_a_utf16_config_names_the_file_and_says_utf8(tmp_path):
    msg = utf16_config(tmp_path)
    assert str(tmp_path / "utf16.yaml") in msg and "save it as UTF-8" in msg


def test_a_latin1_config_names_the_file_and_line(tmp_path):
    p = patched_config(tmp_path, "description: caf\xe9\n")
    p.write_bytes(p.read_text().encode("latin-1"))
    with pytest.raises(ConfigError, match=re.escape(f"{p}: line 9: byte 0xe9 is not UTF-8; "
                                                    "save the file as UTF-8")):
        load_config(p)


def test_a_utf8_bom_is_fine(tmp_path):
    p = patched_config(tmp_path, "seeds: [1]\n")
    p.write_bytes(b"\xef\xbb\xbf" + p.read_bytes())
    assert load_config(p).name == "x"

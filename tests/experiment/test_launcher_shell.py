"""launcher.slurm settings reach the sbatch script: the config says so, and the CLI says which."""

from hsiadapt.cli import main
from hsiadapt.experiment.config import load_config

from .conftest import write_tiny_config


def _with_launcher(tmp_path, launcher: str):
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    p.write_text(p.read_text() + launcher)
    return p


def test_slurm_shell_settings_are_named_before_anything_runs(tmp_path, capsys):
    p = _with_launcher(tmp_path, "launcher:\n  type: slurm\n  slurm: {slurm_partition: gpu, "
                                 "timeout_min: 10, slurm_setup: ['touch /tmp/x']}\n")
    cfg = load_config(p)
    assert cfg.launcher.shell_settings() == ["launcher.slurm.slurm_setup"]
    assert main(["run", str(p), "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "launcher.slurm.slurm_setup is written into the sbatch script and executed" in err


def test_plain_slurm_settings_and_other_launchers_execute_nothing(tmp_path):
    p = _with_launcher(tmp_path, "launcher:\n  type: slurm\n  slurm: {slurm_partition: gpu, "
                                 "timeout_min: 10, gpus_per_node: 1}\n")
    assert load_config(p).launcher.shell_settings() == []
    p = _with_launcher(tmp_path, "launcher:\n  type: submitit-local\n"
                                 "  slurm: {slurm_setup: ['x']}\n")
    assert load_config(p).launcher.shell_settings() == []  # no sbatch script is written

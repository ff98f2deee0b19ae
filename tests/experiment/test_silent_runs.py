"""Run-level inputs that used to pass silently (issues 18 and 22): ``--max-epochs 0`` scored
untrained weights as "finished"; ``run --dry-run`` after a config edit listed runs as finished
that the real run then re-ran; the change message showed a list and the tuple it was written
from as a change; a newline in the output folder reached the sbatch script."""

import textwrap
from pathlib import Path

import pytest

from hsiadapt.cli import main
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.run import reusable
from hsiadapt.experiment.sweep import run_sweep

from .conftest import DATA, write_tiny_config


@pytest.mark.parametrize("command", ["run", "reproduce"])
def test_max_epochs_0_on_the_command_line_is_refused_naming_the_flag(tmp_path, capsys, command):
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    args = [str(p)] if command == "run" else ["table1", "--data-root", str(tmp_path),
                                              "--output", str(tmp_path / "runs")]
    with pytest.raises(SystemExit) as exit_:
        main([command, *args, "--max-epochs", "0"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "argument --max-epochs: must be at least 1, got 0" in err
    assert not (tmp_path / "runs").exists()  # nothing ran


def test_max_epochs_0_through_the_library_is_refused(tmp_path):
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("select",)))
    with pytest.raises(ValueError, match="max_epochs must be at least 1, got 0"):
        run_sweep(cfg, cfg.runs(), max_epochs=0, echo=lambda s: None)
    assert not (Path(cfg.output) / cfg.runs()[0].run_id).exists()


def test_dry_run_after_an_edit_shows_what_will_run_again(tmp_path, capsys):
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    cfg = load_config(p)
    (done,) = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert done.status == "finished"
    assert main(["run", str(p), "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("\tfinished")
    p.write_text(p.read_text().replace("lr: 0.001", "lr: 0.002"))
    assert main(["run", str(p), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{done.run_id}\twill run again: the configuration (")
    assert "task.recipe_overrides.lr: 0.001 -> 0.002" in lines[0]
    assert "crop_scale" not in lines[0]  # [0.4, 1.0] (read back) and (0.4, 1.0): no change
    assert "(1 finished under other settings will run again)" in lines[-1]
    # what the real run does agrees with what the dry run said
    cfg = load_config(p)
    ok, why = reusable(cfg.runs()[0], Path(cfg.output) / done.run_id)
    assert not ok and why is not None and "crop_scale" not in why
    (again,) = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert again.status == "finished" and again.seconds > 0  # it ran, it was not skipped


def test_a_newline_in_the_output_folder_never_reaches_the_sbatch_script(tmp_path):
    p = write_tiny_config(tmp_path, seeds=(0,), adapters=("select",))
    p.write_text(p.read_text() + "launcher:\n  type: slurm\n  slurm: {slurm_partition: gpu}\n")
    cfg = load_config(p, output=str(tmp_path / "runs\ntouch pwned"))
    with pytest.raises(ValueError, match=r"the output folder: .* contains the control character "
                                         r"'\\n'"):
        run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert not list(tmp_path.rglob("*.sh"))  # no script was written


def test_submitit_writes_a_newline_in_a_value_as_a_shell_line():
    """Why control characters are refused: submitit quotes the value, but inside the quotes a
    newline still ends the ``#SBATCH`` comment and bash runs the next line."""
    from submitit.slurm.slurm import _make_sbatch_string

    script = _make_sbatch_string(command="python x.py", folder="/tmp/f",
                                 job_name="x\ntouch /tmp/pwned")
    assert "\ntouch /tmp/pwned'" in script  # a shell line of its own, outside the comment


def _mixed_size_folder(tmp_path: Path) -> Path:
    """The tiny folder fixture with ``scene_1.tif`` (image and mask) cut to 4 x 4 px."""
    import shutil

    import rasterio
    from rasterio.windows import Window

    root = tmp_path / "mixed"
    shutil.copytree(DATA / "hsi_folder/root", root)
    for sub in ("images", "masks"):
        path = root / sub / "scene_1.tif"
        with rasterio.open(path) as src:
            data, prof, tags = src.read(window=Window(0, 0, 4, 4)), src.profile, [
                src.tags(b) for b in range(1, src.count + 1)]
            scales = src.scales
        prof.update(width=4, height=4, transform=prof["transform"])
        with rasterio.open(path, "w", **prof) as dst:
            dst.write(data)
            dst.scales = scales
            for b, t in enumerate(tags, 1):
                dst.update_tags(b, **t)
    return root


def _folder_config(tmp_path: Path, root: Path, cache: bool) -> Path:
    p = tmp_path / f"mixed_{cache}.yaml"
    p.write_text(textwrap.dedent(f"""
    name: mixed
    data_root: {root.parent}
    output: {tmp_path / "runs"}
    seeds: [0]
    tasks:
      - name: folder
        dataset: hsi_folder
        root: {root.name}
        cache: {str(cache).lower()}
        recipe_overrides: {{max_epochs: 1, batch_size: 2, image_size: 16, lr: 0.001,
                            head: {{channels: 8, num_convs: 1, dropout: 0.0}}}}
    adapters:
      - {{name: select, input_mode: select, args: {{coverage: drop}}}}
    backbones:
      - {{name: stub, pretrained: false}}
    trainer: {{accelerator: cpu}}
    """))
    return p


def mixed_chip_sizes(tmp_path: Path) -> str:
    """A folder whose chips differ in size, run with the cache; the message it gets."""
    root = _mixed_size_folder(tmp_path)
    cfg = load_config(_folder_config(tmp_path, root, cache=True))
    (res,) = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert res.status == "failed" and res.error is not None
    return res.error


def test_mixed_chip_sizes_get_advice_the_folder_dataset_can_follow(tmp_path):
    msg = mixed_chip_sizes(tmp_path)
    assert "(scene_1.tif) has image of shape (" in msg and "the chips differ in size" in msg
    assert "Set `cache: false` on the task" in msg and "resize/pad size policy" not in msg
    # ... and following it works
    cfg = load_config(_folder_config(tmp_path, tmp_path / "mixed", cache=False))
    (res,) = run_sweep(cfg, cfg.runs(), force=True, echo=lambda s: None)
    assert res.status == "finished", res.error

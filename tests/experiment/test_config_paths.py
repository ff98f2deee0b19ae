"""Relative paths in a config resolve against the config file's folder, not the current one."""

from __future__ import annotations

import textwrap

from hsiadapt.cli import main
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.plan import plan_run


def _config(folder):
    folder.mkdir(parents=True)
    p = folder / "study.yaml"
    p.write_text(textwrap.dedent("""
    name: study
    data_root: data
    output: runs
    seeds: [0]
    tasks:
      - {name: t, dataset: hsi_folder, root: tiles, raw_statistics: stats,
         normalization: study}
    adapters:
      - {name: srf, input_mode: srf}
    backbones:
      - {name: stub, pretrained: false, ckpt_path: ../weights/w.pt}
    """))
    return p


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    cfg_path = _config(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_config("../project/study.yaml")
    assert cfg.data_root == str(tmp_path / "project/data")
    assert cfg.output == str(tmp_path / "project/runs")
    assert cfg.backbones[0].ckpt_path == str(tmp_path / "weights/w.pt")
    plan = plan_run(cfg.runs()[0])
    assert plan.data.root == tmp_path / "project/data/tiles"
    assert plan.data.raw_statistics == tmp_path / "project/data/stats"
    # paths typed on the command line are relative to the current directory
    cli = load_config(cfg_path, data_root="d", output="o")
    assert (cli.data_root, cli.output) == (str(elsewhere / "d"), str(elsewhere / "o"))


def test_run_dry_run_from_another_folder_shows_absolute_output(tmp_path, monkeypatch, capsys):
    cfg_path = _config(tmp_path / "project")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "project/study.yaml", "--dry-run"]) == 0
    assert f"1 runs -> {tmp_path / 'project/runs'}" in capsys.readouterr().out
    assert not (tmp_path / "runs").exists()
    assert main(["run", str(cfg_path.with_name("nope.yaml"))]) == 2
    assert f"config file {tmp_path / 'project/nope.yaml'} does not exist" in \
        capsys.readouterr().err

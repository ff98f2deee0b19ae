"""Every hint in hsiadapt's messages names a flag the CLI has and a YAML key a config accepts.

The source is read, not run: every string literal under ``src/hsiadapt`` (error messages, help
texts, docstrings) is searched for command-line flags (``--name``) and for YAML-key hints
(``key: value`` in a message that speaks of a config, ``dataset_args`` or an adapter's args);
each flag must exist in :func:`hsiadapt.cli.build_parser`, each key in the config dataclasses,
the recipes, or the parameters of a registered dataset or adapter (what ``dataset_args`` and an
adapter's ``args`` take)."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import re
from pathlib import Path

import hsiadapt
from hsiadapt.cli import build_parser

SRC = Path(hsiadapt.__file__).parent
FLAG = re.compile(r"(?<![\w-])--([a-z][a-z-]*[a-z])\b")
#: YAML-key hints: ``snake_key: value``, ``'key: value'`` / ``{key: value}``, or
#: ``key: value (in the config's ...)``
KEY = re.compile(r"(?<![\w.=-])([a-z]+_[a-z_]*[a-z]): (?=[\w'\"\[{./-])"
                 r"|(?<=['{])([a-z][a-z_]*[a-z]): "
                 r"|(?<![\w.=-])([a-z][a-z_]*[a-z]): \S+ \(in the config")
CONFIG_TALK = re.compile(r"config|dataset_args|adapter's args|backbone\b|task's", re.I)


def _strings(docstrings: bool = True) -> list[tuple[str, str]]:
    """``(file:line, text)`` of every string literal, f-strings joined with ``{}`` holes."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text())
        docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if not docstrings and id(node) in docs:
                continue
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}"
                               for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            out.append((f"{path.relative_to(SRC)}:{node.lineno}", text))
    return out


def _parser_flags() -> set[str]:
    flags: set[str] = set()

    def walk(p: argparse.ArgumentParser) -> None:
        for a in p._actions:
            flags.update(o[2:] for o in a.option_strings if o.startswith("--"))
            if isinstance(a, argparse._SubParsersAction):
                for sub in a.choices.values():
                    walk(sub)

    walk(build_parser())
    return flags


def _config_keys() -> set[str]:
    import hsiadapt.demo  # noqa: F401  (its datasets)
    from hsiadapt.adapters import ADAPTERS
    from hsiadapt.datasets import DATASETS
    from hsiadapt.experiment import config
    from hsiadapt.models.recipes import Recipe
    from hsiadapt.spectral.resampling import build_map

    keys = set(config._TOP)
    for cls in (config.TaskSpec, config.AdapterSpec, config.BackboneSpec, config.TrainerSpec,
                config.LauncherSpec, Recipe):
        keys |= {f.name for f in dataclasses.fields(cls)}
    for name in DATASETS.names():
        keys |= set(inspect.signature(DATASETS.get(name)).parameters)
    for name in ADAPTERS.names():
        keys |= set(inspect.signature(ADAPTERS.get(name)).parameters)
    keys |= set(inspect.signature(build_map).parameters)
    return keys


def test_every_flag_named_in_the_source_exists():
    flags = _parser_flags()
    named = {(where, f) for where, text in _strings() for f in FLAG.findall(text)}
    assert len(named) > 15  # the search finds the hints (a guard against a broken regex)
    missing = sorted(f"{where}: --{f}" for where, f in named if f not in flags)
    assert not missing, "messages name flags the CLI does not have:\n" + "\n".join(missing)


def test_every_yaml_key_named_in_a_hint_exists():
    keys = _config_keys()
    named = {(where, k) for where, text in _strings(docstrings=False) if CONFIG_TALK.search(text)
             for k in ("".join(m) for m in KEY.findall(text))}
    assert {k for _, k in named} >= {"coverage", "reflectance_scale", "pretrained"}
    missing = sorted(f"{where}: {k}" for where, k in named if k not in keys)
    assert not missing, "messages name config keys that do not exist:\n" + "\n".join(missing)


def test_no_python_only_spellings_in_user_messages():
    """Python spellings a CLI/YAML user cannot type appear only beside their YAML/CLI form."""
    bad = re.compile(r"read_wavelength_file /|unit='um'|coverage='drop'|the class docstring")
    hits = [f"{w}: {t[:80]}" for w, t in _strings(docstrings=False) if bad.search(t)]
    assert not hits, hits


def test_cli_rewrites_python_keywords_of_deep_errors():
    from hsiadapt.hints import user_terms

    msg = user_terms("(2) pass ckpt_path=/path/to/w.pt. Random only with pretrained=False.")
    assert "ckpt_path: /path/to/w.pt (in the config's backbone)" in msg
    assert "pretrained: false (in the config's backbone)" in msg and "=" not in msg


def test_piping_into_head_ends_quietly():
    """``hsiadapt spectral ... | head`` used to end in a BrokenPipeError traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "hsiadapt", "spectral", "enmap", "enmap", "--method", "select",
         "--format", "csv"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**__import__("os").environ, "PYTHONPATH": str(SRC.parent)})
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"source_band")
    proc.stdout.close()  # the reader leaves, as head does
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and "Traceback" not in err and "BrokenPipe" not in err


def test_sensors_columns_align(capsys):
    from hsiadapt.cli import main

    assert main(["sensors"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines()
             if not ln.lstrip().startswith("source:")]  # each sensor's source, on its own line
    assert len({ln.index(" bands ") for ln in lines}) == 1  # long names do not shift columns


def test_data_check_wavelengths_flag(capsys, tmp_path, data_dir):
    import shutil

    from hsiadapt.cli import main

    root = tmp_path / "r"
    shutil.copytree(data_dir / "hsi_folder/root", root)
    (tmp_path / "wl.txt").write_text("\n".join(str(500 + 10 * i) for i in range(30)))
    assert main(["data", "check", str(root), "--dataset", "hsi_folder", "--arg",
                 "background_codes=[0]", "--wavelengths", str(tmp_path / "wl.txt")]) in (0, 1)
    assert "bands: 30 (wl), 500.0-790.0 nm" in capsys.readouterr().out
    assert main(["data", "check", str(root), "--dataset", "enmap_bnetd", "--wavelengths",
                 "enmap"]) == 2
    assert "--wavelengths works with --dataset hsi_folder" in capsys.readouterr().err

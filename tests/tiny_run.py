"""One short run of the stub backbone on a folder dataset (``hsi_folder``): the trained run that
predict's, the folder's and the benchmarks' tests start from, written once.

``tiny_run`` writes the config, runs it through the real sweep and returns the run's result;
``tiny_run_dir`` also checks it finished and returns its folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["tiny_run", "tiny_run_dir"]

#: the select adapter that tolerates any band table (nearest band centre, uncovered bands kept)
SELECT_NEAREST: dict[str, Any] = {"name": "select", "input_mode": "select",
                                  "args": {"coverage": "nearest"}}
SRF: dict[str, Any] = {"name": "srf", "input_mode": "srf"}


def tiny_run(data_root: Path, output: Path, *, root: str = ".", task: str = "folder",
             dataset_args: dict[str, Any] | None = None, adapter: dict[str, Any] = SELECT_NEAREST,
             image_size: int = 16, batch_size: int = 2, name: str = "tiny") -> Any:
    """One epoch of the stub backbone on ``data_root/root``; the sweep's ``RunResult``. The
    config is written as ``output/../<name>.yaml`` (YAML accepts JSON)."""
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.sweep import run_sweep

    task_def: dict[str, Any] = {
        "name": task, "dataset": "hsi_folder", "root": root, "recipe": "study_segmentation",
        "recipe_overrides": {"max_epochs": 1, "batch_size": batch_size,
                             "image_size": image_size, "lr": 0.001,
                             "head": {"channels": 8, "num_convs": 3, "dropout": 0.0}},
    }
    if dataset_args:
        task_def["dataset_args"] = dataset_args
    config = {"name": name, "data_root": str(data_root), "output": str(output), "seeds": [0],
              "tasks": [task_def], "adapters": [adapter],
              "backbones": [{"name": "stub", "pretrained": False}],
              "trainer": {"accelerator": "cpu"}}
    output.parent.mkdir(parents=True, exist_ok=True)
    cfg_path = output.parent / f"{name}.yaml"
    cfg_path.write_text(json.dumps(config, indent=1))
    cfg = load_config(cfg_path)
    [res] = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    return res


def tiny_run_dir(data_root: Path, output: Path, **kwargs: Any) -> Path:
    """:func:`tiny_run`, checked to have finished; the run's folder."""
    res = tiny_run(data_root, output, **kwargs)
    if res.status != "finished":
        raise AssertionError(f"the tiny run did not finish: {res.error}")
    return output / res.run_id

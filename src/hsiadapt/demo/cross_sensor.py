"""Cross-sensor scoring: a model fine-tuned on EnMAP, scored on the same test scenes rendered for
another sensor (:mod:`hsiadapt.demo.other_sensors`), without retraining.

What changes with the sensor, and nothing else:

* ``select`` / ``srf`` (fixed adapters in the data pipeline): the projection is recomputed from
  the other sensor's band table; the projected bands are normalised with the statistics the
  run trained with (``stats.json``), as every later input of that model would be;
* ``tokenizer``: the kernels are regenerated from the other sensor's centres and FWHM
  (:func:`hsiadapt.models.tokenizer_install.retarget`); its input bands are normalised with their own
  statistics (from that sensor's *unlabelled* training scenes - a band table needs statistics
  of its own), and the fold maps them into the projected-band statistics the run trained with;
* ``full_spectrum`` and ``native`` read EnMAP's 202 bands only: they are not scored elsewhere.

The scene folder must hold every split (the tokenizer's input statistics come from the training
scenes; no label is read but the test split's).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from hsiadapt.models.model import NormalizationFold
    from hsiadapt.spectral import BandSet

__all__ = ["TRANSFERABLE", "cross_sensor_rows", "score_on_sensor"]

#: the input modes whose projection is recomputed from a band table (they read any sensor)
TRANSFERABLE = ("select", "srf", "tokenizer")


def score_on_sensor(run_dir: str | Path, sensor: str, scenes: str | Path) -> dict[str, float]:
    """The test metrics (``miou``, ``iou/<class>``...) of the finished run in ``run_dir`` on the
    test scenes under ``scenes`` (a benchmark root rendered for ``sensor``: its task folder,
    e.g. ``spectralearth``, sits below it)."""
    import torch
    import yaml

    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.data.stats import BandStatistics
    from hsiadapt.experiment.config import RunSpec
    from hsiadapt.experiment.plan import plan_run
    from hsiadapt.experiment.record import CONFIG_FILE, read_record
    from hsiadapt.experiment.run_files import run_statistics, run_weights
    from hsiadapt.models.task import build_task
    from hsiadapt.models.tokenizer_install import find_tokenizer, retarget

    rd = Path(run_dir)
    rec = read_record(rd)
    if rec is None or not rec.finished:
        raise ValueError(f"{rd}: not a finished run")
    trained = rec.bands()
    if trained is None:
        raise ValueError(f"{rd}: the run record has no source band table")
    spec = RunSpec.from_dict(yaml.safe_load((rd / CONFIG_FILE).read_text()))
    mode = spec.adapter.input_mode
    if mode not in TRANSFERABLE:
        raise ValueError(f"{rd}: input_mode {mode!r} reads the {len(trained)} bands it was trained "
                         f"on only; cross-sensor scoring takes {', '.join(TRANSFERABLE)}")
    plan = plan_run(spec, precision="32-true")
    plan = replace(plan, model=replace(plan.model, pretrained=False, ckpt_path=None))
    task_root = Path(scenes) / Path(spec.task.root or spec.task.name).name
    data = replace(plan.data, root=task_root, cache=False,
                   dataset_args={**plan.data.dataset_args, "bands": sensor})
    dm = HSIDataModule.from_plan(data)
    dm.setup("fit")
    stats = run_statistics(rd, plan.data.normalization)
    fold = None
    if dm.adapter is not None and stats is not None:  # the trained model's normalisation
        dm.statistics = BandStatistics(tuple(stats["mean"]), tuple(stats["std"]),
                                       tuple(dm.adapter.target.names), "run")
        dm.splits = {}
        dm.setup("test")
    elif stats is not None:
        fold = _placeholder_fold(plan, trained, stats)
    n_classes = len(dm.info.classes)
    if dm.adapter is not None:
        model = plan.model.build(dm.info.bands, n_classes, target=dm.adapter.target)
    else:  # built for the trained band table, its weights loaded, then retargeted
        model = plan.model.build(trained, n_classes, fold=fold)
    model.load_state_dict(run_weights(rd))
    if find_tokenizer(model) is not None:  # a generated embedding: set for the new bands
        st = dm.statistics
        retarget(model, dm.info.bands, None if st is None else np.asarray(st.mean),
                 None if st is None else np.asarray(st.std))
    task = build_task(model, plan.recipe, dm.info).eval()
    task.reset_metrics("test")
    with torch.no_grad():
        for batch in dm.test_dataloader():
            task.update_metrics("test", task(batch).float(), batch)
    return {k: float(v) for k, v in task.compute_metrics("test").items()
            if isinstance(v, (int, float))}


def _placeholder_fold(plan: Any, trained: BandSet, stats: dict[str, Any]) -> NormalizationFold:
    """A fold of the trained structure (as :func:`hsiadapt.experiment.predict.load_run_model`
    builds it): the run's input statistics, and placeholder target statistics that the
    weights overwrite."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.models.model import NormalizationFold

    args = plan.model.adapter_args or {}
    n_t = len(build_adapter("select", trained, plan.model.target,
                            coverage=args.get("coverage", "error")).target)
    return NormalizationFold(np.asarray(stats["mean"]), np.asarray(stats["std"]), np.zeros(n_t),
                             np.ones(n_t))


def cross_sensor_rows(scores: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``results.csv`` rows with a ``sensor`` column: per (task, model, init, adapter, sensor),
    the mean, sample std and count over seeds of the primary metric. ``scores``: one dict per
    (run, sensor) with those keys and ``metric``, ``direction``, ``value``."""
    from collections import defaultdict

    keys = ("task", "model", "init", "adapter", "sensor", "metric", "direction")
    groups: dict[tuple[Any, ...], list[float]] = defaultdict(list)
    for s in scores:
        groups[tuple(s[k] for k in keys)].append(float(s["value"]))
    rows = []
    for key in sorted(groups):
        v = np.asarray(groups[key])
        rows.append({**dict(zip(keys, key, strict=True)), "mean": float(v.mean()),
                     "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0, "n": len(v)})
    return rows

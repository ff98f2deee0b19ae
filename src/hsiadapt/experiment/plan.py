"""One run plan: a resolved run config turned into what to build, in one place.

:func:`plan_run` decides, from what the components declare about themselves (never from their
names), where the spectral adapter runs - a *fixed* adapter (``trainable = False``: select,
srf, ...) in the data pipeline, where its output is cached; a learned one (or the full-spectrum
embedding, or a native backbone) in the model - and which statistics normalise the input.
``run``, ``predict``, ``figures`` and the demo all build through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hsiadapt.adapters import ADAPTERS
from hsiadapt.data.plan import DataPlan
from hsiadapt.experiment.config import RunSpec
from hsiadapt.models.input_modes import input_mode as get_input_mode
from hsiadapt.models.plan import ModelPlan
from hsiadapt.models.precision import DEFAULT_PRECISION
from hsiadapt.models.recipes import Recipe

if TYPE_CHECKING:
    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.models.fold import NormalizationFold
    from hsiadapt.models.task import HSITask

__all__ = ["BuiltRun", "DataPlan", "ModelPlan", "RunPlan", "build_run", "check_splits",
           "fixed_adapter", "plan_run", "plan_summary", "run_precision"]


def fixed_adapter(input_mode: str) -> bool:
    """Whether an input mode is a fixed adapter (runs in the data pipeline, cacheable)."""
    return get_input_mode(input_mode).runs_in == "data"


def run_precision(spec: RunSpec) -> str:
    """The Lightning precision of a run: ``trainer.precision``, else the recipe's on a GPU, else
    ``32-true`` (CPU)."""
    import torch

    accel = spec.trainer.accelerator
    on_gpu = torch.cuda.is_available() and accel in ("auto", "gpu", "cuda")
    return spec.trainer.precision or (spec.task.recipe_obj().precision if on_gpu
                                      else DEFAULT_PRECISION)


def _resolve(path: str | None, data_root: str) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    return p if p.is_absolute() else Path(data_root) / p


@dataclass(frozen=True)
class RunPlan:
    spec: RunSpec
    recipe: Recipe
    data: DataPlan
    model: ModelPlan
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def precision(self) -> str:
        return self.model.precision


def plan_run(spec: RunSpec, *, precision: str | None = None) -> RunPlan:
    """The plan of one run (nothing is read or built).

    Raises:
        ValueError: a combination that cannot work (e.g. pretraining statistics for bands the
            backbone was not pretrained on).
    """
    recipe = spec.task.recipe_obj()
    mode = spec.adapter.input_mode
    fixed = fixed_adapter(mode)
    adapter_args = spec.adapter.args_for(spec.task.name)
    if isinstance(adapter_args.get("matrix"), str):  # a weight file, relative to the data root
        adapter_args["matrix"] = str(_resolve(adapter_args["matrix"], spec.data_root))
    if spec.task.normalization == "pretraining" and not fixed:
        raise ValueError("normalization 'pretraining' needs the data in the target bands: use a "
                         "fixed adapter (select/srf) or another normalization")
    dataset_args = dict(spec.task.dataset_args)
    if isinstance(dataset_args.get("size"), list):
        dataset_args["size"] = tuple(dataset_args["size"])
    from hsiadapt.models.backbones import BACKBONES

    data = DataPlan(
        task=spec.task.name, dataset=spec.task.dataset,
        root=_resolve(spec.task.root or spec.task.name, spec.data_root) or Path(spec.task.name),
        dataset_args=dataset_args, adapter=mode if fixed else None,
        adapter_args=adapter_args if fixed else {}, target=spec.backbone.target,
        batch_size=recipe.batch_size, num_workers=spec.task.num_workers,
        size=recipe.image_size, normalization=spec.task.normalization,  # type: ignore[arg-type]
        augmentation=recipe.augmentation, crop_scale=tuple(recipe.crop_scale),  # type: ignore[arg-type]
        augmentation_args=_augmentation_args(recipe), augmentation_on=recipe.augmentation_on,
        raw_statistics=_resolve(spec.task.raw_statistics, spec.data_root)
        if spec.task.normalization == "study" else None,
        statistics_units=spec.task.statistics_units,  # type: ignore[arg-type]
        study_statistics=spec.task.study_statistics,  # type: ignore[arg-type]
        cache=spec.task.cache and fixed,
        pretraining_statistics=BACKBONES.get(spec.backbone.name).pretraining_statistics)
    ckpt = _resolve(spec.backbone.ckpt_path, spec.data_root)
    model = ModelPlan(
        task=recipe.task, input_mode="none" if fixed else mode, backbone=spec.backbone.name,
        target=spec.backbone.target, pretrained=spec.backbone.pretrained,
        ckpt_path=str(ckpt) if ckpt else None, adapter_args=None if fixed else adapter_args,
        head_args=dict(recipe.head), backbone_args=dict(spec.backbone.args),
        mask_channel=recipe.mask_channel, precision=precision or run_precision(spec))
    return RunPlan(spec=spec, recipe=recipe, data=data, model=model)


def _background(d: DataPlan) -> str | None:
    """How background pixels count: ``ignore`` (left out of loss and metric) or ``class`` (one
    more class, trained and scored); ``None`` for a dataset without the option."""
    import inspect

    from hsiadapt.datasets import DATASETS

    if "background" in d.dataset_args:
        return str(d.dataset_args["background"])
    param = inspect.signature(DATASETS.get(d.dataset)).parameters.get("background")
    return None if param is None or param.default is inspect.Parameter.empty else str(
        param.default)


def _augmentation_args(recipe: Recipe) -> dict[str, Any]:
    if recipe.augmentation != "study_hyperview":
        return {}
    return {"noise_variance": recipe.gauss_noise_variance, "noise_clip": recipe.gauss_noise_clip}


def _matrix_source(mode: str, args: dict[str, Any]) -> str | None:
    """Where a fixed adapter's matrix comes from, as the adapter itself says."""
    if mode not in ADAPTERS:
        return None
    return ADAPTERS.get(mode).matrix_source(args)


def plan_summary(plan: RunPlan) -> dict[str, Any]:
    """Everything that decides a run's numbers, resolved, as plain JSON-ready values - what
    ``hsiadapt run CONFIG --dry-run --format json`` prints, one object per run."""
    from hsiadapt.experiment.scoring import test_scoring
    from hsiadapt.models.task import TASKS

    r, d, m, spec = plan.recipe, plan.data, plan.model, plan.spec
    task = TASKS[r.task]
    primary = task.primary_for(r)
    monitor, monitor_mode = task.monitor_for(r)
    adapter = spec.adapter.input_mode
    if d.normalization == "study":
        stats_source = (f"study statistics {d.raw_statistics} (mu.npy, sigma.npy), units "
                        f"{d.statistics_units or 'as the data (checked at start)'}"
                        + (" -> x 10000 to the loaders' scale"
                           if d.statistics_units == "reflectance" else "")
                        + ("; selected bands get the next band's statistics (paper)"
                           if d.study_statistics == "paper" else ""))
    elif d.normalization == "pretraining":
        stats_source = f"{m.backbone} pretraining statistics"
    elif d.normalization == "data":
        stats_source = "computed from the training split after the adapter"
    else:
        stats_source = None
    args = spec.adapter.args_for(spec.task.name)
    return {
        "run_id": spec.run_id, "experiment": spec.experiment, "task": spec.task.name,
        "dataset": d.dataset,
        "root": str(d.root), "dataset_args": d.dataset_args, "seed": spec.seed,
        "background": _background(d), "nodata": "left out of loss and metric",
        "backbone": m.backbone, "pretrained": m.pretrained, "ckpt_path": m.ckpt_path,
        "adapter": spec.adapter.name, "input_mode": adapter,
        "adapter_runs_in": "data pipeline (cached)" if d.adapter else "model",
        "adapter_args": args,
        "matrix_source": _matrix_source(adapter, {**args, **d.adapter_args}),
        "coverage": args.get("coverage", "error"), "target": m.target,
        "optimizer": task.OPTIMIZER, "lr": r.lr, "weight_decay": r.weight_decay,
        "scheduler": r.scheduler,
        "scheduler_args": ({"t_max": r.cosine_t_max, "eta_min": r.cosine_eta_min}
                           if r.scheduler == "cosine" else
                           {"patience": r.plateau_patience, "factor": r.plateau_factor}
                           if r.scheduler == "plateau" else {}),
        "max_epochs": r.max_epochs, "monitor": monitor,
        "monitor_mode": monitor_mode,
        "patience": r.patience, "primary_metric": primary[0], "batch_size": r.batch_size,
        "image_size": r.image_size, "head": r.head, "mask_channel": r.mask_channel,
        "augmentation": r.augmentation, "crop_scale": list(r.crop_scale),
        "augmentation_args": d.augmentation_args, "augmentation_on": d.augmentation_on,
        "clip_after_projection": bool({**args, **d.adapter_args}.get("clip_after_projection")),
        "test_checkpoint": r.test_checkpoint,
        "min_delta": r.min_delta, "regression_loss": r.regression_loss
        if r.task == "regression" else None,
        "normalization": d.normalization, "statistics_source": stats_source,
        "class_weights": spec.task.class_weights, "precision": m.precision,
        "test_scoring": test_scoring(d.dataset, r),
    }


def check_splits(dm: HSIDataModule) -> None:
    """Before training: the validation and test splits open (else the dataset's own error, which
    names the missing split file, instead of Lightning's "call setup() first" mid-run)."""
    for split in ("val", "test"):
        if split not in dm.splits:
            dm.dataset_cls(dm.root, split, **dm.dataset_args)  # raises, naming what is missing
            raise RuntimeError(f"the dataset has no {split} split under {dm.root}")


def full_spectrum_fold(plan: RunPlan, dm: HSIDataModule,
                       cache_dir: Path | None = None) -> NormalizationFold | None:
    """For a full-spectrum run: the statistics the run normalises its source bands with, and
    those the adapter run it starts from would normalise the adapted bands with (computed the
    same way: from the adapted training data, or propagated study statistics)."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.data.stats import compute_statistics, propagated_statistics
    from hsiadapt.models.fold import NormalizationFold
    from hsiadapt.models.input_modes import DEFAULT_INIT

    if not get_input_mode(plan.model.input_mode).folds_normalization or dm.statistics is None:
        return None
    args = plan.model.adapter_args or {}
    init = args.get("init", DEFAULT_INIT)
    adapter = build_adapter(init, dm.info.bands, plan.model.target,
                            **{k: v for k, v in args.items() if k in ("coverage", "integration")})
    if dm.normalization == "study" and dm.raw_statistics is not None:
        matrix = adapter.linear_matrix()
        assert matrix is not None
        tgt = propagated_statistics(*dm.raw_statistics, matrix, adapter.target.names)
    else:
        tgt = compute_statistics(dm.info, adapter, batch_size=plan.data.batch_size,
                                 cache_dir=None if cache_dir is None else cache_dir / "stats")
    src = dm.statistics
    return NormalizationFold(np.asarray(src.mean), np.asarray(src.std),
                             np.asarray(tgt.mean), np.asarray(tgt.std))


@dataclass
class BuiltRun:
    """A plan with its data module and Lightning task built."""

    plan: RunPlan
    datamodule: HSIDataModule
    task: HSITask


def build_run(plan: RunPlan, run_dir: Path | None = None) -> BuiltRun:
    """Build the data module (set up for fitting) and the task of a planned run (no
    training); each part builds from its own part of the plan."""
    import torch

    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.models.task import build_task

    cache = (run_dir.parent / "_cache") if run_dir is not None else None
    # data passes (statistics, cache builds) draw from the global RNG; keep them out of it so
    # a seed gives the same initial weights whatever the adapter and its cache state
    with torch.random.fork_rng():
        dm = HSIDataModule.from_plan(plan.data, cache)
        dm.setup("fit")
        fold = full_spectrum_fold(plan, dm, cache)
    info = dm.info
    num_out = len(info.classes) if info.task in ("segmentation", "multilabel") else len(
        info.targets)
    model = plan.model.build(info.bands, num_out,
                             target=dm.adapter.target if dm.adapter is not None else None,
                             fold=fold)
    task = build_task(model, plan.recipe, info, class_weights=plan.spec.task.class_weights)
    return BuiltRun(plan=plan, datamodule=dm, task=task)

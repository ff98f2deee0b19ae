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
from hsiadapt.experiment.config import RunSpec
from hsiadapt.models.precision import DEFAULT_PRECISION
from hsiadapt.models.recipes import Recipe

if TYPE_CHECKING:
    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.models.model import AdaptedModel, NormalizationFold
    from hsiadapt.models.task import HSITask
    from hsiadapt.spectral import BandSet

__all__ = ["BuiltRun", "DataPlan", "ModelPlan", "RunPlan", "build_datamodule", "build_run",
           "build_run_model", "check_splits", "fixed_adapter", "plan_run", "plan_summary", "run_precision"]


def fixed_adapter(input_mode: str) -> bool:
    """Whether an input mode is a fixed adapter (runs in the data pipeline, cacheable)."""
    return input_mode in ADAPTERS and not ADAPTERS.get(input_mode).trainable


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
class DataPlan:
    """The data pipeline of a run."""

    dataset: str
    root: Path
    dataset_args: dict[str, Any]
    adapter: str | None  # the fixed adapter applied in the pipeline, or None
    adapter_args: dict[str, Any]
    target: str
    batch_size: int
    num_workers: int
    size: int | None
    normalization: str
    augmentation: str
    crop_scale: tuple[float, float]
    augmentation_args: dict[str, Any]  # the augmentation's own options (from the recipe)
    augmentation_on: str  # "loader" or "device"
    raw_statistics: Path | None  # folder with mu.npy / sigma.npy (normalization "study")
    statistics_units: str | None  # "dn", "reflectance" or None (must match the data)
    study_statistics: str  # "corrected" or "paper" (the next band's statistics, as ran)
    cache: bool


@dataclass(frozen=True)
class ModelPlan:
    """The model of a run (its input bands are known once the dataset is opened)."""

    input_mode: str  # "none" when the adapter ran in the data pipeline
    backbone: str
    target: str
    pretrained: bool
    ckpt_path: str | None
    adapter_args: dict[str, Any] | None
    head_args: dict[str, Any]
    backbone_args: dict[str, Any]
    mask_channel: bool
    precision: str


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
    data = DataPlan(
        dataset=spec.task.dataset,
        root=_resolve(spec.task.root or spec.task.name, spec.data_root) or Path(spec.task.name),
        dataset_args=dataset_args, adapter=mode if fixed else None,
        adapter_args=adapter_args if fixed else {}, target=spec.backbone.target,
        batch_size=recipe.batch_size, num_workers=spec.task.num_workers,
        size=recipe.image_size, normalization=spec.task.normalization,
        augmentation=recipe.augmentation, crop_scale=tuple(recipe.crop_scale),  # type: ignore[arg-type]
        augmentation_args=_augmentation_args(recipe), augmentation_on=recipe.augmentation_on,
        raw_statistics=_resolve(spec.task.raw_statistics, spec.data_root)
        if spec.task.normalization == "study" else None,
        statistics_units=spec.task.statistics_units,
        study_statistics=spec.task.study_statistics,
        cache=spec.task.cache and fixed)
    ckpt = _resolve(spec.backbone.ckpt_path, spec.data_root)
    model = ModelPlan(
        input_mode="none" if fixed else mode, backbone=spec.backbone.name,
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


def _matrix_source(adapter: str, args: dict[str, Any]) -> str | None:
    if adapter not in ("select", "srf"):
        return None
    if "preset" in args:
        return f"published matrix preset {args['preset']!r}"
    if "matrix" in args:
        return f"weight file {args['matrix']}"
    if adapter == "select":
        return "computed: nearest band centres"
    from hsiadapt.spectral.resampling import DEFAULT_INTEGRATION

    return f"computed: integration {args.get('integration', DEFAULT_INTEGRATION)}"


def plan_summary(plan: RunPlan) -> dict[str, Any]:
    """Everything that decides a run's numbers, resolved, as plain JSON-ready values - what
    ``hsiadapt run CONFIG --dry-run --format json`` prints, one object per run."""
    from hsiadapt.experiment.scoring import test_scoring
    from hsiadapt.models.task import TASKS

    r, d, m, spec = plan.recipe, plan.data, plan.model, plan.spec
    primary = TASKS[r.task].primary_for(r)
    monitor = r.monitor or f"val/{primary[0]}"
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
        "optimizer": "AdamW", "lr": r.lr, "weight_decay": r.weight_decay,
        "scheduler": r.scheduler,
        "scheduler_args": ({"t_max": r.cosine_t_max, "eta_min": r.cosine_eta_min}
                           if r.scheduler == "cosine" else
                           {"patience": r.plateau_patience, "factor": r.plateau_factor}
                           if r.scheduler == "plateau" else {}),
        "max_epochs": r.max_epochs, "monitor": monitor,
        "monitor_mode": "min" if monitor.endswith("loss") else primary[1],
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


def build_datamodule(plan: RunPlan, cache_dir: Path | None = None) -> HSIDataModule:
    """The data module of a plan (set up for fitting)."""
    import numpy as np

    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.models.backbones import BACKBONES

    d = plan.data
    raw_stats = None
    if d.raw_statistics is not None:
        raw_stats = (np.load(d.raw_statistics / "mu.npy", allow_pickle=False),
                     np.load(d.raw_statistics / "sigma.npy", allow_pickle=False))
    dm = HSIDataModule(
        d.dataset, d.root, dataset_args=d.dataset_args, adapter=d.adapter,
        adapter_args=d.adapter_args if d.adapter else None, target=d.target,
        batch_size=d.batch_size, num_workers=d.num_workers, size=d.size,
        augmentation=d.augmentation, crop_scale=d.crop_scale,
        augmentation_args=d.augmentation_args, augmentation_on=d.augmentation_on,
        normalization=d.normalization,  # type: ignore[arg-type]
        raw_statistics=raw_stats, statistics_units=d.statistics_units,
        statistics_offset=1 if d.study_statistics == "paper" else 0,
        pretraining_statistics=BACKBONES.get(plan.model.backbone).pretraining_statistics,
        cache_dir=cache_dir if d.cache else None)
    if raw_stats is not None and d.raw_statistics is not None:
        _check_statistics_files(d.raw_statistics, raw_stats, len(dm.info.bands), plan)
    dm.setup("fit")
    return dm


def _check_statistics_files(folder: Path, stats: tuple[np.ndarray, np.ndarray], bands: int,
                            plan: RunPlan) -> None:
    """``mu.npy`` / ``sigma.npy`` hold one value per source band."""
    mu, sigma = (np.asarray(a) for a in stats)
    if mu.ndim == 1 and sigma.ndim == 1 and len(mu) == len(sigma) == bands:
        return
    raise ValueError(
        f"task {plan.spec.task.name!r}, raw_statistics: {folder / 'mu.npy'} has {mu.size} values "
        f"and {folder / 'sigma.npy'} {sigma.size}, but the {plan.data.dataset} data under "
        f"{plan.data.root} have {bands} bands; point raw_statistics at statistics computed for "
        "this band table (one value per band, in band order), or use normalization: data")


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
    from hsiadapt.models.model import NormalizationFold

    if plan.model.input_mode not in ("full_spectrum", "tokenizer") or dm.statistics is None:
        return None
    args = plan.model.adapter_args or {}
    init = args.get("init", "srf")
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


def build_run_model(plan: RunPlan, source: BandSet | str, num_outputs: int,
                    target: BandSet | str | None = None,
                    fold: NormalizationFold | None = None) -> AdaptedModel:
    """The model of a plan for data in ``source`` bands (``target``: the fixed adapter's output
    bands when it ran in the pipeline, e.g. after a coverage ``drop``)."""
    from hsiadapt.models.model import build_model

    m = plan.model
    return build_model(
        task=plan.recipe.task, source=source, input_mode=m.input_mode, backbone=m.backbone,
        target=target if target is not None else m.target, num_outputs=num_outputs,
        pretrained=m.pretrained, ckpt_path=m.ckpt_path, adapter_args=m.adapter_args,
        head_args=m.head_args, backbone_args=m.backbone_args, mask_channel=m.mask_channel,
        full_spectrum_init=(m.adapter_args or {}).get("init", "srf"), full_spectrum_fold=fold,
        precision=m.precision)


@dataclass
class BuiltRun:
    """A plan with its data module and Lightning task built."""

    plan: RunPlan
    datamodule: HSIDataModule
    task: HSITask


def build_run(spec: RunSpec, run_dir: Path | None = None, *,
              precision: str | None = None) -> BuiltRun:
    """Plan, then build the data module and task of a run (no training)."""
    import torch

    from hsiadapt.models.task import build_task

    plan = plan_run(spec, precision=precision)
    cache = (run_dir.parent / "_cache") if run_dir is not None else None
    # data passes (statistics, cache builds) draw from the global RNG; keep them out of it so
    # a seed gives the same initial weights whatever the adapter and its cache state
    with torch.random.fork_rng():
        dm = build_datamodule(plan, cache)
        fold = full_spectrum_fold(plan, dm, cache)
    info = dm.info
    num_out = len(info.classes) if info.task in ("segmentation", "multilabel") else len(
        info.targets)
    model = build_run_model(plan, info.bands, num_out,
                            target=dm.adapter.target if dm.adapter is not None else None,
                            fold=fold)
    task = build_task(model, plan.recipe, info, class_weights=spec.task.class_weights)
    return BuiltRun(plan=plan, datamodule=dm, task=task)

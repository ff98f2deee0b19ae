"""Running one grid cell (``run_one``) and a whole grid (``run_sweep``).

Each run has its own folder ``<output>/<run_id>/`` - the folder tree is the results database:

* ``resolved_config.yaml``: everything the run used (recipe included), written first;
* ``metrics.json``: status (``finished`` / ``failed``), test and best-validation metrics, epochs,
  seconds, hardware, package versions, the weights' origin (``hf`` / ``ckpt:...`` / ``random``);
* ``checkpoints/``: ``last.ckpt`` (resume) and the best one (test);
* ``logs/``: per-epoch CSV (and TensorBoard / W&B / MLflow when asked for and installed);
* ``stats.json``: the normalisation statistics used; ``samples.npz``: a few test predictions
  (for figures); ``predictions.csv`` for regression.

Every file is written atomically (temporary name, then rename). A finished run is skipped on
re-run; a run killed mid-way restarts from ``last.ckpt``; a run that raises is recorded as
failed with its error, and the sweep goes on.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from hsiadapt._atomic import atomic_write_text
from hsiadapt.experiment.config import ExperimentConfig, RunSpec
from hsiadapt.models.precision import apply_precision

__all__ = ["RunResult", "atomic_write", "read_metrics", "run_one", "run_status", "run_sweep"]

log = logging.getLogger(__name__)


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    atomic_write_text(path, text)


def read_metrics(run_dir: Path) -> dict[str, Any] | None:
    """The run's ``metrics.json`` (None when absent or unreadable)."""
    p = run_dir / "metrics.json"
    try:
        return json.loads(p.read_text())
    except (OSError, ValueError):
        return None


def run_status(run_dir: Path) -> str:
    """``finished``, ``failed``, ``partial`` (started, not finished) or ``pending``."""
    m = read_metrics(run_dir)
    if m is not None:
        return str(m.get("status", "failed"))
    return "partial" if (run_dir / "resolved_config.yaml").exists() else "pending"


@dataclass
class RunResult:
    run_id: str
    status: str
    seconds: float
    metrics: dict[str, Any]


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("hsiadapt", "torch", "lightning", "terratorch", "torchgeo", "numpy", "pyrsr"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def _hardware() -> dict[str, Any]:
    import torch

    hw: dict[str, Any] = {"machine": platform.machine(), "cpus": os.cpu_count(),
                          "torch_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        hw["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return hw


def _loggers(spec: RunSpec, run_dir: Path) -> list[Any]:
    from lightning.pytorch import loggers

    out: list[Any] = []
    for name in spec.trainer.logger:
        try:
            if name == "csv":
                out.append(loggers.CSVLogger(run_dir, name="logs"))  # version_N: a resume never overwrites
            elif name == "tensorboard":
                out.append(loggers.TensorBoardLogger(run_dir, name="logs_tb", version=""))
            elif name == "wandb":
                out.append(loggers.WandbLogger(project=spec.experiment, name=spec.run_id,
                                               save_dir=str(run_dir)))
            elif name == "mlflow":
                out.append(loggers.MLFlowLogger(experiment_name=spec.experiment,
                                                run_name=spec.run_id,
                                                save_dir=str(run_dir / "mlruns")))
        except (ImportError, ModuleNotFoundError) as err:
            log.warning("logger %s not available (%s); continuing without it", name, err)
    return out


def _resolve(path: str | None, data_root: str) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    return p if p.is_absolute() else Path(data_root) / p


def run_precision(spec: RunSpec) -> str:
    """The Lightning precision of a run: ``trainer.precision``, else the recipe's on a GPU, else
    ``32-true`` (CPU)."""
    import torch

    accel = spec.trainer.accelerator
    on_gpu = torch.cuda.is_available() and accel in ("auto", "gpu", "cuda")
    return spec.trainer.precision or (spec.task.recipe_obj().precision if on_gpu else "32-true")


def build_run(spec: RunSpec, run_dir: Path | None = None):
    """Data module, task and recipe for a run (no training)."""
    from hsiadapt.datasets.datamodule import HSIDataModule
    from hsiadapt.models.model import build_model
    from hsiadapt.models.task import build_task

    recipe = spec.task.recipe_obj()
    adapter_args = spec.adapter.args_for(spec.task.name)
    mode = spec.adapter.input_mode
    fixed = mode in ("select", "srf")
    raw_stats = None
    if spec.task.normalization == "pretraining" and not fixed:
        raise ValueError("normalization 'pretraining' needs the data in the target bands: use a "
                         "fixed adapter (select/srf) or another normalization")
    if spec.task.normalization == "study":
        d = _resolve(spec.task.raw_statistics, spec.data_root)
        raw_stats = (np.load(d / "mu.npy", allow_pickle=False),
                     np.load(d / "sigma.npy", allow_pickle=False))
    root = _resolve(spec.task.root or spec.task.name, spec.data_root)
    dataset_args = dict(spec.task.dataset_args)
    if "size" in dataset_args and isinstance(dataset_args["size"], list):
        dataset_args["size"] = tuple(dataset_args["size"])
    dm = HSIDataModule(
        spec.task.dataset, root, dataset_args=dataset_args,
        adapter=mode if fixed else None, adapter_args=adapter_args if fixed else None,
        target=spec.backbone.target, batch_size=recipe.batch_size,
        num_workers=spec.task.num_workers, size=recipe.image_size,
        normalization=spec.task.normalization,
        raw_statistics=raw_stats,
        cache_dir=(run_dir.parent / "_cache") if (run_dir is not None and spec.task.cache
                                                  and fixed) else None)
    dm.setup("fit")
    info = dm.info
    num_out = len(info.classes) if info.task in ("segmentation", "multilabel") else len(
        info.targets)
    model = build_model(
        task=info.task, source=info.bands, input_mode="none" if fixed else mode,
        backbone=spec.backbone.name, target=dm.adapter.target if fixed else spec.backbone.target,
        num_outputs=num_out, pretrained=spec.backbone.pretrained,
        ckpt_path=str(_resolve(spec.backbone.ckpt_path, spec.data_root))
        if spec.backbone.ckpt_path else None,
        adapter_args=None if fixed else adapter_args, head_args=recipe.head,
        backbone_args=spec.backbone.args, mask_channel=recipe.mask_channel,
        precision=run_precision(spec))
    task = build_task(model, recipe, info, class_weights=spec.task.class_weights)
    return dm, task, recipe


def _save_samples(task, dm, run_dir: Path, k: int = 4) -> None:
    import torch

    split = "test" if "test" in dm.splits else "val"
    ds = dm.splits.get(split)
    if ds is None or len(ds) == 0:
        return
    task.eval()
    out: dict[str, Any] = {}
    with torch.no_grad():
        samples = [ds[i] for i in range(min(k, len(ds)))]
        from hsiadapt.datasets.hyperview import pad_collate

        batch = pad_collate(samples)
        pred = task(batch)
    if "mask" in batch:
        out["gt"] = batch["mask"].numpy()
        out["pred"] = pred.argmax(1).numpy()
        raw = [dm.raw[split][i]["image"] for i in range(len(samples))]
        rgbi = dm.raw[split].rgb_indices()
        rgb = np.stack([r[rgbi].permute(1, 2, 0).numpy() for r in raw])
        out["rgb"] = rgb.astype(np.float32)
    np.savez_compressed(run_dir / "samples.npz", **out)


def _save_regression_predictions(task, dm, run_dir: Path) -> None:
    import torch

    from hsiadapt.datasets.hyperview import pad_collate

    split = "test" if "test" in dm.splits else "val"
    ds = dm.splits.get(split)
    if ds is None:
        return
    rows = ["index," + ",".join(f"true_{t}" for t in task.target_names) + ","
            + ",".join(f"pred_{t}" for t in task.target_names)]
    task.eval()
    with torch.no_grad():
        for start in range(0, len(ds), 16):
            items = [ds[i] for i in range(start, min(start + 16, len(ds)))]
            b = pad_collate(items)
            if "label" not in b:
                return
            p = task.predict_original(task(b)).numpy()
            for j, (y, q) in enumerate(zip(b["label"].numpy(), p, strict=True)):
                rows.append(f"{start + j}," + ",".join(f"{v:.6g}" for v in y) + ","
                            + ",".join(f"{v:.6g}" for v in q))
    atomic_write(run_dir / "predictions.csv", "\n".join(rows) + "\n")


def _progress_bar() -> bool:
    """Per-run progress bars on an interactive terminal (HSIADAPT_PROGRESS=1/0 forces it)."""
    import sys

    forced = os.environ.get("HSIADAPT_PROGRESS")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    return sys.stdout.isatty()


def _slim_checkpoints(ckpt_dir: Path, best: str | None) -> None:
    """A finished run keeps only its best weights (no optimizer state): ``best.ckpt`` holds
    ``{"state_dict": ...}`` of plain tensors; ``last.ckpt`` (only needed to resume) goes."""
    import torch

    if best:
        state = torch.load(best, map_location="cpu", weights_only=True)
        tmp = ckpt_dir / ".best.ckpt.tmp"
        torch.save({"state_dict": state["state_dict"]}, tmp)
        os.replace(tmp, ckpt_dir / "best.ckpt")
    for p in ckpt_dir.glob("*.ckpt"):
        if p.name != "best.ckpt":
            p.unlink()


def run_one(spec: RunSpec, output: str | Path, *, force: bool = False,
            max_epochs: int | None = None) -> RunResult:
    """Train, select the best checkpoint, test, and record one run (see the module docstring).

    Never raises for a failure inside the run: the error is recorded in ``metrics.json``.
    """
    import lightning as L
    import torch
    from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

    run_dir = Path(output) / spec.run_id
    status = run_status(run_dir)
    if status == "finished" and not force:
        m = read_metrics(run_dir) or {}
        return RunResult(spec.run_id, "skipped", 0.0, m)
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / "resolved_config.yaml"
    resolved = spec.to_dict()
    ckpt_dir = run_dir / "checkpoints"
    last = ckpt_dir / "last.ckpt"
    if force:
        for p in ckpt_dir.glob("*.ckpt"):
            p.unlink()
        (run_dir / "metrics.json").unlink(missing_ok=True)
    elif cfg_path.exists():
        old = yaml.safe_load(cfg_path.read_text()) or {}
        if old.get("digest") != spec.digest() and last.exists():
            log.warning("%s: configuration changed since the checkpoint was written; starting "
                        "over", spec.run_id)
            last.unlink()
    atomic_write(cfg_path, yaml.safe_dump({**resolved, "digest": spec.digest()},
                                          sort_keys=False))
    (run_dir / "metrics.json").unlink(missing_ok=True)
    t0 = time.time()
    try:
        L.seed_everything(spec.seed, workers=True, verbose=False)
        dm, task, recipe = build_run(spec, run_dir)
        if dm.statistics is not None:
            atomic_write(run_dir / "stats.json", dm.statistics.to_json())
        monitor, mode = task.monitor
        ckpt_cb = ModelCheckpoint(dirpath=ckpt_dir, filename="best", monitor=monitor, mode=mode,
                                  save_last=True, save_top_k=1, enable_version_counter=False)
        callbacks: list[Any] = [ckpt_cb, EarlyStopping(monitor=monitor, mode=mode,
                                                       patience=recipe.patience)]
        precision = run_precision(spec)
        matmul = apply_precision(precision)  # after every import a run makes (terratorch's lowers it)
        trainer = L.Trainer(
            accelerator=spec.trainer.accelerator, devices=spec.trainer.devices, num_nodes=spec.trainer.num_nodes,
            strategy=spec.trainer.strategy, precision=precision,
            deterministic=spec.trainer.deterministic,
            max_epochs=max_epochs if max_epochs is not None else recipe.max_epochs,
            limit_train_batches=recipe.limit_train_batches,
            limit_val_batches=recipe.limit_val_batches, callbacks=callbacks,
            logger=_loggers(spec, run_dir), enable_progress_bar=_progress_bar(),
            enable_model_summary=False, num_sanity_val_steps=0,
            log_every_n_steps=1, default_root_dir=run_dir)
        resume = str(last) if last.exists() else None
        trainer.fit(task, dm, ckpt_path=resume, weights_only=True)
        best = ckpt_cb.best_model_path or (str(last) if last.exists() else None)
        if "test" not in dm.splits:
            raise RuntimeError("the dataset has no test split to score")
        trainer.test(task, dm, ckpt_path=best, weights_only=True, verbose=False)
        test = {k: v for k, v in getattr(task, "last_metrics", {}).items()}
        if torch.get_float32_matmul_precision() != matmul:
            raise RuntimeError(
                f"the float32 matmul precision changed during the run (set {matmul!r}, now "
                f"{torch.get_float32_matmul_precision()!r}): a library imported mid-run changed "
                "it, so the run's numbers are not at the precision it records")
        if recipe.task == "regression":
            _save_regression_predictions(task, dm, run_dir)
        else:
            _save_samples(task, dm, run_dir)
        _slim_checkpoints(ckpt_dir, best)
        metrics = {
            "status": "finished",
            "run_id": spec.run_id,
            "task": spec.task.name, "dataset": spec.task.dataset, "adapter": spec.adapter.name,
            "input_mode": spec.adapter.input_mode, "backbone": spec.backbone.name,
            "seed": spec.seed, "task_type": recipe.task,
            "monitor": monitor, "monitor_mode": mode,
            "best_val": float(ckpt_cb.best_model_score) if ckpt_cb.best_model_score is not None
            else None,
            "test": {k.removeprefix("test/"): v for k, v in test.items()},
            "epochs": int(trainer.current_epoch),
            "seconds": round(time.time() - t0, 2),
            "resumed_from_checkpoint": resume is not None,
            "adapter_args": spec.adapter.args_for(spec.task.name),
            "chip_px": int(dm.raw["train"][0]["image"].shape[-1]),
            "target": spec.backbone.target,
            "source_bands": {
                "name": dm.info.bands.name, "centers": dm.info.bands.centers.tolist(),
                "fwhm": [None if f != f else f for f in dm.info.bands.fwhm.tolist()],
                "valid": dm.info.bands.valid.tolist()},
            "precision": precision, "float32_matmul_precision": matmul,
            "weights": task.model.backbone_info.pretrained,
            "pretrained": task.model.backbone_info.pretrained != "random",
            "hardware": _hardware(), "versions": _versions(), "digest": spec.digest(),
        }
    except Exception as err:  # recorded, never fatal for the sweep
        metrics = {"status": "failed", "run_id": spec.run_id, "task": spec.task.name,
                   "adapter": spec.adapter.name, "backbone": spec.backbone.name,
                   "seed": spec.seed, "error": f"{type(err).__name__}: {err}",
                   "traceback": traceback.format_exc(limit=20),
                   "seconds": round(time.time() - t0, 2), "digest": spec.digest()}
    atomic_write(run_dir / "metrics.json", json.dumps(metrics, indent=1, default=float))
    return RunResult(spec.run_id, metrics["status"], metrics["seconds"], metrics)


def quiet_lightning() -> None:
    """Keep Lightning's start-up chatter (accelerator lines, tips) out of sweep output."""
    import warnings

    import lightning.pytorch  # noqa: F401  (its import sets its logger to INFO; override after)

    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message=".*treespec.*")
    warnings.filterwarnings("ignore", message=".*does not have many workers.*")
    warnings.filterwarnings("ignore", message=".*exists and is not empty.*")


def _fmt_eta(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s"


def run_sweep(cfg: ExperimentConfig, runs: Sequence[RunSpec], *, force: bool = False,
              max_epochs: int | None = None,
              echo: Callable[[str], None] = print) -> list[RunResult]:
    """Run ``runs`` with the config's launcher, printing progress with an ETA."""
    out = Path(cfg.output)
    out.mkdir(parents=True, exist_ok=True)
    quiet_lightning()
    if cfg.launcher.type != "local":
        from hsiadapt.experiment.launch import launch_submitit

        return launch_submitit(cfg, runs, force=force, max_epochs=max_epochs, echo=echo)
    results: list[RunResult] = []
    durations: list[float] = []
    todo = [r for r in runs if force or run_status(out / r.run_id) != "finished"]
    echo(f"{cfg.name}: {len(runs)} runs, {len(runs) - len(todo)} already finished, "
         f"{len(todo)} to do -> {out}")
    done = 0
    for spec in runs:
        if spec not in todo:
            results.append(RunResult(spec.run_id, "skipped", 0.0, read_metrics(
                out / spec.run_id) or {}))
            continue
        res = run_one(spec, out, force=force, max_epochs=max_epochs)
        done += 1
        durations.append(res.seconds)
        eta = np.mean(durations) * (len(todo) - done)
        extra = ""
        if res.status == "failed":
            extra = f" - {res.metrics.get('error', '')[:200]}"
        else:
            key = next((k for k in ("miou", "hyperview_score", "map_macro")
                        if k in res.metrics.get("test", {})), None)
            if key:
                extra = f" - test {key} {res.metrics['test'][key]:.4f}"
        echo(f"[{done}/{len(todo)}] {spec.run_id}: {res.status} in {res.seconds:.1f} s{extra}; "
             f"ETA {_fmt_eta(eta)}")
        results.append(res)
    return results

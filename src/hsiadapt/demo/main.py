"""``hsiadapt demo``: the study's question on the embedded benchmark, end to end, on a CPU.

Do the spatial priors of a model pretrained on Sentinel-2 survive when hyperspectral data are
squeezed into its 12 bands, compared with a model pretrained on the full hyperspectral bands?
The demo asks it at laptop scale with priors **pretrained here** (``hsiadapt pretrain``, on
scenes rendered from real spectra, disjoint from every fine-tuning split) - stand-ins, not
TerraMind or SpectralEarth:

1. the benchmark (64 px chips) and the two priors are made on first use and cached;
2. the grid (:mod:`hsiadapt.demo.grid`: random init, S2 prior with four adapters, HSI-native
   prior; two label budgets; three seeds) runs through the same config -> sweep -> table path
   as ``hsiadapt run``, in two worker processes;
3. classical baselines (LDA, random forest, ridge, PLS) run on the same splits;
4. ``results.csv``, ``table.md``, figures and ``report.md`` (with the comparisons of
   :mod:`hsiadapt.demo.findings`) are written to ``--out``.
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any, Literal

import yaml

from hsiadapt.demo.generate import BenchmarkSpec, ensure_benchmark
from hsiadapt.demo.grid import MODES, DemoMode, demo_config

__all__ = ["MODES", "demo", "terramind_tiny_weights_available"]

Mode = Literal["quick", "default", "full"]


def terramind_tiny_weights_available() -> bool:
    """True when the official TerraMind v1 tiny weights are in the Hugging Face cache."""
    try:
        from huggingface_hub import try_to_load_from_cache

        hit = try_to_load_from_cache("ibm-esa-geospatial/TerraMind-1.0-tiny",
                                     "TerraMind_v1_tiny.pt")
        return isinstance(hit, str)
    except Exception:
        return False


def _baselines(cfg: dict[str, Any], m: DemoMode, root: Path, echo) -> list[dict[str, Any]]:
    """Classical per-pixel / field-mean baselines on each task's splits (results.csv rows)."""
    from hsiadapt.demo.baselines import canopy_baselines, segmentation_baselines

    t0 = time.time()
    rows = []
    for t in cfg["tasks"]:
        args = dict(t.get("dataset_args") or {})
        subset = args.pop("train_subset", None)
        if t["dataset"] == "demo_canopy":
            args.pop("size", None)
            rows += canopy_baselines(t["dataset"], root / t["root"], task=t["name"],
                                     train_subset=subset, dataset_args=args)
        else:
            rows += segmentation_baselines(t["dataset"], root / t["root"], task=t["name"],
                                           train_subset=subset, models=m.baseline_models,
                                           seeds=m.baseline_seeds,
                                           max_train_pixels=m.baseline_pixels,
                                           n_estimators=m.baseline_trees, dataset_args=args)
    echo(f"[hsiadapt demo] classical baselines ({', '.join(m.baseline_models)}, ridge, pls) "
         f"in {time.time() - t0:.0f} s")
    return [r.row() for r in rows]


def _priors(m: DemoMode, echo) -> tuple[dict[str, Path], dict[str, dict[str, Any]]]:
    """Pretrain (or find cached) the mode's priors: paths and what their pretraining recorded."""
    from hsiadapt.demo.pretrain import pretrain

    paths, meta = {}, {}
    for name, recipe in m.priors.items():
        paths[name] = pretrain(recipe, echo=echo)
        info = paths[name].with_suffix(".json")
        meta[name] = json.loads(info.read_text()) if info.is_file() else {}
    return paths, meta


def _sweep(cfg_path: Path, m: DemoMode, echo) -> int:
    """Run the grid (``hsiadapt run``'s path) in ``m.workers`` processes; 0 when all finished."""
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.sweep import run_sweep
    from hsiadapt.experiment.workers import run_workers

    if m.workers > 1:
        return run_workers(cfg_path, m.workers, echo=echo)
    cfg = load_config(cfg_path)
    results = run_sweep(cfg, cfg.runs(), echo=echo)
    return int(any(r.status == "failed" for r in results))


def demo(mode: Mode = "default", out: str | Path = "hsiadapt-demo", *,
         data: str | Path | None = None, ckpt_path: str | None = None,
         echo=print) -> int:
    """Run the demo; returns 0 when every run finished and the report was written."""
    from hsiadapt.demo.figure import results_figure
    from hsiadapt.demo.findings import findings, render_findings
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.figures import make_figures
    from hsiadapt.experiment.record import read_record
    from hsiadapt.experiment.results import result_rows, write_results_csv
    from hsiadapt.experiment.run import atomic_write
    from hsiadapt.experiment.table import build_table

    t0 = time.time()
    m = MODES[mode]
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    root = ensure_benchmark(data, BenchmarkSpec(chip=m.chip))
    echo(f"[hsiadapt demo] embedded benchmark (real earthlib spectra, {m.chip} px): {root}")
    paths, prior_meta = _priors(m, echo)
    t_pre = time.time() - t0
    hf = not ckpt_path and terramind_tiny_weights_available()
    if not (ckpt_path or hf):
        echo("[hsiadapt demo] the official TerraMind v1 tiny weights are not available (no "
             "Hugging Face cache, no --ckpt-path): the rows compare random init with priors "
             "PRETRAINED HERE - stand-ins, not TerraMind.")
    cfg_dict = demo_config(mode, root, out, paths, pretrained_ckpt=ckpt_path, hf_weights=hf)
    cfg_path = out / "demo_config.yaml"
    atomic_write(cfg_path, yaml.safe_dump(cfg_dict, sort_keys=False))
    cfg = load_config(cfg_path)
    runs = cfg.runs()
    echo(f"[hsiadapt demo] mode {mode}: {len(runs)} runs in {m.workers} worker(s) "
         f"(config {cfg_path})")
    t1 = time.time()
    code = _sweep(cfg_path, m, echo)
    t_grid = time.time() - t1
    records = [r for r in (read_record(Path(cfg.output) / s.run_id)
                           for s in runs if (Path(cfg.output) / s.run_id).is_dir()) if r]
    table = build_table(records)
    md = table.render("md")
    atomic_write(out / "table.md", md + "\n")
    atomic_write(out / "table.tex", table.render("latex") + "\n")
    figures = make_figures(cfg.output, out / "figures")
    rows = result_rows(records) + _baselines(cfg_dict, m, root, echo)
    write_results_csv(out / "results.csv", rows)
    summary_fig = results_figure(rows, out / "figures" / "results.png")
    if summary_fig is not None:
        figures = [summary_fig, *figures]
    found = findings(rows)
    wall = time.time() - t0
    main_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    peak_mb = max(main_mb, worker_mb)
    finished = [r for r in records if r.finished]
    failed = sorted({s.run_id for s in runs} - {r.run_id for r in finished})
    report = _report(mode, m, md, found, prior_meta, out, wall, t_pre, t_grid, peak_mb,
                     len(runs), failed, bool(ckpt_path or hf))
    atomic_write(out / "report.md", "\n".join(report) + "\n")
    atomic_write(out / "summary.json", json.dumps({
        "mode": mode, "wall_s": round(wall, 1), "pretraining_s": round(t_pre, 1),
        "grid_s": round(t_grid, 1), "peak_memory_mib": round(peak_mb),
        "peak_memory_main_mib": round(main_mb), "peak_memory_largest_worker_mib": round(worker_mb),
        "runs": len(runs),
        "finished": len(finished), "failed": failed, "workers": m.workers,
        "official_weights": bool(ckpt_path or hf),
        "priors": {k: {"path": str(v), "final_loss": prior_meta[k].get("final_loss")}
                   for k, v in paths.items()},
        "findings": found, "figures": [str(f) for f in figures]}, indent=1, default=str))
    echo(md)
    echo("\n".join(render_findings(found)))
    echo(f"[hsiadapt demo] wall time {wall:.0f} s (pretraining {t_pre:.0f} s, grid "
         f"{t_grid:.0f} s), peak memory {peak_mb:.0f} MiB (this process {main_mb:.0f}, "
         f"largest worker {worker_mb:.0f})")
    echo(f"[hsiadapt demo] report, results.csv, table and figures in {out}")
    return 0 if code == 0 and not failed else 1


def _report(mode: str, m: DemoMode, md: str, found: dict, prior_meta: dict, out: Path,
            wall: float, t_pre: float, t_grid: float, peak_mb: float, n_runs: int,
            failed: list[str], official: bool) -> list[str]:
    from hsiadapt.demo.findings import label_overlap, render_findings, render_overlap

    budgets = ", ".join(f"`{k or '(all)'}`: {v or 'all'} training chips"
                        for k, v in m.budgets.items())
    lines = [
        f"# hsiadapt demo ({mode})", "",
        "Data: the embedded benchmark built from real earthlib spectra (docs/benchmark_card.md)"
        " - **not the study's data**.", "",
        "**The priors are stand-ins pretrained here** by `hsiadapt pretrain` on scenes rendered "
        "from real library spectra - not TerraMind, not SpectralEarth. They ask the study's "
        "question at laptop scale; they do not answer it for the real models."
        + ("" if official else " The official TerraMind weights were not available."), "",
        "Priors: the TerraMind v1 tiny architecture (through terratorch), pretrained on a corpus "
        "of scenes rendered from the same spectra, disjoint from every fine-tuning split. "
        "Objective: supervised - each 16 px token predicts the shares of earthlib's 24 finest "
        "classes in its patch. How far those labels overlap the fine-tuning classes:", "",
        *render_overlap(label_overlap()), ""]
    for name, meta in prior_meta.items():
        r = meta.get("recipe", {})
        loss = meta.get("final_loss")
        lines.append(f"- `{name}`: {r.get('corpus_chips')} corpus chips of {r.get('chip')} px, "
                     f"{r.get('steps')} steps of {r.get('batch_size')}; final pretraining loss "
                     f"{'n/a' if loss is None else format(loss, '.3f')}; pretraining took "
                     f"{meta.get('seconds')} s (reused from the cache on later runs)")
    lines += [
        "", "Scaled from the study's protocol (same code path as `hsiadapt run`):",
        f"- chips {m.chip} px (study: 128 px resized to 224); canopy fields padded to "
        f"{m.canopy_px} px; label budgets: {budgets}",
        f"- FCN decoder {m.head_channels} channels, {m.head_convs} conv (study: 256, 4); "
        "TerraMind v1 tiny (study: base)",
        f"- at most {m.epochs} epochs ({m.epochs_few} at the small budget), early-stopping "
        f"patience {m.patience} on the validation metric (study: 100, 20, val/loss)",
        f"- seeds {list(m.seeds)} (study: 42-51); learning rate {m.lr}; 32-bit on CPU",
        f"- rows: random init behind {', '.join(m.random_adapters)}; the gap rows (`linear`, "
        f"`full_spectrum`, HSI-native) on {', '.join(m.gap_tasks)} "
        "(`hsiadapt demo --cross-sensor` trains the land-cover gap rows)",
        "", "## Table (rows: backbone entry = architecture.init)", "", md, "",
        *render_findings(found), "",
        f"Per-run results with the classical baselines: {out / 'results.csv'}; figures: "
        f"{out / 'figures'} (`results.png`: every row beside the LDA baselines)", "",
        f"Wall time {wall:.0f} s (benchmark and priors {t_pre:.0f} s, grid {t_grid:.0f} s in "
        f"{m.workers} worker(s)); peak memory {peak_mb:.0f} MiB (largest process); {n_runs} "
        f"runs, {len(failed)} not finished{': ' + ', '.join(failed) if failed else ''}."]
    return lines

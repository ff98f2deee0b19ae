"""``hsiadapt demo --cross-sensor``: fine-tune on EnMAP, score on PRISMA, EMIT and AVIRIS-NG.

The demo's segmentation tasks (every label) are fine-tuned on the EnMAP scenes from the S2 prior
behind ``select``, ``srf``, the spectral ``tokenizer`` (:mod:`hsiadapt.models.tokenizer`) and
``full_spectrum``, and from the HSI-native prior (``native``); then every run that can read
another band table (:data:`~hsiadapt.demo.cross_sensor.TRANSFERABLE`) is scored, without
retraining, on the same test scenes rendered for each sensor of
:data:`~hsiadapt.demo.other_sensors.CROSS_SENSORS` (:mod:`hsiadapt.demo.other_sensors`).
``full_spectrum`` and ``native`` have EnMAP rows only.

Output layout as ``hsiadapt demo``: ``demo_config.yaml``, ``runs/``, ``results.csv`` (with a
``sensor`` column: the sensor the test scenes were rendered for), ``table.md``, ``report.md``,
``summary.json``. The default ``hsiadapt demo`` is unchanged.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import yaml

from hsiadapt.demo.cross_sensor import TRANSFERABLE, cross_sensor_rows, score_on_sensor
from hsiadapt.demo.generate import BenchmarkSpec, ensure_benchmark
from hsiadapt.demo.grid import MODES, _tasks
from hsiadapt.demo.other_sensors import CROSS_SENSORS, HOME, ensure_sensor_benchmark

__all__ = ["COLUMNS", "cross_sensor_config", "demo_cross_sensor"]

COLUMNS = ("task", "model", "init", "adapter", "sensor", "metric", "direction", "mean", "std",
           "n")
#: backbone entry label -> (registry name, prior, adapters)
ROWS: dict[str, tuple[str, str, list[str]]] = {
    "tm_tiny.s2_prior": ("terramind_v1_tiny", "s2", ["select", "srf", "tokenizer",
                                                     "full_spectrum"]),
    "tm_tiny_hsi.hsi_prior": ("terramind_v1_tiny_hsi", "hsi", ["native"]),
}


#: the tokenizer row's arguments (measured: README, "One tokenizer for every sensor")
TOKENIZER_ARGS: dict[str, Any] = {"init": "select", "offset": "spectrum", "rank": 64,
                                  "gain": 30.0, "quadrature": "spacing", "support": "seen"}
#: whether the tokenizer row starts from ``hsiadapt pretrain --tokenizer`` (measured: README)
PRETRAIN_TOKENIZER = False


def cross_sensor_config(mode: str, data: Path, out: Path,
                        priors: dict[str, Path]) -> dict[str, Any]:
    """The experiment config of the EnMAP fine-tuning behind the cross-sensor table;
    ``priors``: the ``s2`` and ``hsi`` priors' files and, when the tokenizer row starts from a
    pretrained tokenizer, its file under ``tokenizer``."""
    m = MODES[mode]
    tasks = [t for t in _tasks(m) if t["name"] in ("landcover", "minerals")]
    adapters: list[dict[str, Any]] = [{"name": a, "input_mode": a} for a in
                                      ("select", "srf", "full_spectrum", "native")]
    targs = dict(TOKENIZER_ARGS)
    if "tokenizer" in priors:
        targs["pretrained"] = str(Path(priors["tokenizer"]).resolve())
    adapters.insert(2, {"name": "tokenizer", "input_mode": "tokenizer", "args": targs})
    backbones = [{"name": name, "label": label, "adapters": row, "pretrained": True,
                  "ckpt_path": str(Path(priors[prior]).resolve()), "prior": prior}
                 for label, (name, prior, row) in ROWS.items()]
    return {"name": f"demo-cross-sensor-{mode}",
            "description": "hsiadapt demo --cross-sensor: fine-tuned on EnMAP scenes of the "
                           "embedded benchmark (not the study's data)",
            "data_root": str(data), "output": str(out / "runs"), "seeds": list(m.seeds),
            "tasks": tasks, "adapters": adapters, "backbones": backbones,
            "trainer": {"accelerator": "cpu", "devices": 1, "logger": ["csv"],
                        "checkpoint_every_n_epochs": m.checkpoint_every,
                        "best_checkpoint": m.best_checkpoint}}


def _scores(records: list[Any], scenes: dict[str, Path], echo) -> list[dict[str, Any]]:
    """One score per (finished run, sensor): EnMAP from the run's record, the other sensors by
    :func:`score_on_sensor`."""
    from hsiadapt.experiment.results import init_of

    out = []
    for r in records:
        if not r.finished or r.value() is None:
            continue
        metric, direction = r.primary()
        base = {"task": r.task, "model": r.model or r.backbone, "init": init_of(r),
                "adapter": r.adapter, "metric": metric, "direction": direction}
        out.append({**base, "sensor": HOME, "value": r.value()})
        if r.input_mode not in TRANSFERABLE:
            continue
        for sensor, root in scenes.items():
            t0 = time.time()
            value = score_on_sensor(r.path, sensor, root)[metric]
            out.append({**base, "sensor": sensor, "value": value})
            echo(f"[cross-sensor] {r.run_id} on {sensor}: {metric} {value:.3f} "
                 f"({time.time() - t0:.0f} s)")
    return out


def _table(rows: list[dict[str, Any]]) -> str:
    sensors = [HOME, *CROSS_SENSORS]
    lines = []
    for task in sorted({r["task"] for r in rows}):
        mine = [r for r in rows if r["task"] == task]
        metric = mine[0]["metric"]
        lines += [f"### {task} ({metric}, mean ± std over seeds)", "",
                  "| model | adapter | " + " | ".join(sensors) + " |",
                  "|---|---|" + "---|" * len(sensors)]
        for key in sorted({(r["model"], r["init"], r["adapter"]) for r in mine}):
            cells = {r["sensor"]: r for r in mine if (r["model"], r["init"], r["adapter"]) == key}
            txt = [f"{cells[s]['mean']:.3f} ± {cells[s]['std']:.3f} (n={cells[s]['n']})"
                   if s in cells else "n/a" for s in sensors]
            lines.append(f"| {key[0]}.{key[1]} | {key[2]} | " + " | ".join(txt) + " |")
        lines.append("")
    return "\n".join(lines)


def demo_cross_sensor(mode: str = "default", out: str | Path = "hsiadapt-demo", *,
                      data: str | Path | None = None, echo=print) -> int:
    """Run the cross-sensor demo; returns 0 when every run finished and was scored."""
    from hsiadapt._atomic import atomic_write_text
    from hsiadapt.demo.main import _priors, _sweep
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.record import read_record
    from hsiadapt.experiment.results import write_results_csv

    t0 = time.time()
    m = MODES[mode]
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    spec = BenchmarkSpec(chip=m.chip)
    root = ensure_benchmark(data, spec)
    scenes = {s: ensure_sensor_benchmark(s, spec, data) for s in CROSS_SENSORS}
    echo(f"[hsiadapt demo] benchmark {root}; test scenes rendered for {', '.join(scenes)} "
         f"({time.time() - t0:.0f} s)")
    paths, _ = _priors(m, echo)
    if PRETRAIN_TOKENIZER:
        from hsiadapt.demo.pretrain_tokenizer import TokenizerRecipe, pretrain_tokenizer

        prior = m.priors["s2"]  # the tokenizer's corpus and length follow the prior's scale
        recipe = TokenizerRecipe(prior=prior, args=dict(TOKENIZER_ARGS),
                                 corpus_chips=prior.corpus_chips, steps=min(200, prior.steps),
                                 batch_size=min(8, prior.batch_size))
        paths["tokenizer"] = pretrain_tokenizer(recipe, echo=echo)
    cfg_path = out / "demo_config.yaml"
    atomic_write_text(cfg_path, yaml.safe_dump(cross_sensor_config(mode, root, out, paths),
                                               sort_keys=False))
    cfg = load_config(cfg_path)
    runs = cfg.runs()
    echo(f"[hsiadapt demo] cross-sensor, mode {mode}: {len(runs)} EnMAP runs")
    t1 = time.time()
    code = _sweep(cfg_path, m, echo)
    t_grid = time.time() - t1
    records = [r for r in (read_record(Path(cfg.output) / s.run_id) for s in runs
                           if (Path(cfg.output) / s.run_id).is_dir()) if r]
    t2 = time.time()
    rows = cross_sensor_rows(_scores(records, scenes, echo))
    t_score = time.time() - t2
    write_results_csv(out / "results.csv", rows, COLUMNS)
    md = _table(rows)
    atomic_write_text(out / "table.md", md + "\n")
    wall = time.time() - t0
    failed = sorted({s.run_id for s in runs} - {r.run_id for r in records if r.finished})
    atomic_write_text(out / "report.md", "\n".join([
        f"# hsiadapt demo --cross-sensor ({mode})", "",
        "Fine-tuned on the embedded benchmark's EnMAP scenes (priors pretrained here, not "
        "TerraMind; not the study's data); scored without retraining on the same test scenes "
        f"rendered for {', '.join(CROSS_SENSORS)} (same spectra, same labels).", "",
        "select/srf: projection recomputed from each band table; tokenizer: kernels regenerated "
        "from each band's centre and FWHM, input statistics from that sensor's unlabelled "
        "training scenes; full_spectrum and native read EnMAP's bands only.", "", md,
        f"Wall time {wall:.0f} s (grid {t_grid:.0f} s, cross-sensor scoring {t_score:.0f} s); "
        f"{len(runs)} runs, {len(failed)} not finished."]) + "\n")
    atomic_write_text(out / "summary.json", json.dumps({
        "mode": mode, "cross_sensor": True, "sensors": [HOME, *CROSS_SENSORS],
        "wall_s": round(wall, 1), "grid_s": round(t_grid, 1), "scoring_s": round(t_score, 1),
        "runs": len(runs), "failed": failed}, indent=1))
    echo(md)
    echo(f"[hsiadapt demo] cross-sensor wall time {wall:.0f} s; results in {out}")
    return 0 if code == 0 and not failed else 1

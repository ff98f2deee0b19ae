"""Fine-tune tokenizer variants on the demo's EnMAP scenes and score them on every sensor.

The cross-sensor demo's grid (:func:`hsiadapt.demo.cross_sensor_main.cross_sensor_config`),
restricted to the tasks and seeds asked for, with one S2-prior row whose adapters are the
tokenizer variants given as JSON (``name -> tokenizer args``). Prints each variant's test mIoU
(mean ± std over seeds) on EnMAP and, with ``--sensors``, on the other sensors' renderings.
The demo's benchmark and priors must be cached (``hsiadapt demo --cross-sensor`` makes them).

    PYTHONPATH=src .venv/bin/python scripts/tokenizer_variants.py --out /work/xs/var \\
        --tasks minerals --variants '{"tok_select": {"init": "select"}}' --sensors
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import yaml


def main() -> int:
    from hsiadapt.demo.cross_sensor import score_on_sensor
    from hsiadapt.demo.cross_sensor_main import cross_sensor_config
    from hsiadapt.demo.generate import BenchmarkSpec, ensure_benchmark
    from hsiadapt.demo.grid import MODES
    from hsiadapt.demo.main import _priors, _sweep
    from hsiadapt.demo.other_sensors import CROSS_SENSORS, ensure_sensor_benchmark
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.record import read_record

    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--tasks", default="minerals")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--variants", required=True, help="JSON: name -> tokenizer args")
    ap.add_argument("--extra", default="", help="other adapters of the S2 row, comma-separated")
    ap.add_argument("--ckpt", default=None, help="S2 prior checkpoint (default: the demo's)")
    ap.add_argument("--sensors", action="store_true", help="also score on the other sensors")
    a = ap.parse_args()
    m = MODES["default"]
    out = Path(a.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    spec = BenchmarkSpec(chip=m.chip)
    root = ensure_benchmark(None, spec)
    paths, _ = _priors(m, print)
    if a.ckpt:
        paths["s2"] = Path(a.ckpt)
    cfg = cross_sensor_config("default", root, out, paths)
    variants = json.loads(a.variants)
    extra = [e for e in a.extra.split(",") if e]
    cfg["tasks"] = [t for t in cfg["tasks"] if t["name"] in a.tasks.split(",")]
    cfg["seeds"] = [int(s) for s in a.seeds.split(",")]
    cfg["adapters"] = ([{"name": n, "input_mode": "tokenizer", "args": v}
                        for n, v in variants.items()]
                       + [{"name": e, "input_mode": e} for e in extra])
    s2 = next(b for b in cfg["backbones"] if b["prior"] == "s2")
    cfg["backbones"] = [dict(s2, adapters=[*variants, *extra])]
    cfg_path = out / "variants_config.yaml"
    cfg_path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    _sweep(cfg_path, m, print)
    c = load_config(cfg_path)
    scenes = ({s: ensure_sensor_benchmark(s, spec, None) for s in CROSS_SENSORS}
              if a.sensors else {})
    table: dict[tuple[str, str, str], list[float]] = {}
    for run in c.runs():
        rec = read_record(Path(c.output) / run.run_id)
        if rec is None or not rec.finished:
            continue
        table.setdefault((rec.task, rec.adapter, "enmap"), []).append(float(rec.value()))
        if rec.input_mode not in ("select", "srf", "tokenizer"):
            continue
        for sensor, sroot in scenes.items():
            v = score_on_sensor(rec.path, sensor, sroot)["miou"]
            table.setdefault((rec.task, rec.adapter, sensor), []).append(v)
    lines = ["| task | variant | sensor | mIoU mean ± std (n) |", "|---|---|---|---|"]
    for (task, name, sensor), vals in sorted(table.items()):
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        lines.append(f"| {task} | {name} | {sensor} | {statistics.mean(vals):.3f} ± {sd:.3f} "
                     f"(n={len(vals)}) |")
    (out / "variants.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

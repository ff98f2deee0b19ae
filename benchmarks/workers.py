"""Grid throughput with ``--workers``: one process using every core vs N single-purpose ones.

Runs the same small grid of the demo's kind (TerraMind v1 tiny from random init, 64 px chips of
the embedded benchmark, land cover, ``srf``, 4 seeds, ``--epochs`` epochs) twice in fresh output
folders - ``hsiadapt run --workers 1`` (one process, every thread) and ``--workers N`` - and
prints the wall seconds of each and their ratio, measured in one run.

Run alone (two cores are easily disturbed):
``.venv/bin/python benchmarks/workers.py [--workers 2] [--epochs 4]``; ``--smoke`` runs 2 seeds of
1 epoch on a benchmark of 4 chips of 32 px per split (generated in a temporary folder) to check
that the benchmark executes (its figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--smoke", action="store_true",
                    help="2 seeds of 1 epoch on 4 chips of 32 px: checks that the benchmark runs")
    args = ap.parse_args()

    from hsiadapt.demo.generate import BenchmarkSpec, ensure_benchmark

    spec, chip = BenchmarkSpec(chip=64), 64
    if args.smoke:
        args.workers, args.epochs, args.seeds, chip = 2, 1, 2, 32
        spec = BenchmarkSpec(chip=chip, n_train=4, n_val=4, n_test=4, n_fields=8)
    walls = {}
    with tempfile.TemporaryDirectory() as d:
        root = ensure_benchmark(cache_dir=Path(d) / "cache" if args.smoke else None, spec=spec)
        for n in (1, args.workers):
            cfg = {"name": f"workers{n}", "data_root": str(root), "output": f"{d}/runs{n}",
                   "seeds": list(range(args.seeds)),
                   "tasks": [{"name": "landcover", "dataset": "demo_landcover",
                              "root": "spectralearth", "recipe": "study_segmentation",
                              "normalization": "data",
                              "recipe_overrides": {"max_epochs": args.epochs, "patience": 99,
                                                   "batch_size": 8 if chip == 64 else 2,
                                                   "image_size": chip,
                                                   "lr": 5e-4, "monitor": None,
                                                   "head": {"channels": 32, "num_convs": 1}}}],
                   "adapters": [{"name": "srf", "input_mode": "srf"}],
                   "backbones": [{"name": "terramind_v1_tiny", "pretrained": False}],
                   "trainer": {"accelerator": "cpu", "checkpoint_every_n_epochs": 5}}
            path = Path(d) / f"workers{n}.yaml"
            path.write_text(yaml.safe_dump(cfg))
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "hsiadapt", "run", str(path), "--workers",
                            str(n)], check=True, capture_output=True)
            walls[n] = time.perf_counter() - t
    print(json.dumps({"smoke": args.smoke, "runs": args.seeds, "epochs": args.epochs, "workers": args.workers,
                      "wall_s_1_worker": round(walls[1], 1),
                      f"wall_s_{args.workers}_workers": round(walls[args.workers], 1),
                      "speedup": round(walls[1] / walls[args.workers], 2)}))


if __name__ == "__main__":
    main()

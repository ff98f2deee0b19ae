"""Pretraining speed on this machine (issue: the study in miniature).

Pretrains the S2 prior (``--prior hsi``: the HSI-native one; TerraMind v1 tiny, supervised on earthlib's fine classes, 64 px chips)
for ``--steps`` steps in a temporary cache and measures in one run:

* ``generator_chips_per_s``: chips per second the corpus renders (12 S2 / 202 EnMAP bands);
* ``train_chips_per_s``: chips per second of the whole pretraining step (render + forward +
  backward + AdamW);
* ``seconds_to_loss``: seconds until the running loss (mean of 10 steps) first falls below
  ``--target-loss`` (null if it does not within the steps);
* ``final_loss``: the last running loss.

Run alone (two cores are easily disturbed):
``.venv/bin/python benchmarks/pretrain.py [--steps 150] [--target-loss 1.5] [--prior s2|hsi]``;
``--smoke`` pretrains 2 steps of 2 chips of 16 px on a corpus of 8 chips, in seconds, to check that
the benchmark executes (its figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--target-loss", type=float, default=1.5)
    ap.add_argument("--prior", choices=("s2", "hsi"), default="s2")
    ap.add_argument("--smoke", action="store_true",
                    help="2 steps of 2 chips of 16 px: checks that the benchmark runs (seconds)")
    args = ap.parse_args()

    from hsiadapt.demo.pretrain import Corpus, PretrainRecipe, pretrain

    sizes = {}
    if args.smoke:
        args.steps, args.batch_size = 2, 2
        sizes = {"chip": 16, "corpus_chips": 8}
    recipe = PretrainRecipe(prior=args.prior, steps=args.steps, batch_size=args.batch_size,
                            **sizes)
    corpus = Corpus(recipe)
    n_gen = min(64, len(corpus))
    t = time.perf_counter()
    corpus.batch(range(n_gen))
    gen_rate = n_gen / (time.perf_counter() - t)
    marks: list[tuple[float, float]] = []
    t0 = time.perf_counter()

    def echo(line: str) -> None:
        m = re.search(r"step (\d+)/\d+: loss ([\d.]+)", line)
        if m:
            marks.append((time.perf_counter() - t0, float(m.group(2))))

    with tempfile.TemporaryDirectory() as d:
        t1 = time.perf_counter()
        pretrain(recipe, cache_dir=d, echo=echo, every=1 if args.smoke else 10)
        total = time.perf_counter() - t1
    reached = next((s for s, loss in marks if loss <= args.target_loss), None)
    print(json.dumps({
        "smoke": args.smoke,
        "prior": args.prior, "steps": args.steps, "batch_size": args.batch_size,
        "generator_chips_per_s": round(gen_rate, 1),
        "train_chips_per_s": round(args.steps * args.batch_size / total, 2),
        "target_loss": args.target_loss,
        "seconds_to_loss": None if reached is None else round(reached, 1),
        "final_loss": round(float(np.asarray(marks[-1][1])), 3) if marks else None,
    }))


if __name__ == "__main__":
    main()

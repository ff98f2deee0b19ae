"""What the demo's ``results.csv`` rows say about the study's question, in words and numbers.

* **priors vs random init**: per task and label budget, the S2 prior against random init with
  the same adapter (``select``, and ``srf`` where the grid has it), and whether the difference
  exceeds the seeds' spread (the larger of the two standard deviations);
* **gap recovered**: per task with an HSI-native row, ``(adapter - select) / (HSI-native -
  select)`` for each of the S2 prior's adapters, against the HSI-native prior's ``native`` row;
* **deep vs classical**: the best deep model against per-pixel LDA on the same split (both on
  the full spectra and on the S2 bands).

Every comparison says ``beyond spread`` or ``within spread``; nothing is rounded into a claim.
"""

from __future__ import annotations

import math
from typing import Any

from hsiadapt.experiment.results import beyond_spread, gap_recovered

__all__ = ["findings", "label_overlap", "render_findings"]


def label_overlap() -> dict[str, dict[str, list[str]]]:
    """Which of the priors' pretraining classes (earthlib's finest, :func:`fine_classes`) each
    fine-tuning class is drawn from: task -> class -> pretraining classes."""
    from hsiadapt.demo.classes import LANDCOVER, MINERALS
    from hsiadapt.demo.pretrain import fine_classes

    names, _ = fine_classes()
    land = {n: [x for x in names if x in cls] for n, cls in LANDCOVER.values()}
    # the mineral classes are soil spectra told apart by absorption depths (generate.py)
    minerals = {n: [x for x in names if x == "soil"] for n in MINERALS.values()}
    return {"landcover": land, "minerals": minerals}


def render_overlap(overlap: dict[str, dict[str, list[str]]]) -> list[str]:
    """The overlap in words, for the report."""
    land = overlap["landcover"]
    used = sorted({c for cls in land.values() for c in cls})
    parts = "; ".join(f"{k}: {', '.join(v)}" for k, v in land.items())
    return [
        f"- land cover: each of its {len(land)} classes is a union of pretraining classes "
        f"({parts}) - {len(used)} of the 24 pretraining classes, so the prior was trained on a "
        "finer version of this very task;",
        f"- minerals: all {len(overlap['minerals'])} classes are drawn from the single "
        "pretraining class `soil` - the prior never had to tell them apart."]


def _pick(rows: list[dict[str, Any]], **kw: str) -> dict[str, Any] | None:
    return next((r for r in rows if all(r[k] == v for k, v in kw.items())), None)


def _better(a: dict[str, Any], b: dict[str, Any]) -> float:
    """How much ``a`` beats ``b`` in the metric's direction (positive: a is better)."""
    d = a["mean"] - b["mean"]
    return d if a["direction"] == "max" else -d


def findings(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The comparisons above, as plain records (for the report and ``summary.json``)."""
    tasks = list(dict.fromkeys(r["task"] for r in rows))
    out: dict[str, list[dict[str, Any]]] = {"prior_vs_random": [], "gap": [], "vs_lda": []}
    for task in tasks:
        for adapter in ("select", "srf"):
            rnd = _pick(rows, task=task, init="random", adapter=adapter)
            pri = _pick(rows, task=task, init="s2_prior", adapter=adapter)
            if rnd and pri:
                d = _better(pri, rnd)
                out["prior_vs_random"].append({
                    "task": task, "adapter": adapter, "metric": rnd["metric"],
                    "random": rnd["mean"], "random_std": rnd["std"], "s2_prior": pri["mean"],
                    "s2_prior_std": pri["std"], "gain": d,
                    "beyond_spread": beyond_spread(d, pri, rnd)})
        hsi = _pick(rows, task=task, init="hsi_prior", adapter="native")
        s2 = [r for r in rows if r["task"] == task and r["init"] == "s2_prior"]
        if hsi and s2:
            shares = gap_recovered(rows, task, model=s2[0]["model"], init="s2_prior", hsi=hsi)
            sel = _pick(rows, task=task, init="s2_prior", adapter="select")
            for a, g in shares.items():
                if a == "select" or sel is None:
                    continue
                r = _pick(rows, task=task, init="s2_prior", adapter=a)
                out["gap"].append({"task": task, "adapter": a, "value": r["mean"] if r else None,
                                   "select": sel["mean"], "hsi_native": hsi["mean"],
                                   "gap": hsi["mean"] - sel["mean"], "share": g["share"],
                                   "beyond_spread": g["beyond_spread"]})
        deep = [r for r in rows if r["task"] == task and r["init"] != "none"]
        lda = [r for r in rows if r["task"] == task and r["model"] == "lda"]
        if deep and lda and deep[0]["direction"] == "max":
            best = max(deep, key=lambda r: r["mean"])
            for ref in lda:
                out["vs_lda"].append({"task": task, "best": f"{best['model']} {best['init']} "
                                      f"{best['adapter']}", "best_mean": best["mean"],
                                      "lda_bands": ref["adapter"], "lda": ref["mean"],
                                      "ratio": best["mean"] / ref["mean"] if ref["mean"] else
                                      math.nan})
    return out


def _spread(flag: bool | None) -> str:
    return {True: "beyond", False: "within", None: "n/a (1 seed)"}[flag]


def render_findings(f: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Markdown sections of the report."""
    lines = ["## S2 prior vs random init (same adapter, mean over seeds)", "",
             "| task | adapter | metric | random | S2 prior | S2 prior better by | vs spread |",
             "|---|---|---|---|---|---|---|"]
    for r in f["prior_vs_random"]:
        lines.append(f"| {r['task']} | {r['adapter']} | {r['metric']} | {r['random']:.3f} ± "
                     f"{r['random_std']:.3f} | {r['s2_prior']:.3f} ± {r['s2_prior_std']:.3f} | "
                     f"{r['gain']:+.3f} | {_spread(r['beyond_spread'])} |")
    lines += ["", "## Share of the gap recovered (S2 prior; `(adapter - select) / "
              "(HSI-native - select)`)", "",
              "| task | adapter | select | adapter | HSI-native | gap | share | adapter - select |",
              "|---|---|---|---|---|---|---|---|"]
    for r in f["gap"]:
        share = "n/a (no gap)" if not math.isfinite(r["share"]) else f"{r['share']:+.2f}"
        lines.append(f"| {r['task']} | {r['adapter']} | {r['select']:.3f} | {r['value']:.3f} | "
                     f"{r['hsi_native']:.3f} | {r['gap']:+.3f} | {share} | "
                     f"{_spread(r['beyond_spread'])} |")
    lines += ["", "A share is only meaningful when the gap itself is larger than the seeds' "
              "spread; a negative gap means the HSI-native prior scored below `select`.", "",
              "## Best deep model vs per-pixel LDA (same split)", "",
              "| task | best deep model | its mean | LDA on | LDA | ratio |", "|---|---|---|---|---|---|"]
    for r in f["vs_lda"]:
        lines.append(f"| {r['task']} | {r['best']} | {r['best_mean']:.3f} | {r['lda_bands']} | "
                     f"{r['lda']:.3f} | {r['ratio']:.2f} |")
    return lines

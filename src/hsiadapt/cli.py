"""Command line: thin; parses, delegates, prints."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Literal

__all__ = ["main"]


def _format_map(m, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(m.describe(), indent=1)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["source_band", "center_nm", *m.target.names])
        for j, b in enumerate(m.source):
            w.writerow([b.name, f"{b.center_nm:g}", *(f"{v:.6g}" for v in m.matrix[j])])
        return buf.getvalue().rstrip("\n")
    lines = [
        f"{m.source.name} ({len(m.source)} bands, {m.source.centers.min():.0f}-"
        f"{m.source.centers.max():.0f} nm) -> {m.requested.name} ({len(m.requested)} bands); "
        f"method={m.method}"
        + (f", integration={m.integration}" if m.integration else "")
        + f", coverage={m.coverage}",
        "",
        f"{'target':<16}{'centre nm':>10}{'seen %':>8}  {'source bands used (weight)'}",
    ]
    kept = {b.name: k for k, b in enumerate(m.target)}
    for r in m.report:
        if r.name in kept:
            col = m.matrix[:, kept[r.name]]
            nz = [(j, col[j]) for j in sorted(range(len(col)), key=lambda j: -col[j]) if col[j] > 0]
            used = ", ".join(
                f"{m.source[j].name}@{m.source[j].center_nm:.0f}({v:.3f})" for j, v in nz[:4]
            )
            if len(nz) > 4:
                used += f", ... {len(nz)} bands"
            if not nz:
                used = "(zeros)"
        else:
            used = "(dropped)"
        note = f"  [{m.filled[r.name]}]" if r.name in m.filled else ""
        lines.append(f"{r.name:<16}{r.center_nm:>10.1f}{100 * r.share:>8.1f}  {used}{note}")
    return "\n".join(lines)


def _cmd_spectral(args: argparse.Namespace) -> int:
    from hsiadapt.spectral import build_map, selection_map
    from hsiadapt.spectral.io import load_bandset

    src, dst = load_bandset(args.src), load_bandset(args.dst)
    if args.method == "select" and args.preset != "nearest":
        m = selection_map(args.preset, src, dst)
    else:
        m = build_map(
            src, dst, args.method, integration=args.integration, coverage=args.coverage
        )
    print(_format_map(m, args.format))
    if args.plot:
        from hsiadapt.spectral.plot import plot_map

        plot_map(m, args.plot)
        print(f"\nfigure written to {args.plot}", file=sys.stderr)
    return 0


def _cmd_sensors(args: argparse.Namespace) -> int:
    from hsiadapt.spectral import get_sensor, list_sensors

    for name, desc in list_sensors().items():
        s = get_sensor(name)
        print(f"{name:<22}{len(s):>4} bands {s.centers.min():7.1f}-{s.centers.max():7.1f} nm  {desc}")
    return 0


def _parse_kv(items: Sequence[str]) -> dict[str, object]:
    import yaml

    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"hsiadapt: error: --arg takes KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        out[k.strip()] = yaml.safe_load(v)
    return out


def _cmd_data_check(args: argparse.Namespace) -> int:
    import numpy as np

    from hsiadapt.data.check import check_dataset, exit_code, format_report

    spectrum = np.load(args.spectrum, allow_pickle=False) if args.spectrum else None
    stats = None
    if args.statistics:
        from pathlib import Path

        d = Path(args.statistics)
        stats = (np.load(d / "mu.npy", allow_pickle=False),
                 np.load(d / "sigma.npy", allow_pickle=False))
    rep = check_dataset(args.dataset, args.root, dataset_args=_parse_kv(args.arg),
                        max_samples=args.max_samples, mean_spectrum=spectrum, statistics=stats)
    print(json.dumps(rep.to_dict(), indent=1) if args.json else format_report(rep))
    return exit_code(rep)


def _parse_only(items: Sequence[str]) -> dict[str, list[str]]:
    only: dict[str, list[str]] = {}
    for item in items:
        for part in item.split():
            if "=" not in part:
                raise SystemExit(f"hsiadapt: error: --only takes KEY=VALUE[,VALUE], got {part!r}")
            k, v = part.split("=", 1)
            only.setdefault(k, []).extend(v.split(","))
    return only


def _cmd_run(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.record import run_status
    from hsiadapt.experiment.sweep import run_sweep

    cfg = load_config(args.config, data_root=args.data_root, output=args.output)
    runs = cfg.runs(_parse_only(args.only))
    for key in cfg.launcher.shell_settings():  # said before anything runs (stderr: json stays clean)
        print(f"hsiadapt: note: {key} is written into the sbatch script and executed by the "
              "shell on the cluster; run only configs you trust", file=sys.stderr)
    if args.dry_run and args.format == "json":
        from hsiadapt.experiment.plan import plan_run, plan_summary

        for r in runs:
            print(json.dumps(plan_summary(plan_run(r)), default=str))  # precision: this machine's
        return 0
    if args.dry_run:
        from pathlib import Path

        for r in runs:
            print(f"{r.run_id}\t{run_status(Path(cfg.output) / r.run_id)}")
        print(f"{len(runs)} runs -> {cfg.output}")
        return 0
    results = run_sweep(cfg, runs, force=args.force, max_epochs=args.max_epochs)
    failed = [r for r in results if r.status == "failed"]
    elsewhere = sum(r.status == "running elsewhere" for r in results)
    print(f"done: {len(results) - len(failed) - elsewhere} finished or skipped, "
          f"{len(failed)} failed" + (f", {elsewhere} running elsewhere" if elsewhere else "")
          + f"; results in {cfg.output}")
    return 1 if failed else 0


def _cmd_table(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.table import build_table, collect_runs

    runs = collect_runs(args.runs)
    if not runs:
        print(f"hsiadapt: error: no run folders (metrics.json) under {args.runs}", file=sys.stderr)
        return 2
    table = build_table(runs, leaderboard=args.leaderboard, literature=args.literature)
    text = table.render(args.format)
    if args.out:
        from pathlib import Path

        from hsiadapt.experiment.run import atomic_write

        atomic_write(Path(args.out), text + "\n")
    print(text)
    return 0


def _cmd_figures(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.figures import make_figures

    files = make_figures(args.runs, args.out)
    for f in files:
        print(f)
    print(f"{len(files)} files written")
    return 0 if files else 2


def _cmd_predict(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.predict import predict_scene

    out = predict_scene(args.run_dir, args.image, args.out, tile=args.tile, overlap=args.overlap,
                        allow_scale_mismatch=args.allow_scale_mismatch)
    print(f"class map written to {out}")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.reproduce import reproduce

    return reproduce(args.name, args.data_root, output=args.output,
                     seconds_per_chip=args.seconds_per_chip, dry_run=args.dry_run,
                     max_epochs=args.max_epochs)


def _cmd_demo(args: argparse.Namespace) -> int:
    from hsiadapt.demo.main import demo

    mode: Literal["quick", "default", "full"] = (
        "quick" if args.quick else "full" if args.full else "default")
    return demo(mode, args.out, data=args.data, ckpt_path=args.ckpt_path)


def build_parser() -> argparse.ArgumentParser:
    from hsiadapt.spectral.resampling import COVERAGE_POLICIES, DEFAULT_INTEGRATION, INTEGRATIONS

    p = argparse.ArgumentParser(
        prog="hsiadapt",
        description="Adapt hyperspectral imagery to multispectral foundation models.",
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "spectral",
        help="build and print the band map from one sensor to another",
        description="Print the selection or SRF map from SRC bands to DST bands and how well "
        "SRC covers each DST band. SRC/DST: a sensor name (hsiadapt sensors) or a file with "
        "wavelengths (.tif with GDAL metadata, ENVI .hdr, or a CSV/text table).",
    )
    s.add_argument("src")
    s.add_argument("dst")
    s.add_argument("--method", choices=["select", "srf"], default="srf")
    s.add_argument("--integration", choices=INTEGRATIONS, default=DEFAULT_INTEGRATION,
                   help=f"SRF integration (default {DEFAULT_INTEGRATION}: accounts for each "
                   "band's width; the study's published EnMAP matrix)")
    s.add_argument("--coverage", choices=COVERAGE_POLICIES, default="error")
    s.add_argument(
        "--preset",
        choices=["nearest", "paper"],
        default="nearest",
        help="for --method select: computed nearest bands, or the published study's indices",
    )
    s.add_argument("--format", choices=["table", "csv", "json"], default="table")
    s.add_argument("--plot", metavar="OUT.png", help="also write a figure of the map")
    s.set_defaults(func=_cmd_spectral)

    data = sub.add_parser("data", help="inspect datasets on disk")
    dsub = data.add_subparsers(dest="data_command", required=True)
    s = dsub.add_parser(
        "check",
        help="report what a dataset folder holds and what is wrong with it",
        description="Counts per split, bands, wavelength range, class histogram or target "
        "ranges, problems (unreadable files, wrong band counts, empty masks...) and a spectral "
        "sanity check of the mean spectrum against the wavelength labels.",
    )
    s.add_argument("root")
    s.add_argument("--dataset", required=True, help="registered dataset name")
    s.add_argument("--arg", action="append", default=[], metavar="KEY=VALUE",
                   help="extra dataset argument (YAML value), repeatable")
    s.add_argument("--max-samples", type=int, default=None, help="read at most N per split")
    s.add_argument("--spectrum", metavar="MEAN.npy",
                   help="check this per-band mean spectrum instead of the data's own")
    s.add_argument("--statistics", metavar="DIR",
                   help="a folder with the normalisation statistics (mu.npy, sigma.npy) a run "
                   "will use: flag a unit mismatch with the data")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_data_check)

    s = sub.add_parser("run", help="run an experiment grid (resumable)",
                       description="Run every cell of an experiment YAML (tasks x adapters x "
                       "backbones x seeds). Finished runs are skipped, interrupted ones resume "
                       "from their last checkpoint, failed ones are recorded.")
    s.add_argument("config")
    s.add_argument("--data-root", help="override the config's data_root")
    s.add_argument("--output", help="override the config's output folder")
    s.add_argument("--only", action="append", default=[], metavar="KEY=VALUE",
                   help="filter: task=, adapter=, backbone=, seed= (comma-separated values)")
    s.add_argument("--dry-run", action="store_true", help="list the runs and their status")
    s.add_argument("--format", choices=("text", "json"), default="text",
                   help="with --dry-run: 'json' prints one JSON object per planned run with "
                   "its resolved settings (optimiser, lr, weight decay, monitor, normalisation, "
                   "adapter matrix, precision, ...)")
    s.add_argument("--force", action="store_true", help="re-run finished runs")
    s.add_argument("--max-epochs", type=int, default=None, help="override the recipes' epochs")
    s.set_defaults(func=_cmd_run)

    s = sub.add_parser("table", help="Table 1 from run folders")
    s.add_argument("runs")
    s.add_argument("--format", choices=["md", "latex", "csv"], default="md")
    s.add_argument("--leaderboard", help="'hyperview1' (the shipped public HYPERVIEW-1 scores: "
                   "ranks are printed as bounds) or a CSV of leaderboard scores (column 'score')")
    s.add_argument("--literature", help="'study' (the shipped Table 1 of the TerraMind HSI "
                   "study, with the SpectralEarth rows it quotes) or a CSV of published numbers "
                   "(model, adapter, task, metric, direction, mean, std, source)")
    s.add_argument("--out", help="also write the table to this file")
    s.set_defaults(func=_cmd_table)

    s = sub.add_parser("figures", help="figures from run folders (PNG and PDF)")
    s.add_argument("runs")
    s.add_argument("--out", help="folder (default RUNS/figures)")
    s.set_defaults(func=_cmd_figures)

    s = sub.add_parser("predict", help="apply a fine-tuned run to a whole scene")
    s.add_argument("run_dir")
    s.add_argument("image")
    s.add_argument("--out", required=True, help="output GeoTIFF")
    s.add_argument("--tile", type=int, default=None, help="tile size (default: training chips)")
    s.add_argument("--overlap", type=float, default=0.25)
    s.add_argument("--allow-scale-mismatch", action="store_true",
                   help="predict even when the scene's values are on another scale than the "
                   "training data's statistics (an error otherwise)")
    s.set_defaults(func=_cmd_predict)

    s = sub.add_parser("reproduce", help="run + table + figures of a shipped study config")
    s.add_argument("name", help="config name, e.g. table1")
    s.add_argument("--data-root", required=True)
    s.add_argument("--output", default=None)
    s.add_argument("--seconds-per-chip", type=float, default=0.05,
                   help="assumed GPU seconds per chip per epoch, for the estimate")
    s.add_argument("--max-epochs", type=int, default=None)
    s.add_argument("--dry-run", action="store_true", help="print the estimate only")
    s.set_defaults(func=_cmd_reproduce)

    s = sub.add_parser("demo", help="the study's protocol on the embedded benchmark, on a CPU",
                       description="Generate (once) the embedded benchmark from real spectra, "
                       "fine-tune TerraMind v1 tiny behind every adapter on its tasks, and write "
                       "the Table-1-style report and figures.")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smallest run (about 2 minutes)")
    g.add_argument("--full", action="store_true", help="the study's recipe (needs a GPU)")
    s.add_argument("--out", default="hsiadapt-demo", help="output folder (default ./hsiadapt-demo)")
    s.add_argument("--data", default=None, help="cache folder for the benchmark "
                   "(default $HSIADAPT_CACHE or ~/.cache/hsiadapt)")
    s.add_argument("--ckpt-path", default=None, help="local TerraMind v1 tiny weights")
    s.set_defaults(func=_cmd_demo)

    s = sub.add_parser("sensors", help="list the built-in sensors")
    s.set_defaults(func=_cmd_sensors)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hsiadapt`` command."""
    args = build_parser().parse_args(argv)
    import hsiadapt.demo  # noqa: F401  (registers the embedded benchmark's dataset loaders)
    from hsiadapt.experiment.signals import Interrupted
    from hsiadapt.experiment.storage import StorageError
    from hsiadapt.spectral import SpectralError

    try:
        return int(args.func(args) or 0)
    except Interrupted as err:  # the sweep said what was interrupted
        print(f"hsiadapt: stopped by {err.name}; re-run the same command to resume",
              file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("hsiadapt: interrupted", file=sys.stderr)
        return 130
    except StorageError as err:
        print(f"hsiadapt: error: {err.strerror or err}", file=sys.stderr)
        return 1
    except (SpectralError, KeyError, FileNotFoundError, ValueError) as err:  # incl. ConfigError
        msg = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"hsiadapt: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

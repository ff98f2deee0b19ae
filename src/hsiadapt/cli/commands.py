"""The CLI's commands: each parses nothing, delegates to the library, prints the result."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Any, Literal

__all__: list[str] = []  # private to hsiadapt.cli


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
    from hsiadapt.spectral.sensors import source_of

    sensors = list_sensors()
    width = max(len(n) for n in sensors) + 2
    for name, desc in sensors.items():
        s = get_sensor(name)
        print(f"{name:<{width}}{len(s):>4} bands {s.centers.min():7.1f}-{s.centers.max():7.1f} nm  {desc}")
        print(f"{'':<{width}}source: {source_of(name)}")
    return 0


def _parse_kv(items: Sequence[str]) -> dict[str, object]:
    """``--arg KEY=VALUE`` items: each VALUE read as YAML, strictly (no ``!!python/...`` tags,
    no duplicate keys, no alias bombs), errors naming the item."""
    import yaml

    from hsiadapt.experiment._yaml import YamlError, load_yaml_text

    out: dict[str, object] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"hsiadapt: error: --arg takes KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k.strip()] = load_yaml_text(v, f"--arg {item}")
        except YamlError:
            raise
        except yaml.YAMLError as err:
            what = getattr(err, "problem", None) or str(err).splitlines()[0]
            raise ValueError(f"--arg {item}: the value is not a plain YAML value ({what}); "
                             "give a number, a string, true/false or a [list]") from None
    return out


def _check_dataset_args(dataset: str, dataset_args: dict[str, object]) -> None:
    """``--arg`` keys and values checked as a config's ``dataset_args`` are (with its "did you
    mean")."""
    from hsiadapt.datasets import DATASETS
    from hsiadapt.experiment._ranges import check_dataset_codes
    from hsiadapt.experiment._values import check_arguments
    from hsiadapt.hints import unknown_name

    if dataset not in DATASETS:
        raise ValueError(unknown_name("dataset", dataset, DATASETS.names(), "--dataset"))
    check_arguments("--arg", dataset_args, DATASETS.get(dataset), given=("root", "split"),
                    what="dataset argument")
    check_dataset_codes("--arg ", dataset_args)


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
    dataset_args = _parse_kv(args.arg)
    _check_dataset_args(args.dataset, dataset_args)
    if args.wavelengths:
        import inspect

        from hsiadapt.datasets import DATASETS

        if "wavelengths" not in inspect.signature(DATASETS.get(args.dataset)).parameters:
            raise ValueError(f"--wavelengths: dataset {args.dataset} reads its band table from "
                             "its own format; --wavelengths works with --dataset hsi_folder")
        dataset_args["wavelengths"] = args.wavelengths
    rep = check_dataset(args.dataset, args.root, dataset_args=dataset_args,
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
    from hsiadapt.experiment.sweep import run_sweep
    from hsiadapt.hints import user_terms

    cfg = load_config(args.config, data_root=args.data_root, output=args.output,
                      variant=args.variant)
    runs = cfg.runs(_parse_only(args.only))
    for key in cfg.launcher.shell_settings():  # said before anything runs (stderr: json stays clean)
        print(f"hsiadapt: note: {key} is written into the sbatch script and executed by the "
              "shell on the cluster; run only configs you trust", file=sys.stderr)
    if args.dry_run and args.format == "json":
        from hsiadapt.experiment.plan import plan_run, plan_summary

        for r in runs:
            print(json.dumps(plan_summary(plan_run(r)), default=str))  # precision: this machine's
        return 0
    if args.workers != 1 and not args.dry_run:
        from hsiadapt.experiment.workers import run_workers

        if args.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {args.workers}")
        if args.force:
            raise ValueError("--force with --workers: each worker would re-run what the "
                             "others finished; run --force with --workers 1")
        passed = [f for o in args.only for f in ("--only", o)]
        for flag, value in (("--data-root", args.data_root), ("--output", args.output),
                            ("--max-epochs", args.max_epochs), ("--variant", args.variant)):
            if value is not None:
                passed += [flag, str(value)]
        rc = run_workers(args.config, args.workers, args=passed)
        return max(rc, _baselines_and_results(cfg, runs, force=False))
    if args.dry_run:
        from pathlib import Path

        from hsiadapt.experiment.baselines import FOLDER, baseline_jobs
        from hsiadapt.experiment.cost import estimate_cost
        from hsiadapt.experiment.dry_run import planned_status
        from hsiadapt.experiment.record import run_status
        from hsiadapt.experiment.reproduce import throughput_from

        states = [planned_status(r, Path(cfg.output) / r.run_id) for r in runs]
        for r, state in zip(runs, states, strict=True):
            print(f"{r.run_id}\t{state}")
        jobs = baseline_jobs(cfg, runs)
        for j in jobs:
            print(f"baseline {j.run_id}\t{run_status(Path(cfg.output) / FOLDER / j.run_id)}")
        again = sum(s.startswith("will run again") for s in states)
        print(f"{len(runs)} runs" + (f" and {len(jobs)} baselines" if jobs else "")
              + f" -> {cfg.output}"
              + (f" ({again} finished under other settings will run again)" if again else ""))
        rate, source = throughput_from(args.chips_per_second, args.throughput)
        print(estimate_cost(runs, cfg.output).describe(cfg.name, rate, source), file=sys.stderr)
        return 0
    results = run_sweep(cfg, runs, force=args.force, max_epochs=args.max_epochs,
                        echo=lambda line: print(user_terms(line)))
    baselines_failed = _baselines_and_results(cfg, runs, force=args.force)
    failed = [r for r in results if r.status == "failed"]
    for err in dict.fromkeys(r.error for r in failed if r.error):  # each cause once, in full
        print(f"hsiadapt: run failed: {user_terms(err)}", file=sys.stderr)
    elsewhere = sum(r.status == "running elsewhere" for r in results)
    print(f"done: {len(results) - len(failed) - elsewhere} finished or skipped, "
          f"{len(failed)} failed" + (f", {elsewhere} running elsewhere" if elsewhere else "")
          + f"; results in {cfg.output}")
    return 1 if failed or baselines_failed else 0


def _baselines_and_results(cfg: Any, runs: Sequence[Any], *, force: bool) -> int:
    """After the deep runs: the config's classical baselines, then ``<output>/results.csv``
    (every record under the output). Not in a ``--workers`` worker: the parent does it once."""
    import os
    from pathlib import Path

    from hsiadapt.experiment.baselines import run_baselines
    from hsiadapt.experiment.record import collect_records
    from hsiadapt.experiment.results import result_rows, write_results_csv

    if os.environ.get("HSIADAPT_WORKER"):
        return 0
    records = run_baselines(cfg, runs, force=force)
    write_results_csv(Path(cfg.output) / "results.csv",
                      result_rows(collect_records(cfg.output)))
    return 1 if any(not r.finished for r in records) else 0


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
                        allow_scale_mismatch=args.allow_scale_mismatch,
                        wavelengths=args.wavelengths, reflectance_scale=args.reflectance_scale)
    print(f"class map written to {out}")
    return 0


def _cmd_init(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.starter import next_commands, write_starter

    path, summary = write_starter(args.folder, args.out, background_codes=args.background_codes,
                                  class_names=args.class_names)
    print(path.read_text(), end="")
    for w in summary.label_warnings:
        print(f"hsiadapt: warning: {w}", file=sys.stderr)
    print(f"\nconfig written to {path}\n{next_commands(path, summary)}", file=sys.stderr)
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from hsiadapt.experiment.reproduce import reproduce

    return reproduce(args.name, args.data_root, output=args.output,
                     chips_per_second=args.chips_per_second, throughput=args.throughput,
                     dry_run=args.dry_run,
                     max_epochs=args.max_epochs, variant=args.variant)


def _cmd_demo(args: argparse.Namespace) -> int:
    from hsiadapt.demo.main import demo

    mode: Literal["quick", "default", "full"] = (
        "quick" if args.quick else "full" if args.full else "default")
    if args.cross_sensor:
        from hsiadapt.demo.cross_sensor_main import demo_cross_sensor

        if args.ckpt_path:
            raise SystemExit("hsiadapt: error: --cross-sensor fine-tunes from the priors pretrained "
                             "here; drop --ckpt-path")
        return demo_cross_sensor(mode, args.out, data=args.data)
    return demo(mode, args.out, data=args.data, ckpt_path=args.ckpt_path)

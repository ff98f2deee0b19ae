"""Command line: thin; parses, delegates, prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from hsiadapt.cli.commands import (
    _cmd_data_check,
    _cmd_demo,
    _cmd_figures,
    _cmd_init,
    _cmd_predict,
    _cmd_reproduce,
    _cmd_run,
    _cmd_sensors,
    _cmd_spectral,
    _cmd_table,
)
from hsiadapt.cli.pretrain import _cmd_pretrain

__all__ = ["build_parser", "main"]


def _throughput_flags(s: argparse.ArgumentParser) -> None:
    s.add_argument("--chips-per-second", type=float, default=None, metavar="N",
                   help="with --dry-run: price the grid at N training chips/s (GPU-hours)")
    s.add_argument("--throughput", default=None, metavar="FILE",
                   help="with --dry-run: the JSON line benchmarks/gpu.py printed (chips_per_s)")


def _epochs(text: str) -> int:
    """``--max-epochs``: an integer of at least 1 (0 would score untrained weights)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"must be at least 1, got {value} (0 epochs would record the runs as finished with "
            "untrained weights); leave it out to train the recipes' epochs")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hsiadapt",
        description="Adapt hyperspectral imagery to multispectral foundation models.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    _add_data_commands(sub)
    _add_run_command(sub)
    _add_result_commands(sub)
    _add_setup_commands(sub)
    _add_demo_commands(sub)
    return p


def _add_data_commands(sub: Any) -> None:
    """Subcommands spectral, data."""
    from hsiadapt.spectral.resampling import COVERAGE_POLICIES, DEFAULT_INTEGRATION, INTEGRATIONS

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
    s.add_argument("--wavelengths", metavar="FILE_OR_SENSOR",
                   help="a wavelength file (text table, ENVI header, GeoTIFF) or a built-in sensor name "
                   "(hsiadapt sensors) giving the band centres; overrides the files' own metadata")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_data_check)


def _add_run_command(sub: Any) -> None:
    """Subcommands run."""
    s = sub.add_parser("run", help="run an experiment grid (resumable)",
                       description="Run every cell of an experiment YAML (tasks x adapters x "
                       "backbones x seeds). Finished runs are skipped, interrupted ones resume "
                       "from their last checkpoint, failed ones are recorded.")
    s.add_argument("config")
    s.add_argument("--data-root", help="override the config's data_root")
    s.add_argument("--output", help="override the config's output folder")
    s.add_argument("--variant", default=None, metavar="NAME",
                   help="one of the config's named variants (its `variants:` key)")
    _throughput_flags(s)
    s.add_argument("--only", action="append", default=[], metavar="KEY=VALUE",
                   help="filter: task=, adapter=, backbone=, seed= (comma-separated values)")
    s.add_argument("--dry-run", action="store_true", help="list the runs and their status")
    s.add_argument("--format", choices=("text", "json"), default="text",
                   help="with --dry-run: 'json' prints one JSON object per planned run with "
                   "its resolved settings (optimiser, lr, weight decay, monitor, normalisation, "
                   "adapter matrix, precision, ...)")
    s.add_argument("--force", action="store_true", help="re-run finished runs")
    s.add_argument("--max-epochs", type=_epochs, default=None,
                   help="override the recipes' epochs (at least 1)")
    s.add_argument("--workers", type=int, default=1, metavar="N",
                   help="run the grid in N local processes at once, sharing the cores (the "
                   "runs' locks split the grid; faster for small models on CPUs)")
    s.set_defaults(func=_cmd_run)


def _add_result_commands(sub: Any) -> None:
    """Subcommands table, figures, predict."""
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
    s.add_argument("image", help="the scene: a GeoTIFF (or another GDAL raster), or an ENVI "
                   "data file or its .hdr (either finds the other)")
    s.add_argument("--out", required=True, help="output GeoTIFF")
    s.add_argument("--wavelengths", metavar="FILE_OR_SENSOR",
                   help="a wavelength file (text table, ENVI header, GeoTIFF) or a built-in sensor name "
                   "(hsiadapt sensors) giving the band centres; overrides the files' own metadata")
    s.add_argument("--tile", type=int, default=None, help="tile size (default: training chips)")
    s.add_argument("--overlap", type=float, default=0.25)
    s.add_argument("--reflectance-scale", type=float, default=None, metavar="F",
                   help="file value x F = reflectance (1.0: the scene holds reflectance 0-1), "
                   "as the run's reflectance_scale; default: the file's scale tag, else 0.0001")
    s.add_argument("--allow-scale-mismatch", action="store_true",
                   help="predict even when the scene's values are on another scale than the "
                   "training data's statistics, or are float 0-1 without a scale tag (an error "
                   "otherwise)")
    s.set_defaults(func=_cmd_predict)


def _add_setup_commands(sub: Any) -> None:
    """Subcommands init, reproduce."""
    s = sub.add_parser("init", help="inspect a folder of your cubes and write a starter config "
                       "(what was assumed as comments)")
    s.add_argument("folder")
    s.add_argument("--out", metavar="CONFIG", help="default FOLDER/hsiadapt.yaml")
    s.add_argument("--background-codes", metavar="CODES", default=None,
                   type=lambda v: [int(c) for c in v.split(",") if c.strip()],
                   help="comma-separated mask codes that mean 'unlabelled' (e.g. 0)")
    s.add_argument("--class-names", metavar="NAMES", default=None,
                   type=lambda v: [n.strip() for n in v.split(",")],
                   help="comma-separated class names, in the order of the class codes")
    s.set_defaults(func=_cmd_init)

    s = sub.add_parser("reproduce", help="run + table + figures of a shipped study config")
    s.add_argument("name", help="config name, e.g. table1")
    s.add_argument("--data-root", required=True)
    s.add_argument("--output", default=None)
    s.add_argument("--variant", default=None, metavar="NAME",
                   help="a named variant of the study config (table1: A or B; see "
                   "docs/study_deviations.md)")
    _throughput_flags(s)
    s.add_argument("--max-epochs", type=_epochs, default=None,
                   help="override the recipes' epochs (at least 1)")
    s.add_argument("--dry-run", action="store_true", help="print the estimate only")
    s.set_defaults(func=_cmd_reproduce)


def _add_demo_commands(sub: Any) -> None:
    """Subcommands demo, pretrain, sensors."""
    s = sub.add_parser("demo", help="the study's protocol on the embedded benchmark, on a CPU",
                       description="Generate (once) the embedded benchmark from real spectra, "
                       "fine-tune TerraMind v1 tiny behind every adapter on its tasks, and write "
                       "the Table-1-style report and figures.")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true", help="smallest run (about a minute)")
    g.add_argument("--full", action="store_true", help="the study's recipe (needs a GPU)")
    s.add_argument("--out", default="hsiadapt-demo", help="output folder (default ./hsiadapt-demo)")
    s.add_argument("--data", default=None, help="cache folder for the benchmark "
                   "(default $HSIADAPT_CACHE or ~/.cache/hsiadapt)")
    s.add_argument("--ckpt-path", default=None, help="local TerraMind v1 tiny weights")
    s.add_argument("--cross-sensor", action="store_true",
                   help="fine-tune on EnMAP, score on the same scenes rendered for PRISMA, EMIT "
                   "and AVIRIS-NG (select, srf, tokenizer; full_spectrum and native: EnMAP only)")
    s.set_defaults(func=_cmd_demo)

    s = sub.add_parser("pretrain", help="pretrain a TerraMind v1 tiny prior on embedded scenes",
                       description="Pretrain the TerraMind v1 tiny encoder (through terratorch) "
                       "on scenes made from real earthlib spectra, in the 12 Sentinel-2 bands or "
                       "the 202 EnMAP bands; "
                       "cached under ~/.cache/hsiadapt/priors, resumed if interrupted. The "
                       "weights load like the official checkpoints (ckpt_path).")
    s.add_argument("--prior", choices=["s2", "hsi"], default="s2",
                   help="s2: scenes in the 12 Sentinel-2 bands (TerraMind's world); hsi: in the 202 "
                   "EnMAP bands with a patch embedding over all of them (SpectralEarth's world)")
    s.add_argument("--chip", type=int, default=64, help="chip side in pixels (multiple of 16)")
    s.add_argument("--corpus-chips", type=int, default=1500)
    s.add_argument("--steps", type=int, default=300)
    s.add_argument("--batch-size", type=int, default=16)
    s.add_argument("--lr", type=float, default=1e-3)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--cache-dir", default=None, help="default $HSIADAPT_CACHE or ~/.cache/hsiadapt")
    s.add_argument("--tokenizer", action="store_true",
                   help="then pretrain the spectral tokenizer's learned part behind that (frozen) "
                   "S2 prior on the corpus in EnMAP bands, without labels (--tokenizer-steps)")
    s.add_argument("--tokenizer-steps", type=int, default=200)
    s.add_argument("--tokenizer-args", default=None,
                   help="the tokenizer's args as YAML, e.g. '{init: select, gain: 10}' (the runs "
                   "that load it must use the same)")
    s.set_defaults(func=_cmd_pretrain)

    from hsiadapt.cli.classic import add_classic_parser

    add_classic_parser(sub)

    s = sub.add_parser("sensors", help="list the built-in sensors")
    s.set_defaults(func=_cmd_sensors)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hsiadapt`` command."""
    args = build_parser().parse_args(argv)
    import hsiadapt.demo  # noqa: F401  (registers the embedded benchmark's dataset loaders)
    from hsiadapt.experiment.signals import Interrupted
    from hsiadapt.experiment.storage import StorageError
    from hsiadapt.hints import user_terms
    from hsiadapt.spectral import SpectralError

    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
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
        print(f"hsiadapt: error: {user_terms(str(msg))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `hsiadapt ... | head`: the reader left; stop quietly
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail
        return 141  # what a shell reports for a command ended by SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

"""Command line: thin; parses, delegates, prints."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence

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

    from hsiadapt.datasets.check import check_dataset, format_report

    spectrum = np.load(args.spectrum, allow_pickle=False) if args.spectrum else None
    rep = check_dataset(args.dataset, args.root, dataset_args=_parse_kv(args.arg),
                        max_samples=args.max_samples, mean_spectrum=spectrum)
    print(json.dumps(rep.to_dict(), indent=1) if args.json else format_report(rep))
    return 0 if rep.splits else 2


def build_parser() -> argparse.ArgumentParser:
    from hsiadapt.spectral.resampling import COVERAGE_POLICIES, INTEGRATIONS

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
    s.add_argument("--integration", choices=INTEGRATIONS, default="point")
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
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_data_check)

    s = sub.add_parser("sensors", help="list the built-in sensors")
    s.set_defaults(func=_cmd_sensors)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hsiadapt`` command."""
    args = build_parser().parse_args(argv)
    from hsiadapt.spectral import SpectralError

    try:
        return int(args.func(args) or 0)
    except (SpectralError, KeyError, FileNotFoundError, ValueError) as err:
        msg = err.args[0] if isinstance(err, KeyError) and err.args else str(err)
        print(f"hsiadapt: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())

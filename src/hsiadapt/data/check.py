"""``hsiadapt data check``: what a download contains, and what is wrong with it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.data._check_stats import ChipStatistics
from hsiadapt.data._check_tally import SampleTally
from hsiadapt.data.at_sensor import at_sensor_problem
from hsiadapt.datasets.base import (
    DATASETS,
    SAMPLE_SCALE,
    DatasetNotFoundError,
    HSIDataError,
    HSIDataset,
)
from hsiadapt.datasets.label_audit import audit_folder
from hsiadapt.spectral.sanity import spectral_sanity

__all__ = ["CheckReport", "at_sensor_problem", "check_dataset", "exit_code", "format_report",
           "infer_scale"]


@dataclass
class CheckReport:
    dataset: str
    root: str
    splits: dict[str, int] = field(default_factory=dict)
    bands: int = 0
    band_table: str = ""
    wavelength_range_nm: tuple[float, float] = (0.0, 0.0)
    bad_bands: list[int] = field(default_factory=list)
    task: str = ""
    class_histogram: dict[str, int] = field(default_factory=dict)
    target_ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    invalid_pixel_share: float = 0.0
    problems: list[str] = field(default_factory=list)
    spectral_findings: list[str] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)
    unknown_codes: dict[int, int] = field(default_factory=dict)
    #: said plainly, no exit 1: a background code holding most pixels, 0-based masks
    label_warnings: list[str] = field(default_factory=list)
    #: 1st, 50th and 99th percentile of valid pixel values as loaded (reflectance x 10000)
    value_percentiles: tuple[float, float, float] | None = None
    scale: str = ""
    checked_samples: int = 0
    #: per-band mean and standard deviation of the valid pixels as loaded (streamed)
    band_mean: list[float] = field(default_factory=list)
    band_std: list[float] = field(default_factory=list)
    #: a product's own band table vs the built-in sensor's, when they differ (see
    #: :mod:`hsiadapt.spectral.products.table_diff`)
    band_table_diff: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_dataset(
    dataset: str,
    root: str | Path,
    *,
    dataset_args: dict[str, Any] | None = None,
    max_samples: int | None = None,
    mean_spectrum: np.ndarray | None = None,
    statistics: tuple[np.ndarray, np.ndarray] | None = None,
) -> CheckReport:
    """Open every split, read (up to ``max_samples`` per split) every sample, and report.

    Problems (unreadable files, wrong band counts, empty masks, split files listing missing
    files...) are collected, not raised. The spectral sanity check runs on the data's mean
    spectrum over valid pixels, or on ``mean_spectrum`` when given (e.g. a published ``mu.npy``);
    each finding is reported as ``"strong: ..."`` (the labels are probably wrong) or
    ``"weak: ..."`` (odd, with other possible causes listed).
    """
    cls: Callable[..., HSIDataset] = DATASETS.get(dataset)
    rep = CheckReport(dataset=dataset, root=str(root))
    args = dict(dataset_args or {})
    policy = args.get("unknown_labels")
    if policy is None and "unknown_labels" in inspect.signature(cls).parameters:
        # read past unknown codes to audit everything; they are counted and reported below
        args["unknown_labels"] = "ignore"
    opened: dict[str, HSIDataset] = {}
    failed: dict[str, list[str]] = {}  # message -> splits (one line for one cause)
    for split in ("train", "val", "test"):
        try:
            opened[split] = cls(root, split, **args)
            rep.splits[split] = len(opened[split])
        except (DatasetNotFoundError, HSIDataError, ValueError) as err:
            failed.setdefault(str(err), []).append(split)
    rep.problems += [f"split{'s' if len(sp) > 1 else ''} {', '.join(sp)}: {msg}"
                     for msg, sp in failed.items()]
    if not opened:
        return rep
    first = next(iter(opened.values()))
    b = first.bands
    rep.bands, rep.band_table = len(b), b.name
    rep.wavelength_range_nm = (float(b.centers.min()), float(b.centers.max()))
    rep.bad_bands = [int(i) for i in np.flatnonzero(~b.valid)]
    rep.task = getattr(first, "task", "")
    rep.assumptions = list(getattr(first, "assumptions", []))
    rep.band_table_diff = _band_table_diff(first)
    odd: dict[str, str] = getattr(first, "odd_files", {})
    where = getattr(first, "image_dir", Path(root))
    rep.problems += [
        f"{Path(where) / f}: {why}; left out. The dataset's band table ({len(b)} bands, "
        f"{b.centers.min():.1f}-{b.centers.max():.1f} nm) is the one the other images share: "
        "remove or fix this file" for f, why in odd.items()]
    tally = SampleTally(ChipStatistics(b.valid, above=SAMPLE_SCALE))
    for split, ds in opened.items():
        n = len(ds) if max_samples is None else min(len(ds), max_samples)
        for i in range(n):
            try:
                s = ds[i]
            except (HSIDataError, OSError, ValueError) as err:
                rep.problems.append(f"{split}[{i}]: {err}")
                continue
            if s["image"].shape[0] != len(b):
                name = ds.sample_name(i) if hasattr(ds, "sample_name") else f"sample {i}"
                rep.problems.append(f"{split}[{i}] ({name}): {s['image'].shape[0]} bands, but "
                                    f"the band table has {len(b)}")
                continue
            rep.checked_samples += 1
            rep.problems += tally.add(f"{split}[{i}]", s, ds, i)
    _report_labels(rep, tally, first, policy)
    _report_values(rep, tally, b, statistics, mean_spectrum)
    return rep


def _report_labels(rep: CheckReport, tally: SampleTally, first: HSIDataset,
                   policy: str | None) -> None:
    """The labels' part of the report: class histogram, unknown and stray codes, targets."""
    rep.class_histogram = dict(sorted(tally.hist.items(), key=lambda kv: -kv[1]))
    if tally.unknown:
        rep.unknown_codes = dict(sorted(tally.unknown.items()))
        lm = first.label_map  # type: ignore[attr-defined]
        what = (f"{sum(tally.unknown.values())} pixels in {tally.unknown_chips} chips carry mask "
                f"codes {sorted(tally.unknown)} that are neither classes {list(lm.class_codes)} "
                f"nor background {list(lm.background_codes)}")
        if policy is None:
            rep.problems.append(
                what + "; a run stops on them. Add them to the classes, or choose a policy: "
                "--arg unknown_labels=ignore (leave them out) or unknown_labels=background "
                "(count them as background, as the published study did)")
        else:
            rep.assumptions.append(what + f"; policy unknown_labels={policy}")
    if tally.raw_counts and hasattr(first, "scanned_codes"):
        for f in audit_folder(first, declare=_declare, counts=tally.raw_counts):
            (rep.problems if f.severity == "problem" else rep.label_warnings).append(f.message)
    if tally.tmin is not None and tally.tmax is not None:
        rep.target_ranges = {t: (float(a), float(z)) for t, a, z in
                             zip(getattr(first, "targets", ()), tally.tmin, tally.tmax,
                                 strict=False)}


def _report_values(rep: CheckReport, tally: SampleTally, b: Any,
                   statistics: tuple[np.ndarray, np.ndarray] | None,
                   mean_spectrum: np.ndarray | None) -> None:
    """The values' part of the report: invalid share, band statistics, scale, units of the
    normalisation statistics, spectral sanity and at-sensor radiance."""
    chips = tally.chips
    rep.invalid_pixel_share = tally.invalid / tally.total if tally.total else 0.0
    mean = chips.mean
    if mean is not None:
        rep.band_mean, rep.band_std = mean.tolist(), chips.std.tolist()  # type: ignore[union-attr]
    sampled = chips.values()
    if sampled is not None:
        p1, p50, p99 = (float(v) for v in np.percentile(sampled, [1, 50, 99]))
        rep.value_percentiles = (p1, p50, p99)
        rep.scale, problem = infer_scale(p50, p99)
        if problem:
            rep.problems.append(problem)
        if statistics is not None:
            smean = float(np.median(np.abs(np.asarray(statistics[0], dtype=np.float64))))
            data_mean = float(np.median(np.abs(mean))) if mean is not None else 0.0
            if smean > 0 and data_mean > 0 and not 0.1 <= data_mean / smean <= 10:
                rep.problems.append(
                    f"the normalisation statistics (median mean {smean:.4g}) and the data "
                    f"(median band mean {data_mean:.4g}, reflectance x 10000) differ by a "
                    f"factor of {data_mean / smean:.3g}: they are in different units. State the "
                    "statistics' units (statistics_units: reflectance or dn in the config's "
                    "task) or use statistics of these data")
    spectrum = mean_spectrum if mean_spectrum is not None else mean
    if spectrum is not None:
        rep.spectral_findings = [f"{f.severity}: {f.message}"
                                 for f in spectral_sanity(b, spectrum, imagery=True)]
        radiance = at_sensor_problem(b, spectrum, chips.above_share)
        if radiance:
            rep.problems.append(radiance)


def _declare(codes: list[int]) -> str:
    if not codes:
        return "drop background_codes: the --arg, or the key in the config's dataset_args"
    return (f"--arg 'background_codes={codes}'; in a config: dataset_args: "
            f"{{background_codes: {codes}}}")


def infer_scale(p50: float, p99: float) -> tuple[str, str | None]:
    """What loaded values (on the reflectance x 10000 scale) look like, and a problem if they do
    not look like reflectance x 10000."""
    if p99 <= 0:
        return "unknown (no positive values)", None
    if p99 <= 5:
        return ("reflectance 0-1 read as reflectance x 10000 (10000 times too small)",
                "values look like reflectance in 0-1 but were loaded as reflectance x 10000; "
                "set reflectance_scale: 1.0 (dataset_args) so they are scaled to the loaders' "
                "reflectance x 10000")
    if p99 <= 20_000:
        return "reflectance x 10000 (DN, as the loaders expect)", None
    return ("above reflectance x 10000: radiance, or another scale factor",
            f"values up to {p99:.4g} are above reflectance x 10000 (0-10000): radiance or "
            "another scale; set reflectance_scale (dataset_args) to the factor that gives "
            "reflectance, or convert the data to surface reflectance first")


def _band_table_diff(ds: HSIDataset) -> list[str]:
    """For a folder of mission products: how their band table differs from the built-in
    sensor's, when by more than a few nm (else nothing)."""
    from hsiadapt.spectral import get_sensor
    from hsiadapt.spectral.products import detect_product
    from hsiadapt.spectral.products.table_diff import diff_band_tables

    grids = getattr(ds, "grids", {})
    if not grids:
        return []
    kind = detect_product(Path(ds.image_dir) / next(iter(grids)))  # type: ignore[attr-defined]
    if kind is None:
        return []
    diff = diff_band_tables(ds.bands, get_sensor(kind))
    return diff.lines() if diff.differs() else []


def format_report(rep: CheckReport) -> str:
    lines = [
        f"dataset {rep.dataset} at {rep.root}",
        "splits: " + (", ".join(f"{k} {v}" for k, v in rep.splits.items()) or "none found"),
        f"bands: {rep.bands} ({rep.band_table}), {rep.wavelength_range_nm[0]:.1f}-"
        f"{rep.wavelength_range_nm[1]:.1f} nm"
        + (f"; bad bands (0-based) {rep.bad_bands}" if rep.bad_bands else ""),
        f"task: {rep.task}; samples read: {rep.checked_samples}; invalid pixels: "
        f"{100 * rep.invalid_pixel_share:.1f}%",
    ]
    if rep.band_table_diff:
        lines.append("band table vs the built-in sensor's:")
        lines += [f"  ~ {d}" for d in rep.band_table_diff]
    if rep.value_percentiles is not None:
        p1, p50, p99 = rep.value_percentiles
        lines.append(f"values (as loaded, reflectance x 10000): 1% {p1:.4g}, median {p50:.4g}, "
                     f"99% {p99:.4g} -> {rep.scale}")
    if rep.class_histogram:
        lines.append("classes (pixels, or chips for multi-label):")
        lines += [f"  {k:<32}{v:>12}" for k, v in rep.class_histogram.items()]
    if rep.target_ranges:
        lines.append("targets: " + ", ".join(f"{k} {a:g}..{z:g}"
                                              for k, (a, z) in rep.target_ranges.items()))
    lines += [f"labels: ! {w}" for w in rep.label_warnings]
    if rep.assumptions:
        lines.append("assumed (not read from the data):")
        lines += [f"  ~ {a}" for a in rep.assumptions]
    lines.append("spectral sanity: " + ("ok" if not rep.spectral_findings else ""))
    lines += [f"  ! {f}" for f in rep.spectral_findings]
    lines.append(f"problems: {len(rep.problems)}" + ("" if rep.problems else " (none)"))
    lines += [f"  - {p}" for p in rep.problems[:50]]
    if len(rep.problems) > 50:
        lines.append(f"  ... and {len(rep.problems) - 50} more")
    return "\n".join(lines)


def exit_code(rep: CheckReport) -> int:
    """``hsiadapt data check``'s exit status: 2 when no split could be read, 1 when anything
    was reported as a problem or a strong spectral finding (labels probably wrong), 0 when
    clean (weak spectral findings are notes: they list possible causes, not a diagnosis)."""
    if not rep.splits:
        return 2
    strong = any(f.startswith("strong:") for f in rep.spectral_findings)
    return 1 if rep.problems or strong else 0

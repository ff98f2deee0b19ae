"""``hsiadapt init FOLDER``: look at a folder of hyperspectral cubes and write a starter config.

What is read, not assumed: the images (any layout :class:`~hsiadapt.datasets.folder.HSIFolder`
reads: GeoTIFFs, ENVI pairs, mission products), their band table (the one most images share; the
odd files are listed), which built-in sensor it is (centres within 1 nm of a sensor's, else a
custom table), the class codes in the masks (or a ``labels.csv``'s targets), the splits (lists
or CSVs when present, else a seeded split), the value scale and nodata (:func:`infer_scale`).

What is written: a commented config comparing ``select``, ``srf`` and ``full_spectrum`` on
TerraMind v1 tiny (``pretrained: false`` - how to get the weights is in a comment), with small
recipe overrides so it runs on a laptop, and every assumption as a comment beside the value it
decided. The next command is ``hsiadapt run CONFIG``.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.datasets.folder import HSIFolder
from hsiadapt.datasets.label_audit import audit_folder
from hsiadapt.experiment.starter_scale import describe_scale
from hsiadapt.spectral import BandSet, SpectralError, build_map, get_sensor, list_sensors

__all__ = ["FolderSummary", "dataset_args", "inspect_folder", "next_commands",
           "starter_config", "write_starter"]

#: band centres within this many nm of a built-in sensor's count as that sensor
SENSOR_TOLERANCE_NM = 1.0
_PATCH = 16  # TerraMind's patch size: the image size is a multiple of it


@dataclass
class FolderSummary:
    """What :func:`inspect_folder` found (``notes``: what it assumed, written as comments)."""

    root: Path
    image_dir: str
    n_images: int
    bands: BandSet
    sensor: str | None
    sensor_note: str
    task: str
    class_codes: list[int] = field(default_factory=list)
    background_codes: list[int] = field(default_factory=list)
    labels_csv: str | None = None
    class_names: list[str] = field(default_factory=list)
    split_source: str = ""
    splits: dict[str, int] = field(default_factory=dict)
    split_args: dict[str, Any] = field(default_factory=dict)
    reflectance_scale: float | None = None
    scale_note: str = ""
    nodata_note: str = ""
    chip_px: int = 0
    uncovered: list[str] = field(default_factory=list)
    odd_files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: said plainly on the terminal and in the config: background that looks like a class,
    #: 0-based masks, stray codes (:mod:`hsiadapt.datasets.label_audit`)
    label_warnings: list[str] = field(default_factory=list)


def _match_sensor(bands: BandSet) -> tuple[str | None, str]:
    best: tuple[float, str] | None = None
    for name in list_sensors():
        s = get_sensor(name)
        if len(s) != len(bands):
            continue
        d = float(np.abs(np.sort(s.centers) - np.sort(bands.centers)).max())
        if best is None or d < best[0]:
            best = (d, name)
    if best is not None and best[0] <= SENSOR_TOLERANCE_NM:
        return best[1], (f"sensor: {best[1]} (the files' {len(bands)} band centres are within "
                         f"{best[0]:.2f} nm of the built-in table)")
    return None, (f"sensor: a custom band table ({len(bands)} bands, {bands.centers.min():.1f}-"
                  f"{bands.centers.max():.1f} nm, from the files' metadata; no built-in sensor "
                  "has these centres)")


def _mask_nodata(ds: HSIFolder) -> int | None:
    """The nodata value the first mask declares, as an integer code (or ``None``)."""
    if ds.mask_dir is None or not ds.files:
        return None
    import rasterio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with rasterio.open(ds.mask_path(ds.files[0])) as src:
            nd = src.nodata
    return int(nd) if nd is not None and np.isfinite(nd) and float(nd).is_integer() else None


def _init_fix(codes: list[int]) -> str:
    return (f"rerun init with --background-codes {','.join(map(str, codes))}" if codes
            else "rerun init without --background-codes")


def _propose_splits(s: FolderSummary, root: Path, n: int, seed: int,
                    kw: dict[str, Any]) -> None:
    """The folder's split lists when present, else a seeded split with at least one image per
    split; the number of images each split gets."""
    split_lists = (root / "splits").is_dir() or any(
        (root / f).is_file() for f in ("train_files.csv", "validation_files.csv",
                                       "test_files.csv"))
    if split_lists:
        s.split_source = "the folder's split lists"
    else:
        n_val = max(1, round(0.15 * n))
        fr = (round((n - 2 * n_val) / n, 4), round(n_val / n, 4))
        s.split_args = {"split_fractions": [fr[0], fr[1], round(1 - fr[0] - fr[1], 4)],
                        "seed": seed}
        s.split_source = f"proposed here: a seeded random split (seed {seed})"
    for split in ("train", "val", "test"):
        try:
            s.splits[split] = len(HSIFolder(root, split, **kw, **s.split_args))
        except (FileNotFoundError, ValueError) as err:
            s.notes.append(f"split {split}: {err}")


def inspect_folder(root: str | Path, *, background_codes: list[int] | None = None,
                   class_names: list[str] | None = None, seed: int = 0) -> FolderSummary:
    """Look at ``root`` (see the module docstring) and say what a config needs.

    Raises:
        DatasetNotFoundError / HSIDataError: no images, or no image with a usable band table.
    """
    root = Path(root).absolute()
    image_dir = "images" if (root / "images").is_dir() else "."
    labels_csv = "labels.csv" if (root / "labels.csv").is_file() else None
    kw: dict[str, Any] = dict(image_dir=image_dir, unknown_labels="ignore",
                              background_codes=tuple(background_codes or ()))
    if labels_csv:
        kw["labels_csv"] = labels_csv
    ds = HSIFolder(root, "all", **kw)
    mask_nodata = _mask_nodata(ds)
    extra_note = None
    if mask_nodata is not None and mask_nodata in getattr(ds, "class_codes", ()):
        background_codes = [*(background_codes or []), mask_nodata]
        kw["background_codes"] = tuple(background_codes)
        ds = HSIFolder(root, "all", **kw)
        extra_note = (f"background: mask code {mask_nodata} is the masks' nodata value, so it is "
                      "background (ignored), not a class")
    n = len(ds.files)
    sensor, sensor_note = _match_sensor(ds.bands)
    s = FolderSummary(root=root, image_dir=image_dir, n_images=n, bands=ds.bands, sensor=sensor,
                      sensor_note=sensor_note, task=ds.task, labels_csv=labels_csv,
                      odd_files=dict(ds.odd_files), background_codes=list(background_codes or []))
    if extra_note:
        s.notes.append(extra_note)
    if ds.odd_files:
        s.notes.append(f"{len(ds.odd_files)} image(s) left out, their band table differs: "
                       + "; ".join(f"{f} ({w})" for f, w in ds.odd_files.items()))
    if ds.task == "segmentation":
        s.class_codes = list(ds.class_codes)
        if class_names is not None and len(class_names) != len(s.class_codes):
            raise ValueError(f"--class-names: {len(class_names)} names for the "
                             f"{len(s.class_codes)} class codes {s.class_codes} found in the masks")
        s.class_names = list(class_names or [])
        if not background_codes:
            s.notes.append(f"classes: every mask code found {s.class_codes}; none is taken as "
                           "background. If one means 'unlabelled', list it in "
                           "background_codes (or rerun init with --background-codes CODE)")
        s.label_warnings = [f.message for f in audit_folder(ds, declare=_init_fix)]
    if getattr(ds, "chips", None) is not None:  # samples are chips: split those, not images
        s.notes.append(f"chips: the images are read as {len(ds)} chips of up to "
                       f"{ds.chip_size} px (dataset_args chip_size; null = whole images); "
                       "splits count chips, split whole and spatially disjoint")
    _propose_splits(s, root, len(ds), seed, kw)
    describe_scale(s, ds)
    # -- which Sentinel-2 bands the source does not cover
    from hsiadapt.spectral.resampling import CoverageError

    s2 = get_sensor("sentinel2_l2a")
    try:
        build_map(ds.bands, s2, "srf")
    except CoverageError as err:
        s.uncovered = [b.name for b in s2 if f"{b.name} (" in str(err)]
    except SpectralError as err:
        s.notes.append(f"band map: {err}")
    return s


def dataset_args(s: FolderSummary) -> dict[str, Any]:
    """The ``dataset_args`` of the starter config (also ``--arg`` values for ``data check``)."""
    args: dict[str, Any] = {}
    if s.image_dir != "images":
        args["image_dir"] = s.image_dir
    if s.labels_csv:
        args["labels_csv"] = s.labels_csv
    if s.background_codes:
        args["background_codes"] = s.background_codes
    if s.class_names:
        args["class_names"] = s.class_names
    if s.reflectance_scale is not None:
        args["reflectance_scale"] = s.reflectance_scale
    args.update(s.split_args)
    return args


def _yaml(v: Any) -> str:
    return json.dumps(v)  # JSON scalars and lists are valid YAML flow values


def starter_config(s: FolderSummary, config_dir: Path, name: str | None = None) -> str:
    """The commented starter config for ``s``, with paths relative to ``config_dir``."""
    import os

    name = name or (s.root.name or "my_data").replace(" ", "_")
    rel = os.path.relpath(s.root, config_dir.absolute())
    data_root = rel if not rel.startswith("../../..") else str(s.root)
    size = max(_PATCH, -(-s.chip_px // _PATCH) * _PATCH) if s.chip_px else 64
    args = dataset_args(s)
    regression = s.task == "regression"
    recipe = "study_hyperview" if regression else "study_segmentation"
    head = ("{hidden: 64, dropout: 0.2}" if regression
            else "{channels: 32, num_convs: 2, dropout: 0.1}")
    cov = ", args: {coverage: nearest}" if s.uncovered else ""
    baselines, what = (("[ridge, pls]", "mean-spectrum") if regression
                       else ("[lda, random_forest]", "per-pixel"))
    lines = [
        f"# Starter config written by `hsiadapt init {s.root}`.",
        "# Next: hsiadapt data check, then hsiadapt run on this file (see docs/your_data.md).",
        "# Relative paths below are relative to this file's folder.",
        "#",
        "# What init found (read from the files) and assumed:",
        f"#   images: {s.n_images} in {s.image_dir}/ ; " + s.sensor_note,
        f"#   task: {s.task}" + (f"; class codes in the masks: {s.class_codes}"
                                if s.class_codes else ""),
        f"#   splits: {s.split_source}: "
        + ", ".join(f"{k} {v}" for k, v in s.splits.items()),
        f"#   {s.scale_note}" if s.scale_note else "#   scale: no valid pixel to judge from",
        f"#   {s.nodata_note}",
    ]
    lines += [f"#   ~ {n}" for n in s.notes]
    lines += [f"#   ! {w}" for w in s.label_warnings]
    if s.uncovered:
        lines.append(f"#   ~ Sentinel-2 bands the data do not cover: {', '.join(s.uncovered)}; "
                     "the adapters repeat the nearest band for them (coverage: nearest; "
                     "coverage: drop leaves them out)")
    lines += [
        f"name: {name}",
        f"data_root: {_yaml(data_root)}",
        "output: runs            # one folder per run, next to this file",
        "seeds: [0]              # more seeds (e.g. {start: 0, count: 3}) give mean +- std",
        "tasks:",
        f"  - name: {name}",
        "    dataset: hsi_folder",
        "    root: .               # relative to data_root",
        "    dataset_args:" + ("" if args else " {}"),
    ]
    lines += [f"      {k}: {_yaml(v)}" for k, v in args.items()]
    if s.class_codes and not s.class_names:
        names = [f"class_{c}" for c in s.class_codes if c not in s.background_codes]
        lines.append(f"      # class_names: {_yaml(names)}   # your names, in code order")
    lines += [
        f"    recipe: {recipe}",
        "    # small settings so it runs on a laptop; drop these overrides for the study's",
        f"    recipe_overrides: {{max_epochs: 5, patience: 5, batch_size: 4, image_size: {size},",
        f"                       lr: 0.0005, monitor: null, head: {head}}}",
        "    normalization: data   # per-band statistics of the training split",
        "adapters:                # three ways to feed HSI to a 12-band model",
        f"  - {{name: select, input_mode: select{cov}}}   # nearest band per Sentinel-2 band",
        f"  - {{name: srf, input_mode: srf{cov}}}         # Sentinel-2 responses over the bands",
        f"  - {{name: full_spectrum, input_mode: full_spectrum{cov}}}  # every band, learned",
        "backbones:",
        "  - name: terramind_v1_tiny",
        "    # random weights: runs anywhere, but measures the adapters without pretraining.",
        "    # For TerraMind's weights: once with network access, `huggingface-cli download "
        "ibm-esa-geospatial/TerraMind-1.0-tiny",
        "    # TerraMind_v1_tiny.pt`, then pretrained: true",
        "    # (or ckpt_path: /path/to/TerraMind_v1_tiny.pt)",
        "    pretrained: false",
        "trainer: {accelerator: auto}",
        f"baselines: {baselines}   # classical {what} rows beside the deep ones; [] for none",
    ]
    return "\n".join(lines) + "\n"


def write_starter(root: str | Path, out: str | Path | None = None, *,
                  background_codes: list[int] | None = None,
                  class_names: list[str] | None = None) -> tuple[Path, FolderSummary]:
    """Inspect ``root``, write the starter config (default ``<root>/hsiadapt.yaml``), check
    that it loads, and return its path and the summary."""
    from hsiadapt._atomic import atomic_write_text
    from hsiadapt.experiment.config import load_config

    s = inspect_folder(root, background_codes=background_codes, class_names=class_names)
    path = Path(out) if out is not None else s.root / "hsiadapt.yaml"
    if path.is_dir():
        path = path / "hsiadapt.yaml"
    text = starter_config(s, path.absolute().parent)
    atomic_write_text(path, text)
    load_config(path)  # the file it wrote is a valid config (or this raises, naming it)
    return path, s


def next_commands(config: Path, s: FolderSummary) -> str:
    """The commands to type next: ``data check`` with the config's dataset arguments, ``run``."""
    import shlex

    check = ["hsiadapt", "data", "check", str(s.root), "--dataset", "hsi_folder"]
    for k, v in dataset_args(s).items():
        check += ["--arg", f"{k}={json.dumps(v)}"]
    return f"next: {shlex.join(check)}\nthen: hsiadapt run {config}"

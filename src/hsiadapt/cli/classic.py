"""``hsiadapt classic NAME --mat-dir DIR --out DIR``: a classic scene, ready to run."""

from __future__ import annotations

import argparse
import sys

__all__: list[str] = []  # private to hsiadapt.cli


def add_classic_parser(sub) -> None:  # sub: argparse's subparsers action
    from hsiadapt.datasets.classic import SCENES

    s = sub.add_parser(
        "classic", help="turn a downloaded classic scene (.mat) into a folder and a config",
        description="Read a classic labelled scene as the EHU GIC page distributes it (two "
        ".mat files; Houston 2013: the unpacked 2013_DFTC folder of the GRSS contest), cut it into spatially disjoint blocks for train / val / test (random "
        "pixel splits leak neighbouring pixels into the test set), write the GeoTIFF folder "
        "that hsi_folder reads with the scene's band table, and a starter config for "
        "`hsiadapt run`. Scenes: " + ", ".join(SCENES) + " (see docs/classic_scenes.md).")
    s.add_argument("name", help="scene: " + ", ".join(SCENES))
    s.add_argument("--mat-dir", required=True, help="folder with the downloaded .mat files (houston2013: the "
                   "unpacked 2013_DFTC/ folder)")
    s.add_argument("--out", required=True, help="folder to write (images/, masks/, splits/)")
    s.add_argument("--tile", type=int, default=32, help="block side in pixels (default 32)")
    s.add_argument("--seed", type=int, default=0, help="seed of the block split (default 0)")
    s.add_argument("--fractions", default="0.6,0.2,0.2", metavar="TRAIN,VAL,TEST",
                   help="share of labelled pixels per split (default 0.6,0.2,0.2)")
    s.add_argument("--wavelengths", metavar="FILE_OR_SENSOR",
                   help="the band table (needed for ksc, whose channels are not published)")
    s.add_argument("--approximate-bands", action="store_true",
                   help="pavia_u: accept evenly spaced 430-860 nm centres (not published)")
    s.add_argument("--config", metavar="CONFIG", help="default OUT/hsiadapt.yaml")
    s.set_defaults(func=_cmd_classic)


def _fractions(text: str) -> tuple[float, float, float]:
    try:
        parts = tuple(float(v) for v in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 3:
        raise ValueError(f"--fractions: expected three numbers TRAIN,VAL,TEST, got {text!r}")
    return parts  # type: ignore[return-value]


def _header(scene, args: argparse.Namespace, written) -> str:
    """Comment lines on top of the starter config: what the scene is and how it was split."""
    status = "given with --wavelengths" if args.wavelengths else scene.band_status
    lines = [f"# Classic scene {scene.title}, written by `hsiadapt classic {scene.name}`.",
             f"# Band table ({status}): {scene.band_note}.",
             f"# Blocks: {written.n_files} of {args.tile} px, whole blocks per split (seed "
             f"{args.seed}); classic_scene.json has the per-split class counts.",
             *(f"#   ~ {m}" for m in written.split.missing)]
    return "\n".join(lines) + "\n"


def _cmd_classic(args: argparse.Namespace) -> int:
    from hsiadapt._atomic import atomic_write_text
    from hsiadapt.datasets.classic import get_scene, prepare_scene
    from hsiadapt.experiment.starter import next_commands, write_starter

    scene = get_scene(args.name)
    if args.tile < 1:
        raise ValueError(f"--tile: must be at least 1 pixel, got {args.tile}")
    written, notes = prepare_scene(
        scene, args.mat_dir, args.out, tile=args.tile, seed=args.seed,
        fractions=_fractions(args.fractions), wavelengths=args.wavelengths,
        approximate_bands=args.approximate_bands)
    print(f"{scene.title}: {written.n_files} blocks of {args.tile} px written to {args.out}")
    print(f"band table: {scene.band_status if not args.wavelengths else 'given'} - "
          f"{scene.band_source}")
    print("labelled pixels per split (whole blocks; no pixel of a test block is in train):")
    print(written.split.table(scene.class_names))
    for line in [*notes, *written.split.missing]:
        print(f"  ~ {line}")
    path, summary = write_starter(written.root, args.config, background_codes=[0],
                                  class_names=list(scene.class_names))
    atomic_write_text(path, _header(scene, args, written) + path.read_text())
    print(f"\nconfig written to {path}\n{next_commands(path, summary)}", file=sys.stderr)
    return 0

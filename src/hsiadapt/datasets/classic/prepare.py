"""From the downloaded ``.mat`` files to the folder layout: band table, blocks, files."""

from __future__ import annotations

from pathlib import Path

from hsiadapt.datasets.classic.mat import read_scene
from hsiadapt.datasets.classic.scenes import ClassicScene
from hsiadapt.datasets.classic.write import WrittenScene, write_scene_folder
from hsiadapt.spectral import BandSet

__all__ = ["band_table_for", "prepare_scene"]


def band_table_for(scene: ClassicScene, *, wavelengths: str | Path | None = None,
                   approximate_bands: bool = False) -> tuple[BandSet, str]:
    """The band table to write for ``scene`` and a note on where it comes from.

    ``wavelengths`` (a file or built-in sensor name, as ``--wavelengths`` elsewhere) wins over
    the scene's own table. An ``"approximate"`` table is used only with ``approximate_bands``;
    an ``"unknown"`` one needs ``wavelengths``.

    Raises:
        ValueError: the table is unknown or approximate and not asked for, or the given table
            has another band count than the scene.
    """
    from hsiadapt.spectral.io import load_bandset

    if wavelengths is not None:
        bands = load_bandset(wavelengths)
        if len(bands) != scene.n_bands:
            raise ValueError(f"--wavelengths {wavelengths}: {len(bands)} bands, but "
                             f"{scene.image_file} has {scene.n_bands}")
        return bands, f"given by the user ({wavelengths}); the scene's own: {scene.band_note}"
    if scene.band_status == "approximate" and not approximate_bands:
        raise ValueError(
            f"{scene.title}: its band centres are not published ({scene.band_note}). Give the "
            "table with --wavelengths FILE, or accept evenly spaced centres with "
            "--approximate-bands (the adapters then map bands by a guess; say so when you "
            "report results)")
    return scene.bands(), scene.band_note


def prepare_scene(scene: ClassicScene, mat_dir: str | Path, out: str | Path, *, tile: int = 32,
                  seed: int = 0, fractions: tuple[float, float, float] = (0.6, 0.2, 0.2),
                  wavelengths: str | Path | None = None,
                  approximate_bands: bool = False) -> tuple[WrittenScene, list[str]]:
    """Read ``scene`` from ``mat_dir`` and write it under ``out`` (see :mod:`.write`).

    Returns the written scene and notes (shape differences, the band table's status).
    """
    bands, note = band_table_for(scene, wavelengths=wavelengths,
                                 approximate_bands=approximate_bands)
    image, gt, notes = read_scene(scene, mat_dir)
    written = write_scene_folder(scene, image, gt, bands, out, tile=tile, fractions=fractions,
                                 seed=seed, band_note=note)
    if wavelengths is None and scene.band_status != "cited":
        notes.append(f"band table {scene.band_status}: {scene.band_note}")
    return written, notes

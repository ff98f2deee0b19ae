"""The demo's segmentation scenes rendered for another sensor's band table: same spectra, same
parcels, same labels - another instrument looking at the same ground.

:func:`hsiadapt.demo.generate.build_benchmark` draws every chip from one seeded stream. This
module replays that stream draw for draw (parcels, classes, the library spectra each parcel
mixes, the mixing weights and illumination, the noise draw, the unlabelled parcel) and keeps
what is linear in the spectra, then renders each chip with the library resampled to the other
sensor's bands (Gaussian integration against its centres and FWHM,
:meth:`hsiadapt.demo.library.Library.resample`), the sensor's SNR (:func:`generate._snr`) and
noise from a per-chip stream. The minerals' brightness normalisation keeps the EnMAP factor of
each library spectrum, so a spectrum is the same reflectance whatever the sensor. Rendered for
``enmap_spectralearth`` the chips are the benchmark's own, bit for bit (a test holds that).

Written in the benchmark's layout (``spectralearth/enmap/...`` images with the sensor's band
count, the benchmark's masks and split lists), so the demo loaders read them with
``dataset_args: {bands: <sensor>}``.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.demo.classes import LANDCOVER, MINERALS
from hsiadapt.demo.generate import (
    GENERATOR_VERSION,
    BenchmarkSpec,
    _blur,
    _snr,
    _voronoi,
    _write_geotiff,
    mineral_classes,
)
from hsiadapt.demo.library import load_library
from hsiadapt.spectral import get_sensor

__all__ = ["CROSS_SENSORS", "ensure_sensor_benchmark", "render_segmentation_tasks"]

#: the sensors the cross-sensor demo renders its scenes for (spectral/sensors.py tables)
CROSS_SENSORS = ("prisma", "emit", "aviris_ng")
#: the sensor the benchmark itself is rendered for
HOME = "enmap_spectralearth"


def _replay(rng: np.random.Generator, size: int, pools: dict[int, np.ndarray],
            classes: list[int], n_home: int) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """``generate._scene``'s draws, in its order: ``(parcel recipes, home noise, label)``; a
    recipe is ``(pixels, spectra indices, mixing weights x illumination)``."""
    k = int(rng.integers(3, 7))
    parcels = _voronoi(rng, size, k)
    codes = rng.choice(classes, size=k)
    recipes = []
    for p in range(k):
        sel = parcels == p
        pool = rng.choice(pools[int(codes[p])], size=3, replace=False)
        w = rng.dirichlet(np.ones(3) * 0.7, size=int(sel.sum()))
        f = rng.uniform(0.85, 1.15) * rng.normal(1.0, 0.02, (w.shape[0], 1))
        recipes.append((sel, pool, w, f))
    noise = rng.normal(0, 1, (n_home, size, size))
    label = codes[parcels].astype(np.uint16)
    if rng.random() < 0.08 * 4:  # generate._scene's background_share * 4
        label[parcels == int(rng.integers(k))] = 0
    return recipes, noise, label


def _render(recipes: list[Any], spectra: np.ndarray, snr: np.ndarray, noise: np.ndarray,
            size: int) -> np.ndarray:
    img = np.zeros((spectra.shape[1], size, size))
    for sel, pool, w, f in recipes:
        pix = w @ spectra[pool]
        pix *= f
        img[:, sel] = pix.T
    img = _blur(img)
    img += noise * (img / snr[:, None, None] + 0.0005)
    return np.clip(img, 0, 1)


def render_segmentation_tasks(root: Path, sensor: str, spec: BenchmarkSpec | None = None,
                              ) -> Path:
    """Write the benchmark's landcover and minerals chips (every split) for ``sensor`` under
    ``root/spectralearth/enmap`` (a new or empty folder); masks and split lists are those of
    the replayed stream (identical to the benchmark's)."""
    spec = spec or BenchmarkSpec()
    lib = load_library()
    home, bands = get_sensor(HOME), get_sensor(sensor)
    home_spectra = lib.resample(home, coverage="nearest")
    spectra = home_spectra if sensor == HOME else lib.resample(bands, coverage="nearest")
    snr = _snr(bands)
    rng = np.random.default_rng(spec.seed)
    idx, code = mineral_classes(lib)
    mineral_spectra = spectra[idx] / home_spectra[idx].mean(axis=1, keepdims=True) * 0.25
    tasks = (("landcover", {c: lib.select(level3=cls) for c, (_, cls) in LANDCOVER.items()},
              spectra, 0),
             ("minerals", {c: np.flatnonzero(code == c) for c in MINERALS}, mineral_spectra,
              50_000))
    base = root / "spectralearth"
    salt = zlib.crc32(sensor.encode())
    for name, pools, spec_arr, first_id in tasks:
        count = first_id
        for split, k in (("train", spec.n_train), ("val", spec.n_val), ("test", spec.n_test)):
            ids = []
            for _ in range(k):
                sid = f"{9000000 + count // 16:07d}/{10000 + count:06d}.tif"
                recipes, noise, label = _replay(rng, spec.chip, pools, sorted(pools), len(home))
                if sensor != HOME:
                    noise = np.random.default_rng([spec.seed, salt, count]).normal(
                        0, 1, (len(bands), spec.chip, spec.chip))
                img = _render(recipes, spec_arr, snr, noise, spec.chip)
                _write_geotiff(base / "enmap" / sid, np.round(img * 10000), "int16")
                _write_geotiff(base / name / sid, label[None], "uint16")
                ids.append(sid)
                count += 1
            f = base / "splits" / f"demo_{name}" / f"{split}.txt"
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("\n".join(ids) + "\n")
    return root


def ensure_sensor_benchmark(sensor: str, spec: BenchmarkSpec | None = None,
                            cache_dir: str | Path | None = None) -> Path:
    """The folder of the benchmark's segmentation scenes rendered for ``sensor``, built on first
    use (atomically) beside the benchmark and reused afterwards."""
    from hsiadapt.demo.generate import build_once, default_cache_dir

    spec = spec or BenchmarkSpec()
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return build_once(base / f"benchmark-v{GENERATOR_VERSION}-{spec.key()}-{sensor}",
                      lambda tmp: render_segmentation_tasks(tmp, sensor, spec),
                      {"version": GENERATOR_VERSION, "sensor": sensor, "spec": asdict(spec)})

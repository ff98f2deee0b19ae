"""Generate the embedded benchmark from real spectra, in the real on-disk formats.

Three tasks of graded spectral difficulty, all built from earthlib's real spectra resampled to
the sensor's bands through their responses (:mod:`hsiadapt.demo.library`):

* ``landcover`` (coarse, 4 classes: vegetation, bare soil, built-up, non-photosynthetic
  vegetation/char) - classes differ in broad spectral shape;
* ``minerals`` (fine, 4 soil classes by their dominant narrow absorption feature: Al-OH near
  2200 nm, carbonate near 2340 nm, iron oxide near 900 nm, weak features), with each spectrum's
  brightness normalised so that albedo alone does not separate them;
* ``canopy`` (field-level regression of PROSAIL canopy LAI, chlorophyll, LMA and N over a soil
  background, HYPERVIEW sensor and format, scored with the HYPERVIEW score).

Scenes have spatial structure: Voronoi parcels, each drawing a few library spectra of its class
and mixing them pixel by pixel (within-class variability), per-parcel and per-pixel
illumination, a small blur that mixes boundary pixels, and band-dependent noise (SNR ~150 VNIR,
~100 SWIR, ~10 in the water-vapour windows). Segmentation tasks are written in the SpectralEarth
layout (202-band int16 GeoTIFF chips, mask GeoTIFFs, split lists), the regression task as
HYPERVIEW ``.npz`` masked arrays with a ground-truth CSV, so the real loaders read them.

Everything is seeded; :func:`ensure_benchmark` builds once into a cache folder (atomically) and
reuses it while the generator version and parameters are unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.demo.classes import LANDCOVER, MINERALS
from hsiadapt.demo.library import Library, load_library, parse_prosail_name
from hsiadapt.spectral import BandSet, get_sensor

__all__ = ["GENERATOR_VERSION", "BenchmarkSpec", "default_cache_dir", "ensure_benchmark"]

GENERATOR_VERSION = 2

@dataclass(frozen=True)
class BenchmarkSpec:
    """Sizes of the embedded benchmark (chips per split, chip side, fields)."""

    chip: int = 32
    n_train: int = 48
    n_val: int = 16
    n_test: int = 16
    n_fields: int = 120
    seed: int = 0

    def key(self) -> str:
        d = {**asdict(self), "version": GENERATOR_VERSION}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def default_cache_dir() -> Path:
    base = os.environ.get("HSIADAPT_CACHE") or os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "hsiadapt"


def _snr(bands: BandSet) -> np.ndarray:
    c = bands.centers
    snr = np.where(c < 1000, 150.0, 100.0)
    water = ((c > 1340) & (c < 1460)) | ((c > 1790) & (c < 1970))
    return np.where(water, 10.0, snr)


def _voronoi(rng: np.random.Generator, size: int, k: int) -> np.ndarray:
    pts = rng.uniform(0, size, (k, 2))
    yy, xx = np.mgrid[:size, :size]
    d = (yy[..., None] - pts[:, 0]) ** 2 + (xx[..., None] - pts[:, 1]) ** 2
    return d.argmin(-1)


def _blur(img: np.ndarray) -> np.ndarray:
    """3x3 mixing of neighbours (weights 4/2/1): boundary pixels become mixtures."""
    k = np.array([1.0, 2.0, 1.0], dtype=img.dtype)  # keeps float32 abundances float32
    out = img.copy()
    for axis in (1, 2):
        p = np.pad(out, [(0, 0)] + [(1, 1) if a == axis else (0, 0) for a in (1, 2)], mode="edge")
        sl = [slice(None)] * 3
        parts = []
        for s in range(3):
            sl[axis] = slice(s, s + out.shape[axis])
            parts.append(p[tuple(sl)] * k[s])
        out = sum(parts) / k.sum()
    return out


def _scene(rng, size, pools: dict[int, np.ndarray], spectra: np.ndarray, snr: np.ndarray,
           classes: list[int], background_share: float = 0.08):
    """One chip: (reflectance (B, H, W), class codes (H, W); 0 = unlabelled)."""
    k = int(rng.integers(3, 7))
    parcels = _voronoi(rng, size, k)
    codes = rng.choice(classes, size=k)
    b = spectra.shape[1]
    img = np.zeros((b, size, size))
    for p in range(k):
        sel = parcels == p
        pool = rng.choice(pools[int(codes[p])], size=3, replace=False)
        w = rng.dirichlet(np.ones(3) * 0.7, size=int(sel.sum()))  # within-class variability
        pix = w @ spectra[pool]
        pix *= rng.uniform(0.85, 1.15) * rng.normal(1.0, 0.02, (pix.shape[0], 1))
        img[:, sel] = pix.T
    img = _blur(img)
    img += rng.normal(0, 1, img.shape) * (img / snr[:, None, None] + 0.0005)
    label = codes[parcels].astype(np.uint16)
    if rng.random() < background_share * 4:  # some chips carry an unlabelled parcel
        label[parcels == int(rng.integers(k))] = 0
    return np.clip(img, 0, 1), label


def scene_by_abundance(rng, size, pools: dict[int, np.ndarray], spectra: np.ndarray,
                       snr: np.ndarray, classes: list[int], background_share: float = 0.08):
    """:func:`_scene`'s scene (the same draws for parcels, classes, spectra and mixing weights)
    rendered in abundance space: the neighbour mixing and the illumination act on the (at most
    18) endmember abundances, then one product with the endmember spectra gives the bands - the
    same linear operations in another order, in float32 and with float32 noise, so about 5x
    faster at 202 bands (the pretraining corpus renders chips on the fly with it)."""
    k = int(rng.integers(3, 7))
    parcels = _voronoi(rng, size, k)
    codes = rng.choice(classes, size=k)
    ends = np.zeros((3 * k, spectra.shape[1]), dtype=np.float32)
    ab = np.zeros((3 * k, size, size), dtype=np.float32)
    for p in range(k):
        sel = parcels == p
        pool = rng.choice(pools[int(codes[p])], size=3, replace=False)
        w = rng.dirichlet(np.ones(3) * 0.7, size=int(sel.sum()))
        w *= rng.uniform(0.85, 1.15) * rng.normal(1.0, 0.02, (w.shape[0], 1))
        ends[3 * p:3 * p + 3] = spectra[pool]
        ab[3 * p:3 * p + 3, sel] = w.T
    ab = _blur(ab)
    img = (ends.T @ ab.reshape(3 * k, -1)).reshape(-1, size, size)
    img += rng.standard_normal(img.shape, dtype=np.float32) * (img / snr[:, None, None]
                                                               + 0.0005).astype(np.float32)
    label = codes[parcels].astype(np.uint16)
    if rng.random() < background_share * 4:
        label[parcels == int(rng.integers(k))] = 0
    return np.clip(img, 0, 1, out=img), label


def _band_depth(spectra: np.ndarray, wl: np.ndarray, lo: float, centre: float,
                hi: float) -> np.ndarray:
    """Continuum-removed depth at ``centre`` with shoulders ``lo``/``hi`` (nm)."""
    i_lo, i_c, i_hi = (int(np.abs(wl - v).argmin()) for v in (lo, centre, hi))
    t = (wl[i_c] - wl[i_lo]) / (wl[i_hi] - wl[i_lo])
    cont = spectra[:, i_lo] * (1 - t) + spectra[:, i_hi] * t
    return 1.0 - spectra[:, i_c] / np.maximum(cont, 1e-6)


def mineral_classes(lib: Library) -> tuple[np.ndarray, np.ndarray]:
    """Soil spectra indices and their mineral class codes (1-4, see ``MINERALS``)."""
    idx = lib.select(level3=("soil",))
    s = lib.spectra[idx]
    wl = lib.bands.centers
    depth = np.stack([_band_depth(s, wl, 2120, 2200, 2260),
                      _band_depth(s, wl, 2260, 2340, 2400),
                      _band_depth(s, wl, 760, 900, 1040)], axis=1)
    z = (depth - np.median(depth, 0)) / (depth.std(0) + 1e-9)
    strong = z.max(1) > 0.75
    code = np.where(strong, z.argmax(1) + 1, 4)
    return idx, code


def _write_geotiff(path: Path, arr: np.ndarray, dtype: str) -> None:
    import rasterio
    from rasterio.transform import from_origin

    path.parent.mkdir(parents=True, exist_ok=True)
    prof = dict(driver="GTiff", width=arr.shape[-1], height=arr.shape[-2], count=arr.shape[0],
                dtype=dtype, crs="EPSG:32633", transform=from_origin(400000, 5800000, 30, 30))
    with rasterio.open(path, "w", **prof) as dst:
        dst.write(arr.astype(dtype))


def _segmentation_task(root: Path, name: str, spec: BenchmarkSpec, rng, pools, spectra,
                       snr, first_id: int) -> None:
    classes = sorted(pools)
    ids: dict[str, list[str]] = {}
    n = {"train": spec.n_train, "val": spec.n_val, "test": spec.n_test}
    count = first_id  # tasks share root/enmap (as in SpectralEarth) with disjoint patch ids
    for split, k in n.items():
        ids[split] = []
        for _ in range(k):
            tile = f"{9000000 + count // 16:07d}"
            sid = f"{tile}/{10000 + count:06d}.tif"
            count += 1
            img, label = _scene(rng, spec.chip, pools, spectra, snr, classes)
            _write_geotiff(root / "enmap" / sid, np.round(img * 10000), "int16")
            _write_geotiff(root / name / sid, label[None], "uint16")
            ids[split].append(sid)
        f = root / "splits" / f"demo_{name}" / f"{split}.txt"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("\n".join(ids[split]) + "\n")


def _canopy_task(root: Path, spec: BenchmarkSpec, rng, lib: Library) -> None:
    hv = get_sensor("hyperview")
    hv_fwhm = BandSet.from_wavelengths(hv.centers, fwhm=hv.effective_fwhm(), name="hyperview")
    spectra = lib.resample(hv_fwhm, coverage="error")
    snr = _snr(hv)
    canopy = lib.select(level3=("canopy",))
    params = np.array([parse_prosail_name(lib.names[i]) for i in canopy])  # LAI LMA CHL N
    soils = lib.select(level3=("soil",))
    (root / "train").mkdir(parents=True, exist_ok=True)
    rows = ["sample_index,LAI,CHL,LMA,N"]
    for i in range(spec.n_fields):
        j = int(rng.integers(len(canopy)))
        h, w = (int(v) for v in rng.integers(11, 25, 2))
        cover = np.clip(rng.normal(rng.uniform(0.55, 0.95), 0.05, (h, w)), 0, 1)
        soil = spectra[soils[int(rng.integers(len(soils)))]]
        pix = cover[..., None] * spectra[canopy[j]] + (1 - cover[..., None]) * soil
        pix = pix.transpose(2, 0, 1) * rng.uniform(0.9, 1.1)
        pix += rng.normal(0, 1, pix.shape) * (pix / snr[:, None, None] + 0.0005)
        yy, xx = np.mgrid[:h, :w]
        field = ((yy - (h - 1) / 2) / (h / 2)) ** 2 + ((xx - (w - 1) / 2) / (w / 2)) ** 2 <= 1.0
        mask = np.broadcast_to(~field, pix.shape).copy()
        data = np.clip(np.round(pix * 10000), 0, 10000).astype(np.int16)
        np.savez_compressed(root / "train" / f"{i}.npz", data=data, mask=mask)
        lai, lma, chl, n_ = params[j]
        rows.append(f"{i},{lai:g},{chl:g},{lma:g},{n_:g}")
    (root / "train_gt.csv").write_text("\n".join(rows) + "\n")


def build_benchmark(root: Path, spec: BenchmarkSpec = BenchmarkSpec()) -> Path:
    """Write the benchmark under ``root`` (which must not exist)."""
    lib = load_library()
    se = get_sensor("enmap_spectralearth")
    spectra = lib.resample(se, coverage="nearest")
    snr = _snr(se)
    rng = np.random.default_rng(spec.seed)
    pools_lc = {c: lib.select(level3=cls) for c, (_, cls) in LANDCOVER.items()}
    _segmentation_task(root / "spectralearth", "landcover", spec, rng, pools_lc, spectra, snr,
                       first_id=0)
    idx, code = mineral_classes(lib)
    s = spectra[idx]
    s = s / s.mean(axis=1, keepdims=True) * 0.25  # equal brightness: only shape separates
    pools_min = {c: np.flatnonzero(code == c) for c in MINERALS}
    _segmentation_task(root / "spectralearth", "minerals", spec, rng, pools_min, s, snr,
                       first_id=50_000)
    _canopy_task(root / "canopy", spec, rng, lib)
    return root


def ensure_benchmark(cache_dir: str | Path | None = None,
                     spec: BenchmarkSpec = BenchmarkSpec()) -> Path:
    """The benchmark folder, generated on first use and reused afterwards."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return build_once(base / f"benchmark-v{GENERATOR_VERSION}-{spec.key()}",
                      lambda tmp: build_benchmark(tmp, spec),
                      {"version": GENERATOR_VERSION, "spec": asdict(spec)})


def build_once(root: Path, build: Callable[[Path], Any], complete: dict[str, Any]) -> Path:
    """``root``, built on first use by ``build(tmp)`` in a temporary sibling that is renamed
    into place once ``COMPLETE.json`` (``complete``) is written: an interrupted build leaves no
    folder that looks finished."""
    if (root / "COMPLETE.json").is_file():
        return root
    tmp = root.parent / f".{root.name}.tmp{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    build(tmp)
    (tmp / "COMPLETE.json").write_text(json.dumps(complete))
    if root.exists():
        shutil.rmtree(root)
    os.replace(tmp, root)
    return root

"""Apply a fine-tuned segmentation run to a whole scene: ``hsiadapt predict RUN_DIR IMAGE``.

The scene is read with its own wavelength metadata (checked against the bands the run trained
on), cut into tiles of the training chip size with overlap, each tile adapted, normalised with the
run's statistics, resized to the model's input size and predicted; class probabilities are
blended with a smooth window so tile seams do not show, pixels that are nodata in the input are
nodata (255) in the output, and the result is written as a GeoTIFF with the input's CRS and
transform (atomically). A mission product as downloaded (EnMAP L2A ``-SPECTRAL_IMAGE.TIF``, EMIT
L2A ``.nc``, PRISMA L2D ``.he5``) is read with its own band table and scale factors, EMIT
orthorectified through its GLT, and the map takes the product's CRS and geotransform. Weights
are read from the run's best checkpoint with ``torch.load(weights_only=True)``.

The scene is never held in memory: it is read in strips of one row of windows
(:mod:`hsiadapt.datasets.scene`), each strip adapted, normalised and predicted
(:func:`~hsiadapt.experiment.inference.class_map_strips`), and the finished rows of the map
written to the GeoTIFF by windows; the map equals the one predicted from the whole scene in
memory. The scale check reads the scene once more, strip by strip, before predicting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
import yaml

from hsiadapt._atomic import atomic_path, atomic_write_text
from hsiadapt.adapters import SpectralAdapter
from hsiadapt.data.fixed_adapter import FixedAdapter
from hsiadapt.data.transforms import Normalize
from hsiadapt.datasets.product import Georef
from hsiadapt.datasets.scene import SceneStrips, open_scene
from hsiadapt.experiment.inference import (
    BATCH_SIZE,
    OVERLAP,
    class_map_strips,
    input_fwhm,
    input_wavelengths,
    prepare_image,
    window_sizes,
)
from hsiadapt.experiment.run_files import run_statistics as _run_statistics
from hsiadapt.experiment.run_files import run_weights
from hsiadapt.models.model import AdaptedModel
from hsiadapt.spectral import BandSet

__all__ = ["LoadedRun", "check_scene_bands", "class_legend", "load_run_model", "predict_scene",
           "scene_files"]

NODATA = 255
#: rows read at once by the scale check's pass over the scene
SCALE_ROWS = 128
NODATA_16 = 65535


@dataclass
class LoadedRun:
    """A finished segmentation run rebuilt for inference."""

    model: AdaptedModel
    adapter: SpectralAdapter | None  # the fixed adapter of the data pipeline
    normalize: Normalize | None
    bands: BandSet  # the source bands the run trained on
    classes: list[str]
    class_codes: list[int] | None
    chip_px: int | None
    image_size: int | None
    patch: int
    #: the training data's ``reflectance_scale`` (``None``: the files' scale tags / default)
    train_scale: float | None = None


def load_run_model(run_dir: str | Path) -> LoadedRun:
    """Rebuild a finished run's model (through the run plan) with its best weights."""
    from hsiadapt.adapters import build_adapter
    from hsiadapt.experiment.config import RunSpec
    from hsiadapt.experiment.plan import plan_run
    from hsiadapt.experiment.record import CONFIG_FILE, read_record
    from hsiadapt.models.input_modes import input_mode

    rd = Path(run_dir)
    if not rd.is_dir():
        raise FileNotFoundError(f"run folder {rd.resolve()} does not exist; pass the folder of a "
                                "finished run (<output>/<run_id>)")
    rec = read_record(rd)
    if rec is None:
        raise ValueError(f"{rd}: not a run folder (no readable metrics.json)")
    if not rec.finished:
        raise ValueError(f"{rd}: run is not finished (status {rec.status!r})")
    if rec.task_type != "segmentation":
        raise ValueError(f"{rd}: predict writes class maps; this run is {rec.task_type}")
    bands = rec.bands()
    if bands is None:
        raise ValueError(f"{rd}: the run record has no source band table")
    spec = RunSpec.from_dict(yaml.safe_load((rd / CONFIG_FILE).read_text()))
    plan = plan_run(spec, precision=rec.precision or "32-true")
    # weights come from the run's checkpoint, never from the hub or the original ckpt_path
    plan = replace(plan, model=replace(plan.model, pretrained=False, ckpt_path=None))
    classes = rec.classes
    if not classes:
        raise ValueError(f"{rd}: the run record has no class names (written by an hsiadapt "
                         "before records kept them); re-run it to predict with it")
    adapter = None
    if plan.data.adapter is not None:
        adapter = FixedAdapter.build(plan.data.adapter, bands, plan.data.target,
                                     **plan.data.adapter_args).module
    stats = _run_statistics(rd, plan.data.normalization)
    fold = None
    if input_mode(plan.model.input_mode).folds_normalization and stats is not None:
        # the same structure as trained (a folded embedding has a bias); weights come below
        from hsiadapt.models.model import NormalizationFold

        n_t = len(build_adapter("select", bands, plan.model.target,
                                coverage=(plan.model.adapter_args or {}).get("coverage", "error")
                                ).target)
        fold = NormalizationFold(np.asarray(stats["mean"]), np.asarray(stats["std"]),
                                 np.zeros(n_t), np.ones(n_t))
    model = plan.model.build(bands, len(classes),
                             target=adapter.target if adapter is not None else None, fold=fold)
    state = run_weights(rd)
    model.load_state_dict(state)
    normalize = None
    if stats is not None:
        normalize = Normalize(torch.tensor(stats["mean"]), torch.tensor(stats["std"]))
    return LoadedRun(model=model.eval(), adapter=adapter, normalize=normalize, bands=bands,
                     classes=classes, class_codes=rec.class_codes, chip_px=rec.chip_px,
                     image_size=plan.recipe.image_size, patch=model.backbone_info.patch_size,
                     train_scale=spec.task.dataset_args.get("reflectance_scale"))


def scene_files(image: str | Path) -> Path:
    """The raster to read for ``image``: an ENVI header (``scene.hdr``, ``scene.img.hdr``) gives
    the data file beside it (``scene``, ``scene.img``...); anything else is itself."""
    from hsiadapt.spectral.envi import resolve_envi_pair

    p = Path(image)
    if not p.is_file():
        raise FileNotFoundError(f"scene {p.absolute()} does not exist")
    if p.suffix.lower() == ".hdr":
        return resolve_envi_pair(p)[0]
    return p


def check_scene_bands(image: str | Path, bands: BandSet, trained: BandSet) -> None:
    """Refuse a scene whose band table is not the one the run trained on, saying how it differs
    (count, or centres: the largest difference in nm and at which band) and what to do."""
    fix = ("If the file's wavelength metadata are wrong, give the right ones (--wavelengths "
           "FILE_OR_SENSOR on the command line, wavelengths= in Python); if the scene is from "
           "another sensor, train a run on that sensor's data")
    if len(bands) != len(trained):
        raise ValueError(
            f"{image}: the scene has {len(bands)} bands but the run trained on "
            f"{len(trained)} ({trained.centers.min():.1f}-{trained.centers.max():.1f} nm). {fix}")
    d = np.abs(bands.centers - trained.centers)
    j = int(d.argmax())
    if d[j] > 1.0:
        raise ValueError(
            f"{image}: the scene has the run's {len(bands)} bands, but their centres differ "
            f"by up to {d[j]:.1f} nm (band {j}: {bands.centers[j]:.1f} nm in the scene, "
            f"{trained.centers[j]:.1f} nm in training; {int((d > 1.0).sum())} bands differ by "
            f"more than 1 nm). {fix}")


def predict_scene(run_dir: str | Path, image: str | Path, out: str | Path, *,
                  tile: int | None = None, overlap: float = OVERLAP,
                  batch_size: int = BATCH_SIZE, allow_scale_mismatch: bool = False,
                  wavelengths: BandSet | str | Path | None = None,
                  reflectance_scale: float | None = None) -> Path:
    """Predict a class map for ``image`` and write it to ``out`` (see the module docstring).

    ``image`` is a GeoTIFF (or another GDAL raster), or an ENVI data file or its header (either
    finds the other). ``wavelengths`` (a BandSet, sensor name or wavelength file) replaces the
    band table the file's metadata give. ``reflectance_scale`` (file value x scale =
    reflectance, as the dataset argument of that name) overrides the file's scale tag: a float
    0-1 scene without one takes 1.0, the scale a run trained on float 0-1 files was given.

    Raises:
        ValueError: the scene's bands differ from the run's, or its values are on another
            scale than the training data's statistics (a factor of 10 or more), or it holds
            float 0-1 values without a scale tag (pass ``reflectance_scale`` /
            ``--reflectance-scale``, or ``allow_scale_mismatch=True`` /
            ``--allow-scale-mismatch`` to predict anyway).
    """
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning
    from rasterio.windows import Window

    data = scene_files(image)
    run = load_run_model(run_dir)
    fix = _scale_fix(run.train_scale)
    scene, bands = _open_scene(image, data, wavelengths, run.bands, reflectance_scale,
                               None if allow_scale_mismatch else fix)
    h, w = scene.height, scene.width
    if run.normalize is not None and not allow_scale_mismatch:
        _check_scale(image, scene, run, fix)
    t, size = window_sizes(tile, run.chip_px, run.image_size, run.patch)
    k = len(run.classes)
    codes = run.class_codes if run.class_codes else list(range(k))
    legend = class_legend(run.classes, codes)
    dtype, nodata = ("uint8", NODATA) if max(codes) < NODATA else ("uint16", NODATA_16)
    lut = np.asarray(codes, dtype=np.int64)
    valid = np.zeros((h, w), dtype=bool)  # filled strip by strip (1 byte a pixel)

    def read(r0: int, r1: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, v = scene.read(r0, r1)
        valid[r0:r1] = v
        vt = torch.from_numpy(v)
        return prepare_image(torch.from_numpy(x), vt, run.adapter, run.normalize), vt

    profile = {"driver": "GTiff", "height": h, "width": w, "count": 1, "dtype": dtype,
               "nodata": nodata, "compress": "deflate", **_georef_profile(data, scene.georef)}
    outp = Path(out)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with atomic_path(outp, suffix=".tif") as tmp, rasterio.open(tmp, "w", **profile) as dst:

            def write(r0: int, ordinal: np.ndarray) -> None:
                n = ordinal.shape[0]
                cls = lut[ordinal].astype(dtype)
                cls[~valid[r0:r0 + n]] = nodata
                dst.write(cls, 1, window=Window(0, r0, w, n))

            class_map_strips(run.model, read, h, w, k, write, tile=t, size=size,
                             overlap=overlap, batch_size=batch_size,
                             wavelengths=input_wavelengths(run.adapter, bands),
                             fwhm=input_fwhm(run.adapter, bands))
            dst.write_colormap(1, {code: (*rgb, 255) for code, _name, rgb in legend})
            dst.update_tags(classes=json.dumps({str(c): n for c, n, _ in legend}),
                            run=str(Path(run_dir).name), nodata_meaning="no valid input pixel")
    write_qgis_style(outp.with_suffix(".qml"), legend)
    return outp


def _scale_fix(train_scale: float | None) -> str:
    """What to do about a scene on another scale, in ``predict``'s flags."""
    trained = ("" if train_scale is None else
               f" (the run trained with reflectance_scale {train_scale:g}: "
               f"--reflectance-scale {train_scale:g} reads the scene as it read its files)")
    return ("pass --reflectance-scale F, F the factor that turns the scene's values into "
            f"reflectance (1.0 for reflectance 0-1){trained}; or convert the scene to the "
            "training data's units; or pass --allow-scale-mismatch to predict anyway")


def _check_scale(image: str | Path, scene: SceneStrips, run: LoadedRun, fix: str) -> None:
    """Refuse a scene on another scale than the training data's statistics: the median band
    mean after the adapter over the scene's valid pixels, summed strip by strip."""
    assert run.normalize is not None
    total: torch.Tensor | None = None
    count = 0
    for r0 in range(0, scene.height, SCALE_ROWS):
        x, v = scene.read(r0, r0 + SCALE_ROWS)
        vt = torch.from_numpy(v)
        adapted = prepare_image(torch.from_numpy(x), vt, run.adapter, None)
        part = adapted[:, vt].double().sum(dim=1)
        total = part if total is None else total + part
        count += int(v.sum())
    if total is None or count == 0:
        return
    scene_mean = float((total / count).abs().median())
    train = float(run.normalize.mean.abs().median())
    if train > 0 and scene_mean > 0 and not 0.1 <= scene_mean / train <= 10:
        raise ValueError(
            f"{image}: its values (median band mean {scene_mean:.4g} after the adapter, on the "
            f"loaders' reflectance x 10000 scale) differ from the training data's statistics "
            f"(median band mean {train:.4g}) by a factor of {scene_mean / train:.3g}: the scene "
            f"is in other units (reflectance 0-1 without a scale tag? radiance?): {fix}")


def _open_scene(image: str | Path, data: Path, wavelengths: BandSet | str | Path | None,
                trained: BandSet, reflectance_scale: float | None, unscaled_fix: str | None
                ) -> tuple[SceneStrips, BandSet]:
    """The scene opened for strips on the sample scale (a product with its georeferencing)
    and its band table, checked against the run's."""
    from hsiadapt.datasets.product import is_product
    from hsiadapt.spectral.io import load_bandset

    if isinstance(wavelengths, BandSet):
        bands = wavelengths
    else:
        bands = load_bandset(wavelengths if wavelengths is not None else image)
    check_scene_bands(image, bands, trained)
    if is_product(data) and reflectance_scale is not None:
        raise ValueError(f"{image}: a mission product carries its own scale factors; drop "
                         "--reflectance-scale")
    return open_scene(data, len(bands), valid_bands=bands.valid,
                      reflectance_scale=reflectance_scale, unscaled_fix=unscaled_fix), bands


def _georef_profile(data: Path, georef: Georef | None) -> dict[str, object]:
    """CRS and transform for the map: the product's, or those of the raster read."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    if georef is not None:
        crs, gt = georef
        return {"crs": rasterio.crs.CRS.from_user_input(crs) if crs else None,
                "transform": rasterio.Affine.from_gdal(*gt) if gt else rasterio.Affine.identity()}
    with warnings.catch_warnings():  # an ENVI scene without map info is fine: none is copied
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        src = rasterio.open(data)
    with src:
        return {"crs": src.crs, "transform": src.transform}


def class_legend(names: list[str], codes: list[int]) -> list[tuple[int, str, tuple[int, int, int]]]:
    """``(code, name, (r, g, b))`` per class: the colours of the GeoTIFF's colour table, the
    QGIS style and the figures' legends."""
    import matplotlib

    cmap = matplotlib.colormaps["tab20"]
    out = []
    for i, (code, name) in enumerate(zip(codes, names, strict=True)):
        r, g, b, _ = cmap(i % 20)
        out.append((int(code), str(name), (round(255 * r), round(255 * g), round(255 * b))))
    return out


def write_qgis_style(path: Path, legend: list[tuple[int, str, tuple[int, int, int]]]) -> Path:
    """A QGIS paletted-renderer style next to the map (QGIS loads ``<name>.qml`` with
    ``<name>.tif``), so the legend shows the class names."""
    from xml.sax.saxutils import quoteattr

    entries = "\n".join(
        f'        <paletteEntry value="{code}" color="#{r:02x}{g:02x}{b:02x}" alpha="255" '
        f"label={quoteattr(name)}/>" for code, name, (r, g, b) in legend)
    text = ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.28" styleCategories="Symbology">\n  <pipe>\n'
            '    <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1">\n'
            f"      <colorPalette>\n{entries}\n      </colorPalette>\n"
            "    </rasterrenderer>\n  </pipe>\n</qgis>\n")
    atomic_write_text(path, text)
    return path

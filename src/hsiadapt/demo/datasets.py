"""Loaders of the embedded benchmark: the real SpectralEarth and HYPERVIEW loaders, configured
for the benchmark's class lists and targets (see :mod:`hsiadapt.demo.generate`)."""

from __future__ import annotations

from hsiadapt.datasets.base import DATASETS
from hsiadapt.datasets.hyperview import Hyperview1
from hsiadapt.datasets.spectralearth import SpectralEarthSegmentation
from hsiadapt.demo.classes import LANDCOVER, MINERALS

__all__ = ["DemoCanopy", "DemoLandcover", "DemoMinerals"]


@DATASETS.register("demo_landcover")
class DemoLandcover(SpectralEarthSegmentation):
    """Embedded benchmark, coarse land cover (4 classes) in the SpectralEarth layout."""

    mask_dir = "landcover"
    split_name = "demo_landcover"
    class_codes = tuple(LANDCOVER)
    classes = tuple(v[0] for v in LANDCOVER.values())


@DATASETS.register("demo_minerals")
class DemoMinerals(SpectralEarthSegmentation):
    """Embedded benchmark, soil classes by narrow absorption features (4 classes)."""

    mask_dir = "minerals"
    split_name = "demo_minerals"
    class_codes = tuple(MINERALS)
    classes = tuple(MINERALS.values())


@DATASETS.register("demo_canopy")
class DemoCanopy(Hyperview1):
    """Embedded benchmark, field-level canopy LAI / chlorophyll / LMA / N (HYPERVIEW format)."""

    targets = ("LAI", "CHL", "LMA", "N")

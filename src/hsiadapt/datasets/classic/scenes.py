"""The classic labelled scenes a new user tries first, as the EHU GIC page distributes them.

Each :class:`ClassicScene` is a dataset card: the two ``.mat`` files, their variable names, the
expected shape, the class names (code 0 = unlabelled), the download URLs, and the band table
with where it comes from and how sure it is (:attr:`ClassicScene.band_status`):

* ``"cited"``: the sensor's published table for these channels (Indian Pines: the 92AV3C
  calibration of this very image; Botswana: the USGS Hyperion table).
* ``"nominal"``: the sensor's table from another season, a few channels extrapolated (Salinas).
* ``"approximate"``: the channels are not published; an even spacing over the stated range,
  used only when the user says so (Pavia University).
* ``"unknown"``: which channels were kept is not published; the user gives the table (KSC).

Every claim's source is in :data:`SOURCES` (``repo@commit:path:line``, quoting the line), or it is
marked unconfirmed there. Houston 2013 is not a pair of ``.mat`` files but the GRSS Data Fusion
Contest 2013 files (a CASI GeoTIFF and ENVI ROI text files, ``layout="dftc2013"``, read by
:mod:`.dftc2013`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

from hsiadapt.spectral import Band, BandSet, get_sensor

__all__ = ["SCENES", "SOURCES", "BandStatus", "ClassicScene", "get_scene"]

BandStatus = Literal["cited", "nominal", "approximate", "unknown"]

_EHU = "http://www.ehu.eus/ccwintco/uploads/"
_DHX = "nshaud/DeepHyperX@176e582e:datasets.py"

#: where each claim comes from; "unconfirmed" where no citable source was found
SOURCES: dict[str, str] = {
    "urls_keys_classes": f"{_DHX}:24-69 (URLs), 140-292 (variable names, class names), e.g. "
                         "line 215 'img = open_file(folder + \"Indian_pines_corrected.mat\")'",
    "indian_pines_removed": "helmenov/IndianPines@0e78549d:src/IndianPines/dataset.py:104 "
                            "'[features[:, :103], features[:, 108:149], features[:, 163:219]],' "
                            "(keeps 200 of the 220 channels; Gualtieri & Cromp, AIPR 1999, cited "
                            "in src/IndianPines/resource/ReduceWaterAbsorption.rst:3)",
    "indian_pines_shape": "helmenov/IndianPines@0e78549d:src/IndianPines/dataset.py:36 "
                          "'(145 x 145 image shape, and 220 hyper-spectral channels)'",
    "aviris_92": "hsiadapt built-in aviris_classic: spectralpython/sample-data@b2c0458d:92AV3C.spc "
                 "(the 220 channels of the Indian Pines image)",
    "salinas_removed": "a stored file (index id 41664876452, repository not named by the index), "
                       "line 32 'AVIRIS sensor 224 bands. Bands [108-112] and [154-167] "
                       "discarded.'; channel 224 from the EHU page as quoted in index id "
                       "31477377705 ('[108-112], [154-167], 224'); unconfirmed against the EHU "
                       "page itself",
    "botswana_kept": "index id 41664876452, line 20 '... the remaining 145 bands were included "
                     "as candidate features: [10-55, 82-97, 102-119, 134-164, 187-220].' "
                     "(repository not named by the index)",
    "ksc_176": "index id 41664876452, line 26 'AVIRIS Sensor 224 channels, 400-2500nm in 10nm "
               "steps. ... 176 bands after noise removal.'; WHICH 176 is not published there. "
               "vleplat/Tubal_TT Code/Matlab/DataSets/AVIRIS_KSC/generate_data_spec.m removes "
               "[1:4 102:110 136:153 198:210], which leaves 180, not 176: not used",
    "pavia_u": "index id 41664876452, line 30 'ROSIS sensor 103 bands.'; the 430-860 nm range is "
               "from the EHU page (unconfirmed here); band centres are not published",
    "shapes": "Salinas 512 x 217: index id 31477377705 'Image dimensions: 512 x 217 pixels'; "
              "Pavia U 610 x 340, KSC 512 x 614, Botswana 1476 x 256: EHU page, unconfirmed here",
    "checksums": "no source publishes checksums of the EHU files: none are given",
    "houston2013": "songyz2019/rs-fusion-datasets@e55cbc7f:src/rs_fusion_datasets/core/"
                   "fetch_houston2013.py: line 16 URL 'https://machinelearning.ee.uh.edu/"
                   "2egf4tg8hial13gt/2013_DFTC.zip'; line 20 \"UInt16[np.ndarray, '144 349 "
                   "1905'],\"; lines 75-89 class names ('1 : 'Healthy grass',' ... \"15: "
                   "'Running Track'\"); lines 92-115 the 144 centres, 364.000000 to 1046.099976 "
                   "nm (a third-party loader's table, rounded to 0.1 nm here; the contest "
                   "header's own table is unconfirmed here)",
}


@dataclass(frozen=True)
class ClassicScene:
    """One classic scene as distributed (see the module docstring)."""

    name: str
    title: str
    image_file: str
    image_key: str
    gt_file: str
    gt_key: str
    image_url: str
    gt_url: str
    shape: tuple[int, int, int]  #: rows, columns, bands of the image as distributed
    class_names: tuple[str, ...]  #: codes 1..N (0 is unlabelled)
    band_status: BandStatus
    band_source: str
    band_note: str
    _bands: Callable[[], BandSet] | None
    layout: Literal["mat", "dftc2013"] = "mat"  #: two .mat files, or the DFC 2013 files
    extra_gt_files: tuple[str, ...] = ()  #: more label files (Houston's validation ROIs)

    @property
    def n_bands(self) -> int:
        return self.shape[2]

    def bands(self) -> BandSet:
        """The band table (nm). Raises ``ValueError`` when it is unknown (the user gives it)."""
        if self._bands is None:
            raise ValueError(
                f"{self.title}: which {self.n_bands} channels the .mat file keeps is not "
                f"published ({self.band_note}); give the band table with --wavelengths FILE "
                f"(one centre in nm per line, {self.n_bands} lines)")
        bs = self._bands()
        if len(bs) != self.n_bands:  # a table that does not fit is a bug here, not user error
            raise AssertionError(f"{self.name}: {len(bs)} bands in the table, {self.n_bands} "
                                 "in the file")
        return bs


def _keep(sensor: str, ranges_1based: list[tuple[int, int]], name: str) -> BandSet:
    """The bands of ``sensor`` at 1-based inclusive position ranges."""
    bs = get_sensor(sensor)
    idx = [i - 1 for a, b in ranges_1based for i in range(a, b + 1)]
    return bs.subset(idx, name=name)


def _indian_pines() -> BandSet:
    # 1-based positions in the 220-channel table kept: all but 104-108, 150-163, 220
    return _keep("aviris_classic", [(1, 103), (109, 149), (164, 219)], "indian_pines")


def _salinas() -> BandSet:
    # 224 channels minus 108-112, 154-167, 224; the 1992 table lacks channels 1, 33, 97 (each
    # the first of its spectrometer): one step below the next channel of the same spectrometer
    by_channel = {int(b.name[1:]): b for b in get_sensor("aviris_classic")}
    bands = []
    for ch in [*range(1, 108), *range(113, 154), *range(168, 224)]:
        if ch in by_channel:
            b = by_channel[ch]
            bands.append(Band(f"B{ch:03d}", b.center_nm, b.fwhm_nm))
        else:
            nxt, nxt2 = by_channel[ch + 1], by_channel[ch + 2]
            step = nxt2.center_nm - nxt.center_nm
            bands.append(Band(f"B{ch:03d}", nxt.center_nm - step, nxt.fwhm_nm))
    return BandSet(bands, name="salinas", order="any")


def _botswana() -> BandSet:
    return _keep("hyperion", [(10, 55), (82, 97), (102, 119), (134, 164), (187, 220)],
                 "botswana")


def _pavia_u() -> BandSet:
    centres = np.linspace(430.0, 860.0, 103)
    return BandSet.from_wavelengths(centres, name="pavia_u_approximate")


#: Houston 2013 CASI band centres (nm), see SOURCES["houston2013"]
_HOUSTON_NM = (
    364.0, 368.8, 373.6, 378.4, 383.2, 387.9, 392.7, 397.5, 402.3, 407.0, 411.8, 416.6,
    421.4, 426.1, 430.9, 435.7, 440.5, 445.2, 450.0, 454.8, 459.6, 464.3, 469.1, 473.9,
    478.6, 483.4, 488.2, 492.9, 497.7, 502.5, 507.3, 512.0, 516.8, 521.6, 526.3, 531.1,
    535.9, 540.6, 545.4, 550.2, 554.9, 559.7, 564.5, 569.2, 574.0, 578.8, 583.5, 588.3,
    593.1, 597.8, 602.6, 607.4, 612.1, 616.9, 621.6, 626.4, 631.2, 635.9, 640.7, 645.5,
    650.2, 655.0, 659.8, 664.5, 669.3, 674.1, 678.8, 683.6, 688.3, 693.1, 697.9, 702.6,
    707.4, 712.2, 716.9, 721.7, 726.5, 731.2, 736.0, 740.7, 745.5, 750.3, 755.0, 759.8,
    764.6, 769.3, 774.1, 778.9, 783.6, 788.4, 793.2, 797.9, 802.7, 807.5, 812.2, 817.0,
    821.8, 826.5, 831.3, 836.1, 840.8, 845.6, 850.4, 855.1, 859.9, 864.7, 869.4, 874.2,
    879.0, 883.7, 888.5, 893.3, 898.0, 902.8, 907.6, 912.3, 917.1, 921.9, 926.7, 931.4,
    936.2, 941.0, 945.8, 950.5, 955.3, 960.1, 964.8, 969.6, 974.4, 979.2, 983.9, 988.7,
    993.5, 998.3, 1003.1, 1007.8, 1012.6, 1017.4, 1022.2, 1026.9, 1031.7, 1036.5, 1041.3, 1046.1,
)


def _houston2013() -> BandSet:
    return BandSet.from_wavelengths(np.asarray(_HOUSTON_NM), name="houston2013_casi")


_HU_CLASSES = ("Healthy grass", "Stressed grass", "Synthetic grass", "Trees", "Soil", "Water",
               "Residential", "Commercial", "Road", "Highway", "Railway", "Parking Lot 1",
               "Parking Lot 2", "Tennis Court", "Running Track")
_IP_CLASSES = ("Alfalfa", "Corn-notill", "Corn-mintill", "Corn", "Grass-pasture", "Grass-trees",
               "Grass-pasture-mowed", "Hay-windrowed", "Oats", "Soybean-notill",
               "Soybean-mintill", "Soybean-clean", "Wheat", "Woods",
               "Buildings-Grass-Trees-Drives", "Stone-Steel-Towers")
_SA_CLASSES = ("Brocoli_green_weeds_1", "Brocoli_green_weeds_2", "Fallow", "Fallow_rough_plow",
               "Fallow_smooth", "Stubble", "Celery", "Grapes_untrained", "Soil_vinyard_develop",
               "Corn_senesced_green_weeds", "Lettuce_romaine_4wk", "Lettuce_romaine_5wk",
               "Lettuce_romaine_6wk", "Lettuce_romaine_7wk", "Vinyard_untrained",
               "Vinyard_vertical_trellis")
_PU_CLASSES = ("Asphalt", "Meadows", "Gravel", "Trees", "Painted metal sheets", "Bare Soil",
               "Bitumen", "Self-Blocking Bricks", "Shadows")
_KSC_CLASSES = ("Scrub", "Willow swamp", "Cabbage palm hammock", "Cabbage palm/oak hammock",
                "Slash pine", "Oak/broadleaf hammock", "Hardwood swamp", "Graminoid marsh",
                "Spartina marsh", "Cattail marsh", "Salt marsh", "Mud flats", "Water")
_BW_CLASSES = ("Water", "Hippo grass", "Floodplain grasses 1", "Floodplain grasses 2", "Reeds",
               "Riparian", "Firescar", "Island interior", "Acacia woodlands",
               "Acacia shrublands", "Acacia grasslands", "Short mopane", "Mixed mopane",
               "Exposed soils")

SCENES: dict[str, ClassicScene] = {s.name: s for s in (
    ClassicScene(
        "indian_pines", "Indian Pines (AVIRIS, 1992)", "Indian_pines_corrected.mat",
        "indian_pines_corrected", "Indian_pines_gt.mat", "indian_pines_gt",
        _EHU + "6/67/Indian_pines_corrected.mat", _EHU + "c/c4/Indian_pines_gt.mat",
        (145, 145, 200), _IP_CLASSES, "cited",
        SOURCES["aviris_92"] + "; removed: " + SOURCES["indian_pines_removed"],
        "92AV3C's own calibration minus the 20 water-absorption channels", _indian_pines),
    ClassicScene(
        "salinas", "Salinas (AVIRIS, 1998)", "Salinas_corrected.mat", "salinas_corrected",
        "Salinas_gt.mat", "salinas_gt",
        _EHU + "a/a3/Salinas_corrected.mat", _EHU + "f/fa/Salinas_gt.mat",
        (512, 217, 204), _SA_CLASSES, "nominal",
        SOURCES["aviris_92"] + "; removed: " + SOURCES["salinas_removed"],
        "AVIRIS 1992 calibration, not the 1998 flight's own (unpublished with the file); "
        "channels 1, 33, 97 extrapolated one step within their spectrometer: expect a few nm "
        "off, more for those three", _salinas),
    ClassicScene(
        "pavia_u", "Pavia University (ROSIS, 2001)", "PaviaU.mat", "paviaU", "PaviaU_gt.mat",
        "paviaU_gt", _EHU + "e/ee/PaviaU.mat", _EHU + "5/50/PaviaU_gt.mat",
        (610, 340, 103), _PU_CLASSES, "approximate", SOURCES["pavia_u"],
        "ROSIS, 103 bands over 430-860 nm; which of the sensor's 115 channels were removed is "
        "not published, so evenly spaced centres are a guess that can be off by tens of nm",
        _pavia_u),
    ClassicScene(
        "ksc", "Kennedy Space Center (AVIRIS, 1996)", "KSC.mat", "KSC", "KSC_gt.mat", "KSC_gt",
        _EHU + "2/26/KSC.mat", _EHU + "a/a6/KSC_gt.mat",
        (512, 614, 176), _KSC_CLASSES, "unknown", SOURCES["ksc_176"],
        "176 of AVIRIS's 224 channels after removing water-absorption and low-SNR channels; "
        "which ones is not published", None),
    ClassicScene(
        "botswana", "Botswana (Hyperion, 2001)", "Botswana.mat", "Botswana", "Botswana_gt.mat",
        "Botswana_gt", _EHU + "7/72/Botswana.mat", _EHU + "5/58/Botswana_gt.mat",
        (1476, 256, 145), _BW_CLASSES, "cited",
        "hsiadapt built-in hyperion (USGS table); kept: " + SOURCES["botswana_kept"],
        "the USGS nominal Hyperion centres; the scene's own (smile-corrected) centres may "
        "differ by a few nm", _botswana),
    ClassicScene(
        "houston2013", "Houston 2013 (CASI, GRSS DFC 2013)", "2013_IEEE_GRSS_DF_Contest_CASI.tif",
        "", "2013_IEEE_GRSS_DF_Contest_Samples_TR.txt", "",
        "https://machinelearning.ee.uh.edu/2egf4tg8hial13gt/2013_DFTC.zip", "(in the zip)",
        (349, 1905, 144), _HU_CLASSES, "cited", SOURCES["houston2013"],
        "CASI centres 364-1046 nm as a public loader lists them (0.1 nm); at-sensor radiance, "
        "not reflectance", _houston2013, layout="dftc2013",
        extra_gt_files=("2013_IEEE_GRSS_DF_Contest_Samples_VA.txt",)),
)}


def get_scene(name: str) -> ClassicScene:
    """The scene called ``name`` (case and ``-`` / ``_`` ignored)."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    aliases = {"indianpines": "indian_pines", "paviau": "pavia_u", "pavia_university": "pavia_u",
               "kennedy_space_center": "ksc", "houston": "houston2013",
               "houston_2013": "houston2013"}
    key = aliases.get(key, key)
    if key not in SCENES:
        raise ValueError(f"unknown classic scene {name!r}; known: {', '.join(SCENES)}")
    return SCENES[key]

"""How a run scores its test split: ``resized_chips`` or ``native_pixels``.

* ``native_pixels`` (the default for a user's dataset, e.g. ``hsi_folder``): every test image
  is predicted on the labels' own grid by the sliding-window inference ``hsiadapt predict``
  writes its maps with (:mod:`.inference`: windows of the training chips' side, overlap,
  nodata), so ``metrics.json``, the table and the map agree;
* ``resized_chips`` (the study presets: SpectralEarth tasks, HYPERVIEW, and the demo's loaders
  built on them): each test chip is resized to the run's ``image_size`` and scored there, as
  the study's code did. Regression and multi-label tasks, scored per image, are always
  ``resized_chips``.

A dataset class declares its default (``HSIDataset.test_scoring``); a task's
``recipe_overrides: {test_scoring: ...}`` chooses. ``test/<metric>`` holds the definition in
force (the run record's ``test_scoring``); a native-pixel run also records the resized-chip
scores, under ``resized_chips/<metric>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hsiadapt.experiment._values import ConfigError

if TYPE_CHECKING:
    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.models.recipes import Recipe
    from hsiadapt.models.task import HSITask

__all__ = ["NATIVE", "RESIZED", "TEST_SCORINGS", "check_test_scoring", "native_test_scores",
           "score_test", "test_scoring"]

RESIZED = "resized_chips"
NATIVE = "native_pixels"
TEST_SCORINGS = (RESIZED, NATIVE)
#: what every run was scored on before the definition was a setting
LEGACY = RESIZED
#: what the table and the dry run say each definition is
DESCRIPTION = {
    RESIZED: "resized chips (each test chip resized to image_size, as the study scored)",
    NATIVE: "native pixels (the labels' own grid, sliding windows as `hsiadapt predict`)",
}


def test_scoring(dataset: str, recipe: Recipe) -> str:
    """The test-scoring definition of a run on ``dataset`` (a registered name) under
    ``recipe``: the recipe's ``test_scoring`` when set, else the dataset's default (module
    docstring); ``resized_chips`` for a task that is not segmentation."""
    from hsiadapt.datasets import DATASETS

    if recipe.task != "segmentation":
        return RESIZED
    if recipe.test_scoring is not None:
        return recipe.test_scoring
    return str(getattr(DATASETS.get(dataset), "test_scoring", NATIVE))


def check_test_scoring(where: str, dataset: str, recipe: Recipe) -> None:
    """A config's ``test_scoring`` is one the task can use.

    Raises:
        ConfigError: ``native_pixels`` for a task that is not segmentation.
    """
    if recipe.test_scoring == NATIVE and recipe.task != "segmentation":
        raise ConfigError(
            f"{where}: test_scoring native_pixels scores class maps pixel by pixel, but this "
            f"task is {recipe.task} (scored per image): remove test_scoring or use "
            f"{RESIZED}")


def native_test_scores(task: HSITask, dm: HSIDataModule) -> dict[str, Any]:
    """The test metrics (``test/<metric>``) of ``task``'s model at native pixels: each test
    image adapted and normalised as in training, predicted by
    :func:`~hsiadapt.experiment.inference.class_map` with ``predict``'s defaults, scored on its
    labels' grid (ignored and nodata pixels left out)."""
    import torch
    import torch.nn.functional as F

    from hsiadapt.data.transforms import Normalize
    from hsiadapt.experiment.inference import (
        class_map,
        input_fwhm,
        input_wavelengths,
        prepare_image,
        window_sizes,
    )

    model: Any = task.model
    model.eval()
    ds = dm.raw["test"]
    normalize = Normalize(*dm.statistics.tensors()) if dm.statistics is not None else None
    chip_px = int(dm.raw["train"][0]["image"].shape[-1])  # what the run records as chip_px
    tile, size = window_sizes(None, chip_px, task.recipe.image_size,
                              model.backbone_info.patch_size)
    k = int(getattr(task, "num_classes"))  # noqa: B009 (a segmentation task)
    wavelengths = input_wavelengths(dm.adapter, ds.bands)
    fwhm = input_fwhm(dm.adapter, ds.bands)
    stage = "native"
    task.reset_metrics(stage)
    for i in range(len(ds)):
        s = ds[i]
        if "mask" not in s:
            continue
        valid = s.get("valid", torch.ones(s["image"].shape[-2:], dtype=torch.bool))
        img = prepare_image(s["image"], valid, dm.adapter, normalize)
        ordinal = class_map(model, img, valid, k, tile=tile, size=size, wavelengths=wavelengths,
                            fwhm=fwhm)
        onehot = F.one_hot(torch.from_numpy(ordinal), k).permute(2, 0, 1)[None].float()
        task.update_metrics(stage, onehot, {"mask": s["mask"][None]})
    return {f"test/{name}": v for name, v in task.compute_metrics(stage).items()}


def score_test(task: HSITask, dm: HSIDataModule, dataset: str,
               rank0: bool = True) -> tuple[dict[str, Any], str]:
    """``(test metrics, test_scoring)`` of a run whose ``trainer.test`` has run (the task's
    model holds the tested weights): the metrics of the run's definition under ``test/``; for
    ``native_pixels`` the resized-chip ones too, under ``test/resized_chips/``. Only rank 0 of
    a multi-process run scores at native pixels (it alone records the run)."""
    chips = dict(getattr(task, "last_metrics", {}))
    scoring = test_scoring(dataset, task.recipe)
    if scoring != NATIVE or not rank0:
        return chips, scoring
    native = native_test_scores(task, dm)
    return {**native, **{f"test/{RESIZED}/{k.removeprefix('test/')}": v
                         for k, v in chips.items()}}, scoring

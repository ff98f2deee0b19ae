"""Training recipes: the study's settings as named presets.

Values from the study (leonardijulia/TM_HSI_finetuning, commit ca37f28, configs/): segmentation -
128 px chips resized to 224, last encoder layer -> FCN decoder (256 channels), head dropout 0.21,
AdamW lr 3e-5 wd 1e-4, cosine annealing T_max 100 eta_min 1e-5, 100 epochs, early stopping
patience 20 on ``val/loss`` (the checkpoint tested: ``test_checkpoint``, best or last), 16-bit mixed
precision, batch 16 (BNETD, BDForet) / 8 (CDL); HYPERVIEW - mean-pooled tokens -> 256 -> 4 with
dropout 0.2, lr 5.4e-5, weight decay 0.01, ReduceLROnPlateau patience 10, up to 400 epochs with
early stopping on ``val/loss`` (patience 20), batch 32, the field mask as an extra input channel;
seeds 42-51. The run-era commits were read for this (see docs/study_deviations.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from hsiadapt.models.precision import Precision
from hsiadapt.registry import Registry

__all__ = ["RECIPES", "Recipe", "get_recipe"]


@dataclass(frozen=True)
class Recipe:
    """Everything about how one run trains (the model and data are chosen elsewhere)."""

    task: Literal["segmentation", "regression", "multilabel"]
    lr: float = 3e-5
    weight_decay: float = 1e-4
    scheduler: Literal["cosine", "plateau", "none"] = "cosine"
    cosine_t_max: int = 100
    cosine_eta_min: float = 1e-5
    plateau_patience: int = 10
    plateau_factor: float = 0.5
    max_epochs: int = 100
    patience: int = 20
    batch_size: int = 16
    image_size: int | None = 224
    precision: Precision = "16-mixed"
    head: dict[str, Any] = field(default_factory=dict)
    mask_channel: bool = False
    #: what early stopping and checkpoint selection watch: ``None`` - the task's primary metric
    #: on the validation split; or a logged name such as ``"val/loss"`` (the study's choice)
    monitor: str | None = None
    #: regression only: the primary score - ``"hyperview"`` (the challenge's score, lower is
    #: better), ``"rmse"`` (mean over targets, lower) or ``"r2"`` (mean over targets, higher)
    regression_score: Literal["hyperview", "rmse", "r2"] = "hyperview"
    #: regression loss: ``"mse"`` on standardised targets, or ``"hyperview_ratio"`` - per batch
    #: and target MSE / max(MSE of predicting the training mean, 0.1), averaged (the study's)
    regression_loss: Literal["mse", "hyperview_ratio"] = "mse"
    #: the smallest improvement of the monitored value that resets early stopping's patience
    min_delta: float = 0.0
    #: ReduceLROnPlateau's floor
    plateau_min_lr: float = 0.0
    #: the training augmentation: ``study_segmentation``, ``study_hyperview`` or ``d4`` (the
    #: 8 flips/rotations only: cheap for many-band chips on a CPU)
    augmentation: Literal["study_segmentation", "study_hyperview", "d4"] = "study_segmentation"
    #: area range of the segmentation augmentation's random resized crop
    crop_scale: tuple[float, float] = (0.4, 1.0)
    #: where the training augmentation runs: ``loader`` (each chip, in the loader workers) or
    #: ``device`` (each batch, on the accelerator after the transfer; Kornia for the crops)
    augmentation_on: Literal["loader", "device"] = "loader"
    #: ``study_hyperview``'s Gaussian noise: ``per_channel`` draws a variance per band;
    #: ``per_image`` one per image (albumentations' GaussNoise, which the study used)
    gauss_noise_variance: Literal["per_channel", "per_image"] = "per_channel"
    #: ``study_hyperview``'s Gaussian noise clips its float output to [0, 1], as the study's
    #: pinned albumentations 1.4.10 did (on raw reflectance x 10000 inputs this saturates them)
    gauss_noise_clip: bool = False
    #: the checkpoint scored on the test split: ``best`` (the monitored value's best epoch) or
    #: ``last`` (the last epoch trained, as the study tested HYPERVIEW)
    test_checkpoint: Literal["best", "last"] = "best"
    #: segmentation: how the test split is scored - ``"resized_chips"`` (each chip resized to
    #: ``image_size``, the study's definition), ``"native_pixels"`` (the labels' own grid, by
    #: the sliding windows ``predict`` uses) or ``None``: the dataset's default
    #: (:mod:`hsiadapt.experiment.scoring`)
    test_scoring: Literal["resized_chips", "native_pixels"] | None = None
    limit_train_batches: int | float | None = None
    limit_val_batches: int | float | None = None

    def with_(self, **changes: Any) -> Recipe:
        """A copy with ``changes`` (unknown names are an error)."""
        if "crop_scale" in changes:  # YAML gives a list
            changes["crop_scale"] = tuple(changes["crop_scale"])
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RECIPES: dict[str, Recipe] = {
    # early stopping and the tested checkpoint: best val/loss, as the study's runs monitored
    "study_segmentation": Recipe(
        task="segmentation", lr=3e-5, weight_decay=1e-4, scheduler="cosine", cosine_t_max=100,
        cosine_eta_min=1e-5, max_epochs=100, patience=20, batch_size=16, image_size=224,
        head={"channels": 256, "num_convs": 4, "dropout": 0.21}, monitor="val/loss"),
    # HYPERVIEW as it ran: weight decay 0.01 (the study's Optuna search), up to 400 epochs,
    # early stopping on val/loss (patience 20)
    "study_hyperview": Recipe(
        task="regression", lr=5.4e-5, weight_decay=0.01, scheduler="plateau",
        plateau_patience=10, max_epochs=400, patience=20, batch_size=32, image_size=224,
        head={"hidden": 256, "dropout": 0.2, "pool": "all", "activation": "relu"},
        mask_channel=True, monitor="val/loss", min_delta=0.001, plateau_min_lr=1e-7,
        regression_loss="hyperview_ratio", augmentation="study_hyperview"),
    "study_multilabel": Recipe(
        task="multilabel", lr=3e-5, weight_decay=1e-4, scheduler="cosine", max_epochs=100,
        patience=20, batch_size=8, image_size=224, head={"dropout": 0.1}),
}

#: Per-task batch sizes the study used.
STUDY_BATCH_SIZE = {"enmap_bnetd": 16, "enmap_cdl": 8, "enmap_bdforet": 16, "enmap_corine": 8,
                    "hyperview1": 32}
#: The study's seeds.
STUDY_SEEDS = tuple(range(42, 52))


#: the named recipes (the project's one registry mechanism)
RECIPES: Registry[Recipe] = Registry("recipe")
for _name, _recipe in _RECIPES.items():
    RECIPES.register(_name)(_recipe)


def get_recipe(name: str) -> Recipe:
    """A named recipe (``RECIPES``)."""
    return RECIPES.get(name)

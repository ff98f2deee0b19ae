"""Lightning data module: dataset -> fixed spectral adapter (or its cache) -> augment -> normalise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from hsiadapt.adapters import SpectralAdapter
from hsiadapt.data.cache import AdaptedCache
from hsiadapt.data.collate import pad_collate, same_size_collate
from hsiadapt.data.device_augment import DeviceAugment, normalize_batch
from hsiadapt.data.fixed_adapter import FixedAdapter
from hsiadapt.data.pipeline import Memo, Pipeline, sample_bytes
from hsiadapt.data.plan import (
    AugmentationOn,
    DataPlan,
    Normalization,
    StatisticsLookup,
    StatisticsUnits,
)
from hsiadapt.data.reuse import budget_bytes, kept_key, kept_samples
from hsiadapt.data.stats import (
    BandStatistics,
    compute_statistics,
    dataset_fingerprint,
    propagated_statistics,
)
from hsiadapt.data.transforms import AUGMENTATIONS, Normalize, StudyAugment
from hsiadapt.datasets.base import DATASETS, SAMPLE_SCALE, HSIDataset
from hsiadapt.hints import check_choice

__all__ = ["HSIDataModule", "StatisticsLookup"]



def _is_selection(matrix: np.ndarray) -> bool:
    return bool(np.isin(matrix, (0.0, 1.0)).all() and (matrix.sum(0) == 1).all())


def _check_statistics_files(plan: DataPlan, stats: tuple[np.ndarray, np.ndarray],
                            bands: int) -> None:
    """``mu.npy`` / ``sigma.npy`` hold one value per source band."""
    mu, sigma = (np.asarray(a) for a in stats)
    if mu.ndim == 1 and sigma.ndim == 1 and len(mu) == len(sigma) == bands:
        return
    folder = plan.raw_statistics
    assert folder is not None
    raise ValueError(
        f"task {plan.task!r}, raw_statistics: {folder / 'mu.npy'} has {mu.size} values "
        f"and {folder / 'sigma.npy'} {sigma.size}, but the {plan.dataset} data under "
        f"{plan.root} have {bands} bands; point raw_statistics at statistics computed for "
        "this band table (one value per band, in band order), or use normalization: data")


class HSIDataModule(L.LightningDataModule):
    """Data for one task, adapted to a foundation model's bands.

    Args:
        dataset: registered dataset name (``hsiadapt.datasets.DATASETS``).
        root: dataset root.
        dataset_args: extra keyword arguments for the dataset class.
        adapter: fixed adapter name (``"select"``, ``"srf"``) applied in the data pipeline, or
            ``None`` to deliver all bands (for trainable adapters, which live in the model).
        adapter_args: keyword arguments for the adapter (``coverage``, ``integration``, ...).
        target: target band set (sensor name), default TerraMind's ``sentinel2_l2a``.
        batch_size, num_workers: data loading.
        size: resize chips to this side (the study: 224); ``None`` keeps them.
        augment: augment the training split.
        augmentation: ``"study_segmentation"`` (random resized crop + flips) or
            ``"study_hyperview"`` (D4, coarse dropout, Gaussian noise), as the study ran them.
        crop_scale: area range of the segmentation pipeline's random resized crop.
        augmentation_args: further keyword arguments of the augmentation (e.g.
            ``study_hyperview``'s ``noise_variance`` and ``noise_clip``).
        augmentation_on: ``"loader"`` (each chip, in the loader workers) or ``"device"`` (each
            training batch after its transfer, where the model runs:
            :mod:`hsiadapt.data.device_augment`; the training chips must share one size).
        normalization: ``"data"`` (from the adapted training data, cached), ``"study"``
            (raw statistics propagated through the map; needs ``raw_statistics``),
            ``"pretraining"`` (the backbone's pretraining statistics by band name, from
            ``pretraining_statistics``) or ``"none"``.
        pretraining_statistics: band names -> ``(mean, std)``, for ``"pretraining"``.
        statistics_offset: ``"study"`` with a selection adapter: normalise each selected band
            with the statistics of the band this many places further on (1 reproduces the
            study's indexing; 0, the default, is correct).
        raw_statistics: ``(mean, std)`` per source band for ``"study"`` (e.g. SpectralEarth's
            ``mu.npy``/``sigma.npy``).
        cache_dir: cache adapted chips (fixed adapters) and statistics there.
        stats_samples: compute ``"data"`` statistics from the first N training samples.
    """

    def __init__(
        self,
        dataset: str,
        root: str | Path,
        *,
        dataset_args: dict[str, Any] | None = None,
        adapter: str | None = "srf",
        adapter_args: dict[str, Any] | None = None,
        target: str = "sentinel2_l2a",
        batch_size: int = 16,
        num_workers: int = 0,
        size: int | None = None,
        augment: bool = True,
        augmentation: str = "study_segmentation",
        crop_scale: tuple[float, float] = (0.4, 1.0),
        augmentation_args: dict[str, Any] | None = None,
        augmentation_on: AugmentationOn = "loader",
        normalization: Normalization = "data",
        raw_statistics: tuple[np.ndarray, np.ndarray] | None = None,
        statistics_units: StatisticsUnits | None = None,
        statistics_offset: int = 0,
        pretraining_statistics: StatisticsLookup | None = None,
        cache_dir: str | Path | None = None,
        stats_samples: int | None = None,
    ) -> None:
        super().__init__()
        self.dataset_cls: Callable[..., HSIDataset] = DATASETS.get(dataset)
        self.dataset_name = dataset
        self.root = Path(root)
        self.dataset_args = dict(dataset_args or {})
        self.adapter_name = adapter
        self.adapter_args = dict(adapter_args or {})
        self.target = target
        self.batch_size, self.num_workers = batch_size, num_workers
        self.size, self.augment = size, augment
        if augmentation not in AUGMENTATIONS:
            raise ValueError(f"unknown augmentation {augmentation!r}: use one of "
                             f"{', '.join(AUGMENTATIONS.in_order())} (recipe key "
                             "'augmentation')")
        self.augmentation, self.crop_scale = augmentation, tuple(crop_scale)
        self.augmentation_args = dict(augmentation_args or {})
        self.augmentation_on = check_choice("augmentation_on", augmentation_on, AugmentationOn,
                                            "recipe key 'augmentation_on'")
        self.device_augment: DeviceAugment | None = None
        self._device_stats: tuple[torch.Tensor, torch.Tensor] | None = None
        check_choice("normalization", normalization, Normalization, "task key 'normalization'")
        if normalization == "study" and raw_statistics is None:
            raise ValueError("normalization='study' needs raw_statistics=(mean, std) per band")
        if normalization == "pretraining" and pretraining_statistics is None:
            raise ValueError("normalization='pretraining' needs pretraining_statistics (the "
                             "backbone's statistics by band name)")
        self.normalization = normalization
        self.pretraining_statistics = pretraining_statistics
        check_choice("statistics_units", statistics_units, StatisticsUnits | None,
                     "task key 'statistics_units': dn is reflectance x 10000, reflectance 0-1")
        if raw_statistics is not None and statistics_units == "reflectance":
            raw_statistics = (np.asarray(raw_statistics[0]) * SAMPLE_SCALE,
                              np.asarray(raw_statistics[1]) * SAMPLE_SCALE)
        self.raw_statistics = raw_statistics
        self.statistics_units = statistics_units
        self.statistics_offset = statistics_offset
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.stats_samples = stats_samples
        self.adapter: SpectralAdapter | None = None  # the fixed adapter (module), once set up
        self.statistics: BandStatistics | None = None
        self.splits: dict[str, Dataset] = {}
        self.raw: dict[str, HSIDataset] = {}

    @classmethod
    def from_plan(cls, plan: DataPlan, cache_dir: Path | None = None) -> HSIDataModule:
        """The data module of a run's data plan (not yet set up); ``cache_dir`` caches the
        adapted chips and statistics when the plan allows it. The study statistics files are
        read here and checked against the data's band table."""
        raw_stats = None
        if plan.raw_statistics is not None:
            raw_stats = (np.load(plan.raw_statistics / "mu.npy", allow_pickle=False),
                         np.load(plan.raw_statistics / "sigma.npy", allow_pickle=False))
        dm = cls(plan.dataset, plan.root, dataset_args=plan.dataset_args, adapter=plan.adapter,
                 adapter_args=plan.adapter_args if plan.adapter else None, target=plan.target,
                 batch_size=plan.batch_size, num_workers=plan.num_workers, size=plan.size,
                 augmentation=plan.augmentation, crop_scale=plan.crop_scale,
                 augmentation_args=plan.augmentation_args, augmentation_on=plan.augmentation_on,
                 normalization=plan.normalization,
                 raw_statistics=raw_stats, statistics_units=plan.statistics_units,
                 statistics_offset=plan.statistics_offset,
                 pretraining_statistics=plan.pretraining_statistics,
                 cache_dir=cache_dir if plan.cache else None)
        if raw_stats is not None and plan.raw_statistics is not None:
            _check_statistics_files(plan, raw_stats, len(dm.info.bands))
        return dm

    def _raw(self, split: str) -> HSIDataset:
        if split not in self.raw:
            self.raw[split] = self.dataset_cls(self.root, split, **self.dataset_args)
        return self.raw[split]

    @property
    def info(self) -> HSIDataset:
        """The training split's dataset (classes, targets, bands, ignore index)."""
        return self._raw("train")

    def _adapted(self, split: str) -> tuple[Dataset, list]:
        raw = self._raw(split)
        if self.adapter is None:
            return raw, []
        if self.cache_dir is not None:
            return AdaptedCache(raw, self.adapter, self.cache_dir / "adapted"), []
        return raw, [FixedAdapter(self.adapter).sample]

    def setup(self, stage: str | None = None) -> None:
        train = self._raw("train")
        if self.adapter_name is not None and self.adapter is None:
            self.adapter = FixedAdapter.build(self.adapter_name, train.bands, self.target,
                                              **self.adapter_args).module
        if self.statistics is None and self.normalization != "none":
            self.statistics = self._statistics()
        for split in ("train", "val", "test"):
            if split in self.splits:
                continue
            try:
                base, steps = self._adapted(split)
            except FileNotFoundError:
                if split == "train":
                    raise
                continue
            # a pure pixel permutation (d4) commutes with per-pixel normalisation: normalise
            # first, so that the kept samples are kept normalised (the same numbers); the
            # study's HYPERVIEW pipeline normalised in its dataset, before its augmentation (the
            # coarse dropout's zeros and the noise's clip then act on normalised values)
            early = (self.augmentation in ("d4", "study_hyperview")
                     and self.statistics is not None)
            if early:
                steps.append(Normalize(*self.statistics.tensors()))  # type: ignore[union-attr]
            key = self._kept_key(base, bool(steps), early)
            if steps:
                base, steps = Pipeline(base, steps), []
            n = len(base)  # type: ignore[arg-type]
            memo = Memo(base, kept_samples(key))  # what an earlier run here kept, if any
            if n and sample_bytes(memo[0]) * n <= budget_bytes():
                base = memo
            on_device = split == "train" and self.augment and self.augmentation_on == "device"
            if on_device:
                self.device_augment = DeviceAugment(
                    self.augmentation, self.size, crop_scale=self.crop_scale,  # type: ignore[arg-type]
                    augmentation_args=self.augmentation_args)
                if self.statistics is not None and not early:
                    self._device_stats = self.statistics.tensors()
            elif self.size is not None:
                is_train = split == "train" and self.augment
                if self.augmentation == "study_segmentation":
                    steps.append(StudyAugment(self.size, train=is_train,
                                              crop_scale=self.crop_scale))  # type: ignore[arg-type]
                else:
                    steps.append(AUGMENTATIONS[self.augmentation](
                        self.size, train=is_train, **self.augmentation_args))
            if self.statistics is not None and not early and not on_device:
                steps.append(Normalize(*self.statistics.tensors()))
            self.splits[split] = Pipeline(base, steps)

    def _kept_key(self, base: Dataset, adapted: bool, normalised: bool) -> str:
        """The key of a split's kept samples (:func:`hsiadapt.data.reuse.kept_key`)."""
        return kept_key(dataset_fingerprint(base),
                        self.adapter if adapted else None,
                        f"{self.adapter_name}-{sorted(self.adapter_args.items())!r}",
                        self.statistics.tensors() if normalised and self.statistics else None)

    def _statistics(self) -> BandStatistics:
        names = self.adapter.target.names if self.adapter is not None else self.info.bands.names
        if self.normalization == "pretraining":
            mean, std = self.pretraining_statistics(list(names))  # type: ignore[misc]
            return BandStatistics(tuple(mean), tuple(std), tuple(names), "pretraining")
        if self.normalization == "study":
            mean, std = self.raw_statistics  # type: ignore[misc]
            self._check_statistics_scale(np.asarray(mean, dtype=np.float64))
            if self.adapter is None:
                return BandStatistics(tuple(map(float, mean)), tuple(map(float, std)),
                                      tuple(names), "study")
            matrix = self.adapter.linear_matrix()
            if matrix is None:
                raise ValueError(f"normalization 'study' propagates per-band statistics through a "
                                 f"linear map; adapter {self.adapter_name!r} is not one: use "
                                 "normalization: data")
            if self.statistics_offset and _is_selection(matrix):
                # each selected band takes the statistics of the band `offset` further on
                shifted = np.zeros_like(matrix)
                shifted[self.statistics_offset:] = matrix[:-self.statistics_offset]
                if not np.allclose(shifted.sum(0), 1):
                    raise ValueError("statistics offset runs past the last band")
                matrix = shifted
            return propagated_statistics(mean, std, matrix, names)
        base, _ = self._adapted("train")
        cached = isinstance(base, AdaptedCache)
        return compute_statistics(
            base, None if cached else self.adapter, batch_size=self.batch_size,
            max_samples=self.stats_samples,
            cache_dir=None if self.cache_dir is None else self.cache_dir / "stats")

    def _check_statistics_scale(self, mean: np.ndarray, samples: int = 8) -> None:
        """Raw statistics and data must be in the same units (within a factor of 10)."""
        train = self._raw("train")
        if len(mean) != len(train.bands):
            raise ValueError(f"the normalisation statistics have {len(mean)} bands but the data "
                             f"have {len(train.bands)}; use statistics of this band table")
        good = train.bands.valid
        acc = []
        for i in range(min(samples, len(train))):
            s = train[i]
            v = s["valid"].numpy() if "valid" in s else None
            x = s["image"].numpy()[good]
            acc.append(x[:, v].mean(axis=1) if v is not None and v.any() else x.mean(axis=(1, 2)))
        if not acc:
            return
        data = float(np.median(np.abs(np.mean(acc, axis=0))))
        stats = float(np.median(np.abs(mean[good])))
        if stats > 0 and data > 0 and not 0.1 <= data / stats <= 10:
            hint = (" They look like reflectance (0-1): set statistics_units: reflectance."
                    if stats < 5 and data > 100 else "")
            raise ValueError(
                f"normalisation statistics and data are in different units: the statistics' "
                f"median band mean is {stats:.4g} ({self.statistics_units or 'units unstated'}), "
                f"the training data's {data:.4g} (reflectance x 10000, as loaded) - a factor of "
                f"{data / stats:.3g}.{hint} State the statistics' units with statistics_units "
                "(dn or reflectance) in the config's task, or use statistics of these data")

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        if split not in self.splits:
            raise RuntimeError(f"split {split!r} is not available; call setup() first")
        collate = (same_size_collate if split == "train" and self.device_augment is not None
                   else pad_collate)
        return DataLoader(self.splits[split], batch_size=self.batch_size, shuffle=shuffle,
                          num_workers=self.num_workers, collate_fn=collate,
                          persistent_workers=self.num_workers > 0)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        """``augmentation_on: device``: augment (and normalise) each training batch on the
        device it was moved to."""
        trainer = getattr(self, "trainer", None)
        if self.device_augment is None or trainer is None or not trainer.training:
            return batch
        batch = self.device_augment(batch)
        if self._device_stats is not None:
            batch = normalize_batch(batch, *self._device_stats)
        return batch

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

"""Datasets (torchgeo-style dict samples carrying their own wavelengths) and data modules."""

from hsiadapt.datasets.base import (
    DATASETS,
    DatasetNotFoundError,
    HSIDataError,
    HSIDataset,
)
from hsiadapt.datasets.folder import HSIFolder
from hsiadapt.datasets.hyperview import Hyperview1, Hyperview2, write_submission
from hsiadapt.datasets.spectralearth import EnMAPBDForet, EnMAPBNETD, EnMAPCDL, EnMAPCorine

__all__ = [
    "DATASETS",
    "DatasetNotFoundError",
    "EnMAPBDForet",
    "EnMAPBNETD",
    "EnMAPCDL",
    "EnMAPCorine",
    "HSIDataError",
    "HSIDataset",
    "HSIFolder",
    "Hyperview1",
    "Hyperview2",
    "write_submission",
]

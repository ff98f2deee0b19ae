"""Adapted-band cache: project a split once with a fixed adapter, then read only its bands.

Fixed adapters (``select``, ``srf``) give the same output every epoch, so a split is projected
once and the adapted chips are stored as one memory-mapped array. An epoch then reads 12 bands
instead of 202.

On disk, under ``cache_dir/<key>/``: ``image.npy`` (N, K, H, W) float32, ``valid.npy`` (N, H, W)
bool, ``mask.npy`` (N, H, W) int64 or ``label.npy`` (N, T), and ``manifest.json`` with the key
(dataset class, root, split, sample list, band table, adapter name and matrix hash) and a CRC32
per chip. The folder is built under a temporary name and renamed when complete, so an interrupted
build leaves nothing that looks finished; its room is checked before it is written, and a
build killed midway is removed by the next (:mod:`hsiadapt.data._cache_space`). A chip whose
CRC does not match is recomputed from the source and rewritten before it is returned - never
trained on. Anything in the key changing gives a new key, hence a new entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import socket
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from hsiadapt.adapters import SpectralAdapter
from hsiadapt.data._cache_space import (
    OWNER,
    allocate,
    check_cache_space,
    filled,
    remove_partial_builds,
)
from hsiadapt.data.fixed_adapter import FixedAdapter
from hsiadapt.data.stats import dataset_fingerprint

__all__ = ["AdaptedCache", "cache_key"]

log = logging.getLogger(__name__)
_FORMAT = 1


def cache_key(dataset, adapter) -> dict[str, Any]:
    """What identifies a cache entry (its hash names the folder)."""
    w = adapter.weight.detach().cpu().numpy().astype(np.float32)
    return {
        "format": _FORMAT,
        "dataset": type(dataset).__name__,
        "root": str(getattr(dataset, "root", "")),
        "split": str(getattr(dataset, "split", "")),
        "fingerprint": dataset_fingerprint(dataset),
        "adapter": type(adapter).__name__,
        "target_bands": list(adapter.target.names),
        "matrix_sha256": hashlib.sha256(w.tobytes()).hexdigest(),
        **({"clip_after_projection": True}
           if getattr(adapter, "clip_after_projection", False) else {}),
    }


def _crc(*arrays: np.ndarray) -> int:
    c = 0
    for a in arrays:
        c = zlib.crc32(np.ascontiguousarray(a).data, c)
    return c


def _mixed_sizes(dataset: Any, i: int, key: str, shape: tuple, first: tuple) -> str:
    """The error for chips of different sizes, with what a user can set about it."""
    files = getattr(dataset, "files", None)
    name = f" ({files[i]})" if isinstance(files, list | tuple) and i < len(files) else ""
    return (f"sample {i}{name} has {key} of shape {tuple(shape)}, the first chip "
            f"{tuple(first)}: the chips differ in size, and the adapted-band cache holds chips "
            "of one size. Set `cache: false` on the task in the config (each chip is then "
            "resized to the recipe's image_size as it is read; image_size: null pads each "
            "batch instead), or cut the images to one size")


class AdaptedCache(Dataset):
    """A dataset view serving adapted chips from the on-disk cache (built on first use).

    Args:
        dataset: source dataset (fixed-size chips).
        adapter: a fixed adapter (``select``/``srf``; anything with a ``weight`` buffer and no
            trainable parameters), or its :class:`~hsiadapt.data.fixed_adapter.FixedAdapter`.
        cache_dir: parent folder of cache entries.
        batch_size: chips projected at a time while building.
    """

    def __init__(self, dataset, adapter: SpectralAdapter | FixedAdapter, cache_dir: str | Path,
                 batch_size: int = 16) -> None:
        self.fixed = FixedAdapter.of(adapter)
        self.dataset = dataset
        self.key = cache_key(dataset, self.fixed.module)
        digest = hashlib.sha256(json.dumps(self.key, sort_keys=True).encode()).hexdigest()[:20]
        self.path = Path(cache_dir) / digest
        self.fingerprint = "cache-" + digest
        self.bands = self.fixed.target
        for attr in ("task", "classes", "targets", "ignore_index"):
            if hasattr(dataset, attr):
                setattr(self, attr, getattr(dataset, attr))
        self.rebuilt: list[int] = []
        if not self._is_complete():
            self._build(batch_size)
        self._open()

    # -- build ---------------------------------------------------------------------------------
    def _is_complete(self) -> bool:
        man = self.path / "manifest.json"
        if not man.is_file():
            return False
        try:
            m = json.loads(man.read_text())
        except ValueError:
            return False
        return m.get("key") == self.key and m.get("complete") is True

    def _project(self, idx: list[int]) -> list[dict[str, Any]]:
        # chips of different sizes are adapted one by one: the build refuses them clearly
        return self.fixed.samples([self.dataset[i] for i in idx])

    def _build(self, batch_size: int) -> None:
        n = len(self.dataset)
        first = self._project([0])[0]
        fields: list[str] = [k for k in ("image", "valid", "mask", "label", "sample_index")
                             if k in first]
        remove_partial_builds(self.path.parent)
        if self.path.exists() and not self._is_complete():  # incomplete: its room is needed
            shutil.rmtree(self.path, ignore_errors=True)
        img = tuple(first["image"].shape)
        check_cache_space(self.path.parent, n * sum(first[k].numpy().nbytes for k in fields),
                          f"the {self.key['split'] or 'dataset'} split ({n} chips of "
                          f"{img[0]} bands x {'x'.join(map(str, img[1:]))} px)")
        tmp = self.path.with_name(self.path.name + f".tmp{os.getpid()}")
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        try:
            (tmp / OWNER).write_text(socket.gethostname())
            crcs = self._write(tmp, fields, first, n, batch_size)
        except OSError as err:
            shutil.rmtree(tmp, ignore_errors=True)
            raise filled(err, self.path.parent) from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / "manifest.json").write_text(json.dumps(
            {"key": self.key, "fields": fields, "n": n, "crc32": crcs, "complete": True}))
        # another process (a second sweep on the same output) may have built the same entry
        # meanwhile: keep the complete one, never delete it under its readers
        if self._is_complete():
            shutil.rmtree(tmp, ignore_errors=True)
            return
        if self.path.exists():
            shutil.rmtree(self.path, ignore_errors=True)
        try:
            os.replace(tmp, self.path)
        except OSError:
            if not self._is_complete():
                raise
            shutil.rmtree(tmp, ignore_errors=True)

    def _write(self, tmp: Path, fields: list[str], first: dict[str, Any], n: int,
               batch_size: int) -> list[int]:
        """Write the ``n`` adapted chips into ``tmp`` (each array file allocated in full before
        it is mapped); returns each chip's CRC32."""
        arrays: dict[str, np.memmap] = {}
        for k in fields:
            a = first[k].numpy()
            arrays[k] = np.lib.format.open_memmap(tmp / f"{k}.npy", mode="w+", dtype=a.dtype,
                                                  shape=(n, *a.shape))
            allocate(tmp / f"{k}.npy", self.path.parent)
        crcs = [0] * n
        for start in range(0, n, batch_size):
            idx = list(range(start, min(start + batch_size, n)))
            for i, s in zip(idx, self._project(idx), strict=True):
                parts = []
                for k in fields:
                    a = s[k].numpy()
                    if a.shape != arrays[k].shape[1:]:
                        raise ValueError(_mixed_sizes(self.dataset, i, k, a.shape,
                                                      arrays[k].shape[1:]))
                    arrays[k][i] = a
                    parts.append(a)
                crcs[i] = _crc(*parts)
        for a in arrays.values():
            a.flush()
        return crcs

    def _open(self) -> None:
        m = json.loads((self.path / "manifest.json").read_text())
        self.fields: list[str] = m["fields"]
        self.crcs: list[int] = m["crc32"]
        try:
            self.arrays = {k: np.load(self.path / f"{k}.npy", mmap_mode="r+") for k in self.fields}
        except (ValueError, OSError) as err:  # truncated/corrupt array file: rebuild everything
            log.warning("cache %s unreadable (%s); rebuilding", self.path, err)
            shutil.rmtree(self.path)
            self._build(16)
            self._open()
            return
        if any(a.shape[0] != len(self.crcs) for a in self.arrays.values()):
            shutil.rmtree(self.path)
            self._build(16)
            self._open()

    # -- read ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.crcs)

    def __getitem__(self, index: int) -> dict[str, Any]:
        parts = {k: np.array(self.arrays[k][index]) for k in self.fields}
        if _crc(*parts.values()) != self.crcs[index]:
            log.warning("cache %s: chip %d corrupt; recomputing it", self.path, index)
            s = self._project([index])[0]
            for k in self.fields:
                self.arrays[k][index] = s[k].numpy()
                parts[k] = s[k].numpy()
            self.arrays[self.fields[0]].flush()
            self.rebuilt.append(index)
        return {**{k: torch.from_numpy(v) for k, v in parts.items()}, **self.fixed.metadata()}

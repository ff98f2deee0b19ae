"""Runs of one process on the same data share what they read (hsiadapt.data.reuse)."""

import gc
import os
import shutil
import weakref

import pytest
import torch

from hsiadapt.data import reuse
from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.data.stats import compute_statistics
from hsiadapt.datasets.spectralearth import EnMAPBNETD


@pytest.fixture
def reads(monkeypatch):
    """Every (split, index) read from the EnMAP-BNETD fixture's files."""
    seen: list[tuple[str, int]] = []
    orig = EnMAPBNETD.__getitem__

    def counting(self, i):
        seen.append((self.split, i))
        return orig(self, i)

    monkeypatch.setattr(EnMAPBNETD, "__getitem__", counting)
    return seen


def _dm(root, tmp_path, **kw):
    args = dict(batch_size=2, size=None, augmentation="d4", adapter=None,
                normalization="data", cache_dir=tmp_path / "cache")
    args.update(kw)
    return HSIDataModule("enmap_bnetd", root, **args)


def _samples(dm):
    dm.setup("fit")
    return {split: [dm.splits[split].base[i] for i in range(len(dm.splits[split]))]
            for split in dm.splits}


def _same(a, b):
    assert a.keys() == b.keys()
    for split in a:
        assert len(a[split]) == len(b[split])
        for x, y in zip(a[split], b[split], strict=True):
            assert x.keys() == y.keys()
            for k in x:
                assert (torch.equal(x[k], y[k]) if torch.is_tensor(x[k]) else x[k] == y[k]), k


def test_a_second_run_on_the_same_data_reads_nothing_and_gets_the_same_values(
        data_dir, tmp_path, reads):
    root = data_dir / "spectralearth/root"
    first = _samples(_dm(root, tmp_path))
    assert reads  # the first run reads its splits (and its training split for the statistics)
    reads.clear()
    again = _samples(_dm(root, tmp_path))
    assert reads == []
    _same(first, again)
    reuse.clear()  # what a fresh process reads gives the same numbers
    _same(first, _samples(_dm(root, tmp_path)))
    assert reads


@pytest.mark.parametrize("other", [{"adapter": "srf"}, {"normalization": "none"},
                                   {"dataset_args": {"train_subset": 2}}])
def test_other_settings_read_their_own_values(data_dir, tmp_path, reads, other):
    root = data_dir / "spectralearth/root"
    _samples(_dm(root, tmp_path))
    shared = _samples(_dm(root, tmp_path, **other))
    reuse.clear()
    fresh = _samples(_dm(root, tmp_path, **other))
    _same(shared, fresh)


def test_a_changed_file_is_read_again(data_dir, tmp_path, reads):
    import rasterio

    root = tmp_path / "root"
    shutil.copytree(data_dir / "spectralearth/root", root)
    before = _samples(_dm(root, tmp_path))
    path = EnMAPBNETD(root, "train").image_path(0)
    with rasterio.open(path, "r+") as dst:  # the user re-exports one chip
        dst.write((dst.read() // 2).astype(dst.dtypes[0]))
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    reads.clear()
    after = _samples(_dm(root, tmp_path))
    assert ("train", 0) in reads
    assert not torch.equal(after["train"][0]["image"], before["train"][0]["image"])


def test_statistics_are_computed_once_per_process(data_dir, reads):
    ds = EnMAPBNETD(data_dir / "spectralearth/root", "train")
    s1 = compute_statistics(ds)  # no cache folder: only the process remembers
    n = len(reads)
    assert n >= len(ds)
    assert compute_statistics(ds) == s1 and len(reads) == n
    compute_statistics(ds, batch_size=3)
    assert len(reads) > n  # another batch size is another pass (its sums' order differs)


def test_kept_samples_stay_within_the_budget(monkeypatch):
    monkeypatch.setenv("HSIADAPT_MEMORY_MB", "1")
    half = {"image": torch.zeros(2**17 + 1, dtype=torch.float32)}  # just over 0.5 MiB
    reuse.kept_samples("a")[0] = half
    reuse.kept_samples("b")[0] = half
    assert reuse.kept_samples("a")  # used again: now the most recent
    reuse.kept_samples("c")  # over 1 MiB kept: the least recently used ("b") goes
    assert reuse.kept_samples("a") and not reuse.kept_samples("b")
    monkeypatch.setenv("HSIADAPT_MEMORY_MB", "0")
    kept = reuse.kept_samples("a")
    assert kept == {} and kept is not reuse.kept_samples("a")


def test_memory_released_between_runs_still_collects_later_cycles():
    from hsiadapt.experiment.sweep import _release_memory

    class Node:
        pass

    _release_memory()  # freezes what survives it
    a, b = Node(), Node()
    a.other, b.other = b, a  # a cycle made by a later run
    gone = weakref.ref(a)
    del a, b
    _release_memory()
    assert gone() is None
    gc.unfreeze()

"""``train_subset`` (a label budget) means and checks the same in every dataset that takes it:
one helper (``datasets/_splits.py``), one message; a new dataset with the argument is tested
here without a list to edit."""

import inspect
import re

import pytest

from hsiadapt.datasets import DATASETS
from tests.datasets.test_registry_contract import _fixture

WITH_SUBSET = [n for n in DATASETS.names()
               if "train_subset" in inspect.signature(DATASETS.get(n)).parameters]
MESSAGE = ("train_subset (a dataset argument) must be a positive whole number of training "
           "samples (a label budget), or null for all; got ")


def _opened(name, request):
    cls = DATASETS.get(name)
    demo = request.getfixturevalue("demo_benchmark") if cls.__module__.startswith(
        "hsiadapt.demo") else None
    found = _fixture(name, demo)
    assert found is not None, f"dataset {name!r} has no test fixture"
    root, args = found
    if "unknown_labels" in inspect.signature(cls).parameters:
        args.setdefault("unknown_labels", "ignore")
    return lambda split, **kw: cls(root, split, **{**args, **kw})


@pytest.fixture(scope="module")
def demo_benchmark(tmp_path_factory):
    from hsiadapt.demo.generate import BenchmarkSpec, ensure_benchmark

    spec = BenchmarkSpec(chip=16, n_train=4, n_val=2, n_test=2, n_fields=10, seed=1)
    return ensure_benchmark(tmp_path_factory.mktemp("bench"), spec)


def test_the_spectralearth_and_hyperview_datasets_take_it():
    assert {"enmap_bnetd", "enmap_cdl", "hyperview1"} <= set(WITH_SUBSET)


@pytest.mark.parametrize("name", WITH_SUBSET)
@pytest.mark.parametrize(("split", "bad"), [("train", 0), ("train", -2), ("train", True),
                                            ("train", 2.5), ("train", "3"), ("val", 0)])
def test_a_bad_budget_gets_the_same_message_from_every_dataset(name, split, bad, request):
    open_split = _opened(name, request)
    with pytest.raises(ValueError, match=re.escape(MESSAGE + repr(bad))):
        open_split(split, train_subset=bad)


@pytest.mark.parametrize("name", WITH_SUBSET)
def test_a_budget_keeps_the_first_training_samples_only(name, request):
    open_split = _opened(name, request)
    full, val = open_split("train"), open_split("val")
    assert len(full) > 1
    few = open_split("train", train_subset=1)
    assert len(few) == 1 and few.ids == full.ids[:1]
    assert open_split("val", train_subset=1).ids == val.ids  # other splits stay whole
    assert len(open_split("train", train_subset=10_000)) == len(full)

"""Every registered task type with its registered head trains one step (issue 19: a new task or
head is tested without a list to edit)."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from hsiadapt.models.heads import HEADS
from hsiadapt.models.model import build_model
from hsiadapt.models.recipes import Recipe
from hsiadapt.models.task import TASKS, build_task
from hsiadapt.spectral import get_sensor

SMALL_HEAD = {"segmentation": {"channels": 8, "num_convs": 1}, "regression": {"hidden": 8}}


def test_every_task_type_has_a_head():
    assert TASKS.names() == HEADS.names()


def _dataset(kind):
    """What a task reads from a dataset: its classes or targets (and their statistics)."""
    return SimpleNamespace(task=kind, classes=("a", "b", "c"), ignore_index=-1,
                           targets=("t1", "t2"),
                           target_statistics=lambda: (np.zeros(2), np.ones(2)))


def _batch(kind, c):
    b = {"image": torch.rand(2, c, 32, 32), "valid": torch.ones(2, 32, 32, dtype=torch.bool),
         "wavelength": torch.linspace(450, 2200, c).expand(2, c)}
    if kind == "segmentation":
        b["mask"] = torch.randint(0, 3, (2, 32, 32))
    elif kind == "regression":
        b["label"] = torch.rand(2, 2)
    else:
        b["label"] = torch.randint(0, 2, (2, 3))
    return b


@pytest.mark.parametrize("kind", TASKS.names())
def test_every_task_and_head_trains_one_step(kind):
    torch.manual_seed(0)
    ds = _dataset(kind)
    n_out = len(ds.targets) if kind == "regression" else len(ds.classes)
    src = get_sensor("sentinel2_l2a")
    model = build_model(task=kind, source=src, input_mode="none", backbone="stub",
                        num_outputs=n_out, pretrained=False,
                        head_args=SMALL_HEAD.get(kind, {}))
    assert isinstance(model.head, HEADS.get(kind))
    task = build_task(model, Recipe(task=kind, lr=1e-2), ds)
    assert isinstance(task, TASKS.get(kind))
    opt = torch.optim.SGD(task.parameters(), lr=1e-2)
    before = [p.detach().clone() for p in model.head.parameters()]
    with warnings.catch_warnings():  # self.log outside a Trainer: nothing to log to, by design
        warnings.simplefilter("ignore")
        loss = task.training_step(_batch(kind, len(src)), 0)
    assert torch.isfinite(loss)
    loss.backward()
    opt.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.head.parameters(),
                                                      strict=True))


def test_unknown_task_is_a_clear_error():
    with pytest.raises(ValueError, match="dataset task 'ranking' has no training task.*"
                                         "segmentation"):
        build_task(None, Recipe(task="segmentation"), SimpleNamespace(task="ranking"))

"""Options typed ``Literal[...]`` are checked from their type (``hints.check_choice``) where no
config checker stands before them (the Python API): the message names the option, the value,
the allowed values and the closest one."""

import re
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pytest

from hsiadapt.hints import check_choice

DATA = Path(__file__).parent / "data"


def test_check_choice_reads_the_choices_from_the_type():
    units = Annotated[Literal["dn", "reflectance"], "a note"]
    assert check_choice("u", "dn", units) == "dn"
    assert check_choice("u", None, units | None) is None
    with pytest.raises(ValueError, match=re.escape(
            "u 'dns' is not one of 'dn', 'reflectance', None; did you mean 'dn'? (task key)")):
        check_choice("u", "dns", units | None, "task key")
    with pytest.raises(ValueError, match="n True is not one of 19, 43"):
        check_choice("n", True, Literal[19, 43])  # a bool is not the number 1
    with pytest.raises(TypeError, match="not a Literal type"):
        check_choice("n", 1, int)


def _linear(init):
    from hsiadapt.adapters import build_adapter

    return build_adapter("linear", "enmap_spectralearth", init=init)


def _head(pool, activation="gelu"):
    from hsiadapt.models.heads import RegressionHead

    return RegressionHead(8, 4, pool=pool, activation=activation)


def _score(reduction):
    from hsiadapt.models.metrics import hyperview_score

    y = np.array([[1.0], [3.0]])
    return hyperview_score(y, y, np.array([2.0]), targets=("P",), reduction=reduction)


def _corine(num_classes):
    from hsiadapt.datasets import EnMAPCorine

    return EnMAPCorine(DATA / "spectralearth/root", num_classes=num_classes)


def _split(name, split):
    from hsiadapt.datasets import DATASETS

    return DATASETS.get(name)(DATA / name.replace("enmap_bnetd", "spectralearth") / "root",
                              split)


@pytest.mark.parametrize(("make", "msg"), [
    (lambda: _linear("rand"), "init 'rand' is not one of 'srf', 'select', 'random'; did you "
                              "mean 'random'? (adapter args key 'init')"),
    (lambda: _head("vald"), "regression head pool 'vald' is not one of 'valid', 'all'; did you "
                            "mean 'valid'? (recipe head key)"),
    (lambda: _head("valid", "elu"), "regression head activation 'elu' is not one of 'gelu', "
                                    "'relu'"),
    (lambda: _score("avg"), "reduction 'avg' is not one of 'mean', 'sum'"),
    (lambda: _corine(20), "num_classes 20 is not one of 19, 43 (dataset argument)"),
    (lambda: _split("enmap_bnetd", "tran"), "split 'tran' is not one of 'train', 'val', 'test'; "
                                            "did you mean 'train'?"),
    (lambda: _split("hyperview1", "tst"), "split 'tst' is not one of 'train', 'val', 'test'; "
                                          "did you mean 'test'?"),
])
def test_a_bad_choice_in_the_python_api_is_named(make, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        make()


def test_good_choices_pass():
    assert _linear("random").init == "random" and _head("all").pool == "all"
    assert _score("sum")["hyperview_score"] == 0.0


def test_a_regression_task_refuses_a_bad_reduction_before_training():
    # before, hyperview_score's error was caught after training: the score became NaN
    from hsiadapt.models.model import build_model
    from hsiadapt.models.recipes import get_recipe
    from hsiadapt.models.task import RegressionTask

    model = build_model(task="regression", source="enmap_spectralearth", input_mode="srf",
                        backbone="stub", num_outputs=4, pretrained=False)
    kw = {"target_mean": [1.0] * 4, "target_std": [1.0] * 4, "target_names": list("PKMp")}
    assert RegressionTask(model, get_recipe("study_hyperview"), **kw).reduction == "mean"
    with pytest.raises(ValueError, match="reduction 'max' is not one of 'mean', 'sum'"):
        RegressionTask(model, get_recipe("study_hyperview"), reduction="max", **kw)

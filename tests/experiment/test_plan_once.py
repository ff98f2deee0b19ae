"""A run is planned once: ``run_one`` makes the :class:`RunPlan` and hands it to the reuse
check, the fingerprint and the build (issue 19: it used to be planned three times)."""

import sys

import pytest

from hsiadapt.experiment import plan as plan_mod
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.run import run_one

from .conftest import write_tiny_config


@pytest.fixture
def plan_calls(monkeypatch):
    """Counts ``plan_run`` calls, wherever a module holds the function."""
    original = plan_mod.plan_run
    calls: list[str] = []

    def counting(spec, *args, **kwargs):
        calls.append(spec.run_id)
        return original(spec, *args, **kwargs)

    for mod in list(sys.modules.values()):
        if (getattr(mod, "__name__", "").startswith("hsiadapt")
                and getattr(mod, "plan_run", None) is original):
            monkeypatch.setattr(mod, "plan_run", counting)
    return calls


def test_one_plan_per_run(tmp_path, plan_calls):
    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",)))
    spec = cfg.runs()[0]
    res = run_one(spec, cfg.output)
    assert res.status == "finished", res.error
    assert plan_calls == [spec.run_id]
    # the re-run finds it finished and still its own: planned once more (to compare), no more
    plan_calls.clear()
    assert run_one(spec, cfg.output).status == "skipped"
    assert plan_calls == [spec.run_id]


def test_record_carries_prior_and_class_names(tmp_path):
    """What later steps need is in the record: the prior the backbone entry names (results'
    ``init``) and the class names (predict's legend), never parsed from names or metric keys."""
    import dataclasses

    from hsiadapt.data.datamodule import HSIDataModule
    from hsiadapt.experiment.plan import plan_run
    from hsiadapt.experiment.record import RunRecord

    cfg = load_config(write_tiny_config(tmp_path, seeds=(0,), adapters=("srf",)))
    spec = cfg.runs()[0]
    spec = dataclasses.replace(spec, backbone=dataclasses.replace(spec.backbone, prior="s2",
                                                                  pretrained=True))
    dm = HSIDataModule.from_plan(plan_run(spec).data)
    rec = RunRecord.completed(spec, data=dm, weights="ckpt:/somewhere/weights.pt",
                              test={"miou": 0.5})
    assert rec.prior == "s2" and rec.classes == list(dm.info.classes) and rec.classes
    assert RunRecord.from_dict(rec.to_dict()).prior == "s2"
    # the prior names pretrained weights: random ones have none
    assert RunRecord.completed(spec, data=dm, weights="random", test={}).prior is None
    unnamed = dataclasses.replace(spec, backbone=dataclasses.replace(spec.backbone, prior=None))
    assert spec.digest() == unnamed.digest()  # a name for the weights, not a result setting

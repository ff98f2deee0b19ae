"""One architecture twice in a grid (``label``), and backbone entries restricted to some adapters
and tasks (``adapters`` / ``tasks``)."""

import textwrap

import pytest

from hsiadapt.experiment.config import ConfigError, load_config

from .conftest import write_tiny_config


def _with_backbones(tmp_path, backbones: str, extra_task: str = ""):
    p = write_tiny_config(tmp_path, seeds=(0,), extra_task=extra_task)
    text = p.read_text()
    head, _ = text.split("backbones:")
    p.write_text(head + "backbones:\n" + textwrap.indent(textwrap.dedent(backbones), "  ")
                 + "trainer:\n  accelerator: cpu\n")
    return p


TWO = """\
- {name: stub, label: stub.random, pretrained: false}
- {name: stub, label: stub.other, pretrained: false, adapters: [srf], tasks: [bnetd]}
"""


def test_one_architecture_twice_with_labels_and_restrictions(tmp_path):
    cfg = load_config(_with_backbones(tmp_path, TWO))
    ids = sorted(r.run_id for r in cfg.runs())
    assert ids == ["bnetd__stub.other__srf__seed0", "bnetd__stub.random__select__seed0",
                   "bnetd__stub.random__srf__seed0"]
    assert {r.backbone.name for r in cfg.runs()} == {"stub"}
    assert [r.run_id for r in cfg.runs({"backbone": ["stub.other"]})] == [
        "bnetd__stub.other__srf__seed0"]


def test_a_task_restriction_leaves_other_tasks_out(tmp_path):
    extra = """  - name: bnetd2
        dataset: enmap_bnetd
        root: spectralearth/root
        recipe: study_segmentation
    """
    cfg = load_config(_with_backbones(tmp_path, TWO, extra_task=extra))
    other = [r for r in cfg.runs() if r.backbone.id == "stub.other"]
    assert [r.task.name for r in other] == ["bnetd"]
    assert len([r for r in cfg.runs() if r.backbone.id == "stub.random"]) == 4


@pytest.mark.parametrize(("backbones", "msg"), [
    ("- {name: stub}\n- {name: stub}\n", "duplicate backbone names.*own `label:`"),
    ("- {name: stub, label: a__b}\n", "must not contain '__'"),
    ("- {name: stub, label: 'a b'}\n", "names run folders"),
    ("- {name: stub, adapters: [srff]}\n", r"backbones\[0\].adapters: no adapter named 'srff'; "
                                          "did you mean 'srf'"),
    ("- {name: stub, tasks: [bnetdd]}\n", r"backbones\[0\].tasks: no task named 'bnetdd'"),
    ("- {name: stub, adapters: []}\n", "non-empty list"),
])
def test_bad_backbone_entries_are_named(tmp_path, backbones, msg):
    with pytest.raises(ConfigError, match=msg):
        load_config(_with_backbones(tmp_path, backbones))


def test_run_records_the_label_and_the_architecture(tmp_path):
    from hsiadapt.experiment.record import collect_records
    from hsiadapt.experiment.results import result_rows
    from hsiadapt.experiment.sweep import run_sweep

    cfg = load_config(_with_backbones(tmp_path, TWO))
    run_sweep(cfg, cfg.runs({"adapter": ["srf"]}), echo=lambda s: None)
    recs = {r.run_id: r for r in collect_records(cfg.output)}
    r = recs["bnetd__stub.other__srf__seed0"]
    assert (r.backbone, r.model) == ("stub.other", "stub")
    # results.csv names the architecture; the two entries stay apart by their init
    rows = result_rows(recs.values())
    assert {row["model"] for row in rows} == {"stub"} and len(rows) == 1 and rows[0]["n"] == 2


def test_an_adapter_restricted_to_some_tasks(tmp_path):
    extra = """  - name: bnetd2
        dataset: enmap_bnetd
        root: spectralearth/root
        recipe: study_segmentation
    """
    p = write_tiny_config(tmp_path, seeds=(0,), extra_task=extra)
    text = p.read_text().replace("    input_mode: srf\n", "    input_mode: srf\n    tasks: [bnetd2]\n")
    p.write_text(text)
    cfg = load_config(p)
    assert sorted(r.run_id for r in cfg.runs()) == [
        "bnetd2__stub__select__seed0", "bnetd2__stub__srf__seed0", "bnetd__stub__select__seed0"]
    p.write_text(text.replace("tasks: [bnetd2]", "tasks: [bnetd3]"))
    with pytest.raises(ConfigError, match=r"adapters\[1\].tasks: no task named 'bnetd3'"):
        load_config(p)


def test_layout_and_checkpoint_settings_do_not_make_finished_runs_stale(tmp_path):
    import dataclasses

    cfg = load_config(_with_backbones(tmp_path, "- {name: stub, pretrained: false}\n"))
    spec = cfg.runs()[0]
    same = [dataclasses.replace(spec, backbone=dataclasses.replace(spec.backbone,
                                                                    adapters=["srf", "select"],
                                                                    tasks=["bnetd"])),
            dataclasses.replace(spec, adapter=dataclasses.replace(spec.adapter, tasks=["bnetd"])),
            dataclasses.replace(spec, trainer=dataclasses.replace(
                spec.trainer, checkpoint_every_n_epochs=5, best_checkpoint="weights"))]
    assert {s.digest() for s in same} == {spec.digest()}
    other = dataclasses.replace(spec, seed=spec.seed + 1)
    assert other.digest() != spec.digest()

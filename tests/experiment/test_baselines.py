"""``baselines:`` in an experiment config: classical baselines on the deep runs' splits, pixels
and metric, recorded like runs, resumable, and shown in the table and results.csv."""

from __future__ import annotations

import numpy as np
import pytest

from hsiadapt.experiment.config import ConfigError, load_config
from hsiadapt.experiment.record import RunRecord

from .conftest import write_tiny_config


def _with(tmp_path, line: str, **kw):
    p = write_tiny_config(tmp_path, **kw)
    p.write_text(p.read_text() + line + "\n")
    return p


@pytest.mark.parametrize(("line", "says"), [
    ("baselines: [lda, randm_forest]", "unknown baseline 'randm_forest'; did you mean "
                                       "'random_forest'?"),
    ("baselines: [ridge]", "'ridge' is a regression baseline, but the config's tasks are "
                           "segmentation; use lda, random_forest"),
    ("baselines: [lda, lda]", "names a baseline twice"),
    ("baselines: {lda: 1}", "must be a list of baseline names"),
])
def test_config_checks_baseline_names(tmp_path, line, says):
    with pytest.raises(ConfigError, match="baselines") as err:
        load_config(_with(tmp_path, line))
    assert says in str(err.value)


def test_baselines_key_loads_and_does_not_touch_run_digests(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = load_config(write_tiny_config(tmp_path / "a"))
    cfg = load_config(_with(tmp_path / "b", "baselines: [lda, random_forest]"))
    assert cfg.baselines == ("lda", "random_forest") and plain.baselines == ()
    # adding baselines must not re-run the deep runs
    assert [r.digest() for r in cfg.runs()] == [r.digest() for r in plain.runs()]


def _pixels(ds, adapter=None):
    """Every labelled pixel of a split (the deep runs' ignore index), computed here directly."""
    import torch

    xs, ys = [], []
    for i in range(len(ds)):
        s = ds[i]
        img = s["image"]
        if adapter is not None:
            with torch.no_grad():
                img = adapter(img[None])[0]
        keep = (s["mask"] != ds.ignore_index).numpy()
        xs.append(img.numpy()[:, keep].T)
        ys.append(s["mask"].numpy()[keep])
    return np.concatenate(xs), np.concatenate(ys)


def _miou(pred, y, k):
    ious = []
    for c in range(k):
        inter = np.sum((pred == c) & (y == c))
        union = np.sum((pred == c) | (y == c))
        if union:
            ious.append(inter / union)
    return float(np.mean(ious))


def test_baselines_use_the_runs_splits_pixels_metric_and_adapter(tmp_path):
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    from hsiadapt.adapters import build_adapter
    from hsiadapt.experiment.baselines import run_baselines
    from hsiadapt.experiment.plan import plan_run

    cfg = load_config(_with(tmp_path, "baselines: [lda, random_forest]"))
    recs = {r.run_id: r for r in run_baselines(cfg, cfg.runs(), echo=lambda s: None)}
    # full spectra and each fixed adapter's bands; the forest once per seed, LDA once
    assert sorted(recs) == sorted(
        f"bnetd__{m}{b}__seed{s}" for b in ("", ".select", ".srf")
        for m, seeds in (("lda", (0,)), ("random_forest", (0, 1))) for s in seeds)
    d = plan_run(cfg.runs()[0]).data
    from hsiadapt.datasets import DATASETS

    train = DATASETS.get(d.dataset)(d.root, "train", **d.dataset_args)
    test = DATASETS.get(d.dataset)(d.root, "test", **d.dataset_args)
    k = len(train.classes)
    srf = build_adapter("srf", train.bands, "sentinel2_l2a")
    for row, adapter in (("lda", None), ("lda.srf", srf)):
        x, y = _pixels(train, adapter)
        xt, yt = _pixels(test, adapter)
        assert len(y) < 50_000  # all of them: the cap does not bite here
        want = _miou(LinearDiscriminantAnalysis().fit(x, y).predict(xt), yt, k)
        rec = recs[f"bnetd__{row}__seed0"]
        assert rec.value() == pytest.approx(want, abs=1e-12)
        assert rec.primary() == ("miou", "max") and rec.baseline["train_pixels"] == len(y)
    # named as a deep run's test metrics, so table and figures read them alike
    r = recs["bnetd__lda__seed0"]
    assert {f"iou/{c}" for c in train.classes} <= set(r.test) and "pixel_accuracy" in r.test
    assert (r.backbone, r.adapter, r.is_baseline) == ("lda", "full", True)
    assert recs["bnetd__lda.srf__seed0"].adapter == "srf"


def test_finished_baselines_are_skipped_and_changed_ones_rerun(tmp_path):
    from hsiadapt.experiment.baselines import run_baselines

    cfg = load_config(_with(tmp_path, "baselines: [lda]", seeds=(0,), adapters=("srf",)))
    run_baselines(cfg, cfg.runs(), echo=lambda s: None)
    folder = tmp_path / "runs/baselines/bnetd__lda.srf__seed0"
    stamp = (folder / "metrics.json").stat().st_mtime_ns
    lines: list[str] = []
    run_baselines(cfg, cfg.runs(), echo=lines.append)
    assert "2 classical baselines, 2 already finished, 0 to do" in lines[0]
    assert (folder / "metrics.json").stat().st_mtime_ns == stamp
    # a record made under other settings is moved aside, not shown
    text = (folder / "metrics.json").read_text().replace('"config": "', '"config": "x')
    (folder / "metrics.json").write_text(text)
    lines.clear()
    run_baselines(cfg, cfg.runs(), echo=lines.append)
    assert any("finished under other settings" in s for s in lines)
    assert len(list((tmp_path / "runs/baselines/_superseded").iterdir())) == 1
    assert "1 already finished, 1 to do" in lines[1]


def test_training_pixels_are_capped_by_a_seeded_draw():
    import torch

    from hsiadapt.models.classical import training_pixels

    class Split:
        ignore_index = -1

        def __init__(self):
            g = torch.Generator().manual_seed(0)
            self.items = [{"image": torch.rand(3, 4, 5, generator=g),
                           "mask": torch.randint(-1, 3, (4, 5), generator=g)} for _ in range(6)]

        def __len__(self):
            return len(self.items)

        def __getitem__(self, i):
            return self.items[i]

    ds = Split()
    x, y = training_pixels(ds, None, 25, np.random.default_rng(7))
    # the draw over all labelled pixels in sample order, as one concatenation would give
    allx = np.concatenate([s["image"].numpy()[:, s["mask"].numpy() >= 0].T for s in ds.items])
    ally = np.concatenate([s["mask"].numpy()[s["mask"].numpy() >= 0] for s in ds.items])
    pick = np.random.default_rng(7).choice(len(ally), 25, replace=False)
    assert len(ally) > 25 and y.shape == (25,)
    np.testing.assert_array_equal(x, allx[pick])
    np.testing.assert_array_equal(y, ally[pick])


def _rec(backbone, adapter, value, *, baseline=False, seed=0):
    return RunRecord(run_id=f"t__{backbone}__{adapter}__{seed}", status="finished", task="t",
                     backbone=backbone, model=backbone, adapter=adapter, seed=seed,
                     test={"miou": value}, primary_metric="miou", direction="max",
                     weights="none" if baseline else "random",
                     baseline={"name": backbone, "bands": adapter} if baseline else None)


def test_table_and_results_show_baselines_and_say_when_deep_rows_are_below():
    from hsiadapt.experiment.results import result_rows
    from hsiadapt.experiment.table import build_table

    recs = [_rec("terramind", "select", 0.40), _rec("terramind", "srf", 0.35),
            _rec("lda", "full", 0.87, baseline=True), _rec("lda", "srf", 0.84, baseline=True)]
    text = build_table(recs).render()
    assert "| lda *(baseline)* | full | <u>**0.870 (n=1)**</u> |" in text
    assert ("t: the best deep row (terramind, select: 0.400 miou) is below per-pixel LDA on the "
            "full spectra (0.870).") in text
    assert "at most 50,000" in text
    lines = text.splitlines()  # deep rows first, then the baselines
    assert lines.index(next(s for s in lines if "terramind" in s)) < lines.index(
        next(s for s in lines if "lda" in s))
    csv = build_table(recs).render("csv")
    assert "lda,full,baseline," in csv and "terramind,select,measured," in csv
    rows = {(r["model"], r["init"], r["adapter"]): r["mean"] for r in result_rows(recs)}
    assert rows[("lda", "none", "srf")] == pytest.approx(0.84)
    # no line when the deep rows are ahead
    better = build_table([_rec("terramind", "select", 0.9),
                          _rec("lda", "full", 0.87, baseline=True)]).render()
    assert "is below" not in better


def test_dry_run_lists_the_baselines(tmp_path, capsys):
    from hsiadapt.cli import main

    p = _with(tmp_path, "baselines: [lda]", seeds=(0,), adapters=("srf",))
    assert main(["run", str(p), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "baseline bnetd__lda__seed0\tpending" in out
    assert "baseline bnetd__lda.srf__seed0\tpending" in out and "1 runs and 2 baselines" in out

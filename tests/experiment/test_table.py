import json
from pathlib import Path

import pytest

from hsiadapt.experiment.table import build_table, collect_runs, leaderboard_rank


def _run(root: Path, task, backbone, adapter, seed, value, kind="segmentation", status="finished"):
    d = root / f"{task}__{backbone}__{adapter}__seed{seed}"
    d.mkdir(parents=True)
    metric = {"segmentation": "miou", "regression": "hyperview_score"}[kind]
    m = {"status": status, "task": task, "backbone": backbone, "adapter": adapter, "seed": seed,
         "task_type": kind, "test": {metric: value}}
    (d / "metrics.json").write_text(json.dumps(m))


@pytest.fixture
def results(tmp_path):
    r = tmp_path / "runs"
    for s, (a, b) in enumerate([(0.50, 0.60), (0.52, 0.62)]):
        _run(r, "seg", "tm", "naive", s, a)
        _run(r, "seg", "tm", "srf", s, b)
        _run(r, "seg", "other", "srf", s, 0.70 + s * 0.02)
        _run(r, "hv", "tm", "naive", s, 0.90 + s * 0.01, "regression")
        _run(r, "hv", "tm", "srf", s, 0.85, "regression")
    _run(r, "hv", "other", "srf", 0, 0.0, "regression", status="failed")
    _run(r, "seg", "third", "naive", 0, 0.3)  # never run on hv: a missing cell
    return r


def test_bold_underline_and_direction(results):
    t = build_table(collect_runs(results))
    assert ("other", "srf", "seg") in t.bold  # highest mIoU
    assert ("tm", "srf", "hv") in t.bold  # lowest HYPERVIEW score wins
    assert ("tm", "srf", "seg") in t.underline and ("tm", "naive", "seg") not in t.underline
    assert ("other", "srf", "seg") not in t.underline  # only one adaptation for 'other'
    seg = t.cells[("tm", "naive", "seg")]
    assert seg.n == 2 and seg.mean == pytest.approx(0.51) and seg.std == pytest.approx(0.01414, 1e-3)
    md = t.render("md")
    assert "**0.710 ± 0.014 (n=2)**" in md
    assert "<u>0.610 ± 0.014 (n=2)</u>" in md
    assert "failed (1)" in md  # the failed cell is shown, not dropped
    assert "| third | naive | n/a |" in md  # missing cell shown as such


def test_leaderboard_rank_and_literature(results, tmp_path):
    board = tmp_path / "board.csv"
    board.write_text("# test board\nteam,score\na,0.80\nb,0.86\nc,0.95\n")
    lit = tmp_path / "lit.csv"
    lit.write_text("model,adapter,task,metric,direction,mean,std,source\n"
                   "TerraMind (paper),naive,seg,miou,max,0.4,0.01,example\n")
    t = build_table(collect_runs(results), leaderboard=board, literature=lit)
    assert t.ranks[("tm", "srf", "hv")] == 2  # 0.85: after 0.80
    assert t.ranks[("tm", "naive", "hv")] == 3  # 0.905
    md = t.render("md")
    assert "rank 2" in md and "*(published)*" in md and "0.400 ± 0.010" in md
    assert leaderboard_rank(0.5, [0.8, 0.9]) == 1
    latex = t.render("latex")
    assert latex.startswith(r"\begin{tabular}") and r"\bottomrule" in latex


def test_shipped_literature_and_rank_bound(results):
    # the study's published Table 1 ships with hsiadapt and is shown beside measured rows
    t = build_table(collect_runs(results), literature="study", leaderboard="hyperview1")
    md = t.render("md")
    assert "terramind_v1_base *(published)* | select |" in md and "0.465 ± 0.002" in md
    assert "spectralearth *(published)*" in md and "0.810" in md
    # a rank from the partial public HYPERVIEW scores is printed as a bound, with that word
    # 0.85 and 0.905: four published scores are better, so the rank is at least 5
    assert "0.850 ± 0.000 (n=2), rank bound ≥ 5" in md and "Ranks are bounds" in md
    with pytest.raises(FileNotFoundError, match="shipped names"):
        build_table(collect_runs(results), literature="nonexistent.csv")


def _seg(task, classes, value):
    from hsiadapt.experiment.record import RunRecord

    return RunRecord(run_id=f"{task}__m__srf__seed0", status="finished", task=task, backbone="m",
                     adapter="srf", seed=0, task_type="segmentation", test={"miou": value},
                     classes=classes)


def test_a_published_value_of_another_metric_definition_is_marked():
    """The shipped literature rows say what they measure; a published value whose definition
    differs from the measured runs' in its column gets a dagger and a footnote naming both,
    and none where they agree."""
    without = _seg("enmap_cdl", ["Corn", "Rice"], 0.5)  # background ignored: not a class
    t = build_table([without], literature="study").render("md")
    row = next(ln for ln in t.splitlines() if ln.startswith("| spectralearth"))
    assert "0.774 ± 0.003 †" in row  # SpectralEarth's micro mIoU is not the runs' macro one
    assert "0.495 ± 0.001 |" in row  # no measured runs in that column: nothing to compare
    study = next(ln for ln in t.splitlines() if ln.startswith("| terramind_v1_base")
                 and "| srf |" in ln)
    assert "0.679 ± 0.006 †" in study  # the study's macro-with-background value
    assert ("† terramind_v1_base / srf on enmap_cdl: the published value is "
            "miou_macro_with_background, the measured runs' miou_macro_without_background") in t
    with_bg = _seg("enmap_cdl", ["Corn", "Rice", "Background"], 0.5)
    t = build_table([with_bg], literature="study").render("md")
    study = next(ln for ln in t.splitlines() if ln.startswith("| terramind_v1_base")
                 and "| srf |" in ln)
    assert "0.679 ± 0.006 |" in study and "†" not in study.split("|")[3]
    assert "† spectralearth / full_hsi on enmap_cdl: the published value is " \
        "miou_micro_without_background" in t

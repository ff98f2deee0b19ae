"""The demo's comparisons: prior vs random, share of the gap recovered, deep vs LDA."""

import pytest

from hsiadapt.demo.findings import findings, render_findings


def _row(task, model, init, adapter, mean, std=0.01, n=3, direction="max"):
    return {"task": task, "model": model, "init": init, "adapter": adapter, "metric": "miou",
            "direction": direction, "mean": mean, "std": std, "n": n}


def test_gap_share_spread_and_lda_ratio():
    tm, hsi = "terramind_v1_tiny", "terramind_v1_tiny_hsi"
    rows = [_row("minerals", tm, "random", "select", 0.50),
            _row("minerals", tm, "s2_prior", "select", 0.505),
            _row("minerals", tm, "s2_prior", "srf", 0.55, std=0.02),
            _row("minerals", tm, "s2_prior", "full_spectrum", 0.65),
            _row("minerals", hsi, "hsi_prior", "native", 0.70),
            _row("minerals", "lda", "none", "full", 0.80, std=0.0, n=1)]
    f = findings(rows)
    pvr = f["prior_vs_random"]
    assert len(pvr) == 1 and pvr[0]["gain"] == pytest.approx(0.005)
    assert pvr[0]["beyond_spread"] is False  # 0.005 < 0.01
    gap = {g["adapter"]: g for g in f["gap"]}
    assert set(gap) == {"srf", "full_spectrum"}
    assert gap["full_spectrum"]["share"] == pytest.approx(0.145 / 0.195)
    assert gap["srf"]["share"] == pytest.approx(0.045 / 0.195)
    assert gap["full_spectrum"]["beyond_spread"] is True
    (lda,) = f["vs_lda"]
    assert lda["best"] == f"{hsi} hsi_prior native" and lda["ratio"] == pytest.approx(0.875)
    text = "\n".join(render_findings(f))
    assert "| minerals | full_spectrum | 0.505 | 0.650 | 0.700 | +0.195 | +0.74 | beyond |" in text


def test_one_seed_has_no_spread_to_compare_with():
    rows = [_row("t", "m", "random", "srf", 0.5, std=0.0, n=1),
            _row("t", "m", "s2_prior", "srf", 0.6, std=0.0, n=1)]
    (r,) = findings(rows)["prior_vs_random"]
    assert r["beyond_spread"] is None
    assert "n/a (1 seed)" in "\n".join(render_findings(findings(rows)))


def test_lower_is_better_metrics_count_gains_the_right_way():
    rows = [_row("canopy", "m", "random", "srf", 0.90, direction="min", std=0.005),
            _row("canopy", "m", "s2_prior", "srf", 0.85, direction="min", std=0.005)]
    (r,) = findings(rows)["prior_vs_random"]
    assert r["gain"] == pytest.approx(0.05) and r["beyond_spread"] is True


def test_label_overlap_names_the_pretraining_classes_behind_each_task_class():
    from hsiadapt.demo.findings import label_overlap, render_overlap

    ov = label_overlap()
    assert ov["landcover"]["vegetation"] == ["canopy"]
    assert set(ov["landcover"]["bare soil"]) == {"dirt", "sand", "soil"}
    assert all(v == ["soil"] for v in ov["minerals"].values()) and len(ov["minerals"]) == 4
    text = "\n".join(render_overlap(ov))
    assert "21 of the 24 pretraining classes" in text and "single pretraining class `soil`" in text

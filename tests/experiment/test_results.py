"""results.csv rows and the share of the gap an adaptation recovers."""

import csv

import pytest

from hsiadapt.experiment.record import RunRecord
from hsiadapt.experiment.results import gap_recovered, init_of, result_rows, write_results_csv


def _rec(adapter, seed, value, weights="random", prior=None):
    return RunRecord(run_id=f"t__m__{adapter}__seed{seed}", status="finished", task="t",
                     backbone="m", adapter=adapter, seed=seed, task_type="segmentation",
                     test={"miou": value}, weights=weights, prior=prior)


def test_rows_gap_and_csv(tmp_path):
    prior = "ckpt:/c/priors/terramind_v1_tiny-s2-supervised-abc.pt"
    recs = [_rec("select", 0, 0.50, prior, "s2"), _rec("select", 1, 0.52, prior, "s2"),
            _rec("srf", 0, 0.60, prior, "s2"), _rec("srf", 1, 0.62, prior, "s2"),
            _rec("select", 0, 0.40), RunRecord(run_id="x", status="failed", task="t")]
    rows = result_rows(recs)
    assert [(r["init"], r["adapter"], r["n"]) for r in rows] == [
        ("random", "select", 1), ("s2_prior", "select", 2), ("s2_prior", "srf", 2)]
    srf = rows[2]
    assert srf["mean"] == pytest.approx(0.61) and srf["std"] == pytest.approx(0.01414, abs=1e-4)
    hsi = {"mean": 0.71, "std": 0.01}
    gap = gap_recovered(rows, "t", model="m", init="s2_prior", hsi=hsi)
    assert gap["srf"]["share"] == pytest.approx(0.5) and gap["srf"]["beyond_spread"]
    assert gap["select"]["share"] == 0.0
    p = write_results_csv(tmp_path / "results.csv", rows)
    back = list(csv.DictReader(p.open()))
    assert back[2]["init"] == "s2_prior" and float(back[2]["mean"]) == pytest.approx(0.61)
    assert init_of(_rec("srf", 0, 0.1, "ckpt:/w/TerraMind_v1_tiny.pt")) == "pretrained"


def test_init_comes_from_the_record_not_the_file_name():
    """The prior is what the record says (its backbone entry's ``prior``); a checkpoint whose
    file name happens to contain ``-s2-`` is not a prior by its name alone."""
    named = "ckpt:/c/priors/terramind_v1_tiny-s2-supervised-abc.pt"
    assert init_of(_rec("srf", 0, 0.1, named)) == "pretrained"
    assert init_of(_rec("srf", 0, 0.1, "ckpt:/w/any.pt", prior="hsi")) == "hsi_prior"
    assert init_of(_rec("srf", 0, 0.1, "random", prior="s2")) == "random"

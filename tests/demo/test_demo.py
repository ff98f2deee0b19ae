import csv
import json
import re
from pathlib import Path

from hsiadapt.cli import main
from hsiadapt.experiment.record import collect_records


def test_demo_quick_end_to_end_and_rerun(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HSIADAPT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # as on a machine without the TerraMind tiny weights cached, whatever this one has
    monkeypatch.setattr("hsiadapt.demo.main.terramind_tiny_weights_available", lambda: False)
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "PRETRAINED HERE" in text  # said loudly: the priors are stand-ins
    assert "[pretrain] s2 prior" in text and "[pretrain] hsi prior" in text
    assert re.search(r"^\[w1\] ", text, flags=re.M) and re.search(r"^\[w2\] ", text, flags=re.M)
    summary = json.loads((out / "summary.json").read_text())
    # 5 tasks (2 budgets x 2 segmentation tasks + canopy) x random select, S2 prior select and
    # srf; the gap rows (S2 prior linear, full_spectrum; HSI-native) with every label on the
    # task built to have a gap: minerals
    assert summary["runs"] == 18 and summary["finished"] == 18 and summary["failed"] == []
    table = (out / "table.md").read_text()
    rows = {ln.split("|")[1].strip() + "/" + ln.split("|")[2].strip(): ln
            for ln in table.splitlines() if ln.startswith("| tm_tiny")}
    assert set(rows) == {"tm_tiny.random/select", "tm_tiny.s2_prior/select", "tm_tiny.s2_prior/srf",
                         "tm_tiny.s2_prior/linear", "tm_tiny.s2_prior/full_spectrum",
                         "tm_tiny_hsi.hsi_prior/native"}
    head = [c.strip().split(" ")[0] for c in table.splitlines()[0].strip("|").split("|")][2:]
    for name, row in rows.items():
        cells = dict(zip(head, [c.strip() for c in row.strip().strip("|").split("|")][2:],
                         strict=True))
        assert len(cells) == 5
        for task, c in cells.items():
            ran = name.endswith(("/select", "/srf")) or task == "minerals"
            ok = re.search(r"(-?\d+\.\d+) \(n=1\)", c) if ran else c == "n/a"
            assert ok, f"{name} on {task}: {c!r}"
    for name in ("results", "seed_spread", "per_class_iou_landcover", "predictions_minerals",
                 "hyperview_scatter_canopy"):
        f = out / "figures" / f"{name}.png"
        assert f.exists() and f.stat().st_size > 5000
    report = (out / "report.md").read_text()
    assert "stand-ins pretrained here" in report and "not the study's data" in report
    assert "Share of the gap recovered" in report and "n/a (1 seed)" in report
    assert "rows: random init behind select; the gap rows (`linear`, `full_spectrum`, " \
        "HSI-native) on minerals" in report

    res = list(csv.DictReader((out / "results.csv").open()))
    assert set(res[0]) == {"task", "model", "init", "adapter", "metric", "direction", "mean",
                           "std", "n"}
    deep = {(r["task"], r["init"], r["adapter"]) for r in res if r["init"] != "none"}
    assert ("minerals", "hsi_prior", "native") in deep
    assert ("landcover_8chips", "s2_prior", "srf") in deep
    assert ("minerals", "s2_prior", "full_spectrum") in deep
    assert ("canopy", "random", "select") in deep and len(deep) == 18
    assert not {("landcover", "s2_prior", "linear"), ("landcover", "hsi_prior", "native"),
                ("canopy", "random", "srf")} & deep
    classical = {(r["task"], r["model"], r["adapter"]) for r in res if r["init"] == "none"}
    assert ("landcover_8chips", "lda", "full") in classical
    assert ("canopy", "pls", "srf") in classical
    # the prior rows started from the priors the demo pretrained
    priors = {k: v["path"] for k, v in summary["priors"].items()}
    recs = collect_records(out / "runs")
    assert {r.weights for r in recs if r.backbone == "tm_tiny.s2_prior"} == {
        f"ckpt:{priors['s2']}"}
    assert {r.weights for r in recs if r.backbone == "tm_tiny.random"} == {"random"}

    bench = next((tmp_path / "cache").rglob("benchmark-v*"))
    files = [bench / "COMPLETE.json", *map(Path, priors.values()),
             *(out / "runs").glob("*/metrics.json")]
    stamps = {p: p.stat().st_mtime_ns for p in files}
    # rerun: cached data, priors and finished runs are reused
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    assert "finished in" not in capsys.readouterr().out
    again = json.loads((out / "summary.json").read_text())
    assert again["finished"] == 18
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

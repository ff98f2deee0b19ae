import json
import re

from hsiadapt.cli import main


def test_demo_quick_end_to_end_and_rerun(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HSIADAPT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # as on a machine without the TerraMind tiny weights cached, whatever this one has
    monkeypatch.setattr("hsiadapt.demo.main.terramind_tiny_weights_available", lambda: False)
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "NO PRETRAINED WEIGHTS" in text  # said loudly when weights are absent
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == 6 and summary["failed"] == [] and summary["pretrained"] is False
    table = (out / "table.md").read_text()
    rows = [ln for ln in table.splitlines() if ln.startswith("| terramind_v1_tiny")]
    assert len(rows) == 2
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")][2:]
        assert len(cells) == 3
        for c in cells:
            m = re.search(r"(-?\d+\.\d+) \(n=1\)", c)  # one seed: no "± 0.000"
            assert m, f"cell is not a finite number: {c!r}"
    for name in ("seed_spread", "per_class_iou_landcover", "predictions_minerals",
                 "hyperview_scatter_canopy"):
        f = out / "figures" / f"{name}.png"
        assert f.exists() and f.stat().st_size > 5000
    report = (out / "report.md").read_text()
    assert "RANDOM INITIALISATION" in report and "not the study's data" in report
    import csv

    res = list(csv.DictReader((out / "results.csv").open()))
    assert set(res[0]) == {"task", "model", "init", "adapter", "metric", "direction", "mean",
                           "std", "n"}
    deep = {(r["task"], r["adapter"]) for r in res if r["init"] == "random"}
    assert deep == {(t, a) for t in ("landcover", "minerals", "canopy")
                    for a in ("select", "srf")}
    classical = {(r["task"], r["model"], r["adapter"]) for r in res if r["init"] == "none"}
    assert ("landcover", "lda", "full") in classical and ("canopy", "pls", "srf") in classical
    bench = next((tmp_path / "cache").rglob("benchmark-v*"))
    stamp = (bench / "COMPLETE.json").stat().st_mtime_ns
    # rerun: cached data and finished runs are reused
    assert main(["demo", "--quick", "--out", str(out)]) == 0
    again = json.loads((out / "summary.json").read_text())
    assert again["runs"] == 6 and "6 reused" in (out / "report.md").read_text()
    assert (bench / "COMPLETE.json").stat().st_mtime_ns == stamp

"""``hsiadapt demo --cross-sensor``: its grid is an ordinary config with the tokenizer row, and
(slow) the quick mode writes results.csv with a sensor column, select/srf/tokenizer scored on
every sensor, full_spectrum and native on EnMAP only."""

import csv
import json

import pytest

from hsiadapt.cli import main
from hsiadapt.demo.cross_sensor_main import COLUMNS, cross_sensor_config
from hsiadapt.experiment.config import load_config


def test_cross_sensor_grid_is_a_valid_config_with_the_tokenizer(tmp_path):
    import yaml

    priors = {p: tmp_path / f"{p}.pt" for p in ("s2", "hsi")}
    for p in priors.values():
        p.write_bytes(b"")
    cfg = cross_sensor_config("quick", tmp_path / "data", tmp_path / "out", priors)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    runs = load_config(path).runs()
    got = {(r.task.name, r.backbone.label, r.adapter.name) for r in runs}
    assert ("minerals", "tm_tiny.s2_prior", "tokenizer") in got
    assert ("landcover", "tm_tiny_hsi.hsi_prior", "native") in got
    assert len(got) == 2 * 5


def test_cross_sensor_grid_starts_the_tokenizer_from_a_pretrained_one(tmp_path):
    import yaml

    priors = {p: tmp_path / f"{p}.pt" for p in ("s2", "hsi", "tokenizer")}
    for p in priors.values():
        p.write_bytes(b"")
    cfg = cross_sensor_config("quick", tmp_path / "data", tmp_path / "out", priors)
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg))
    tok = {r.adapter.name: r.adapter for r in load_config(path).runs()}["tokenizer"]
    assert tok.args["pretrained"] == str(priors["tokenizer"].resolve())


def test_cross_sensor_flag_refuses_a_checkpoint_path(tmp_path):
    with pytest.raises(SystemExit, match="--cross-sensor fine-tunes from the priors"):
        main(["demo", "--quick", "--cross-sensor", "--ckpt-path", "x.pt", "--out",
              str(tmp_path)])


@pytest.mark.slow
def test_cross_sensor_demo_quick(tmp_path, monkeypatch):
    monkeypatch.setenv("HSIADAPT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    out = tmp_path / "xs"
    assert main(["demo", "--quick", "--cross-sensor", "--out", str(out)]) == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    assert tuple(rows[0]) == COLUMNS
    seen = {(r["task"], r["adapter"], r["sensor"]) for r in rows}
    for task in ("landcover", "minerals"):
        for a in ("select", "srf", "tokenizer"):
            for s in ("enmap_spectralearth", "prisma", "emit", "aviris_ng"):
                assert (task, a, s) in seen
        for a in ("full_spectrum", "native"):
            assert {x[2] for x in seen if x[:2] == (task, a)} == {"enmap_spectralearth"}
    assert all(0 <= float(r["mean"]) <= 1 for r in rows)
    assert json.loads((out / "summary.json").read_text())["failed"] == []
    assert "| tokenizer |" in (out / "table.md").read_text()

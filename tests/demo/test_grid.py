"""The demo's grids, expanded into runs by the experiment config they are written as."""

from collections import Counter

import yaml

from hsiadapt.demo.grid import demo_config
from hsiadapt.experiment.config import load_config


def _cells(mode, tmp_path):
    priors = {p: tmp_path / f"{p}.ckpt" for p in ("s2", "hsi")}
    for f in priors.values():
        f.write_bytes(b"")
    cfg = tmp_path / f"{mode}.yaml"
    cfg.write_text(yaml.safe_dump(demo_config(mode, tmp_path, tmp_path, priors)))
    runs = load_config(cfg).runs()
    return Counter((r.task.name, r.backbone.id, r.adapter.name) for r in runs), len(runs)


def test_default_grid_asks_the_gap_on_minerals_and_random_init_behind_select(tmp_path):
    cells, n = _cells("default", tmp_path)
    assert n == 63 and set(cells.values()) == {3}  # 21 cells x 3 seeds
    gap = {(t, a) for t, _, a in cells if a in ("linear", "full_spectrum", "native")}
    assert gap == {("minerals", "linear"), ("minerals", "full_spectrum"), ("minerals", "native")}
    assert {a for _, b, a in cells if b == "tm_tiny.random"} == {"select"}
    # every task and budget still compares the S2 prior with random init behind select, and
    # keeps both S2-prior adapters
    tasks = {t for t, _, _ in cells}
    assert len(tasks) == 6
    for t in tasks:
        assert {(b, a) for tt, b, a in cells if tt == t} >= {
            ("tm_tiny.random", "select"), ("tm_tiny.s2_prior", "select"),
            ("tm_tiny.s2_prior", "srf")}


def test_full_grid_keeps_every_question_on_every_task(tmp_path):
    cells, n = _cells("full", tmp_path)
    assert n == 300  # 30 cells x 10 seeds
    assert {a for _, b, a in cells if b == "tm_tiny.random"} == {"select", "srf"}
    assert {t for t, _, a in cells if a == "native"} == {"landcover", "minerals"}

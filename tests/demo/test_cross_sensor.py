"""Cross-sensor scoring of EnMAP-fine-tuned runs: on EnMAP's own scenes it reproduces each run's
recorded test score (so the scoring path is the run's); on PRISMA's it scores select, srf and
the tokenizer without retraining, and refuses the modes that read EnMAP's bands only."""

import math
import textwrap

import pytest

from hsiadapt.demo.cross_sensor import cross_sensor_rows, score_on_sensor
from hsiadapt.demo.generate import BenchmarkSpec, build_benchmark
from hsiadapt.demo.other_sensors import HOME, render_segmentation_tasks
from hsiadapt.experiment.config import load_config
from hsiadapt.experiment.record import read_record
from hsiadapt.experiment.sweep import run_sweep

SPEC = BenchmarkSpec(chip=16, n_train=6, n_val=2, n_test=3, n_fields=2)


def test_scores_on_enmap_reproduce_the_runs_and_other_sensors_are_scored(tmp_path):
    import hsiadapt.demo  # noqa: F401  (registers the demo datasets)

    bench = build_benchmark(tmp_path / "bench", SPEC)
    prisma = render_segmentation_tasks(tmp_path / "prisma", "prisma", SPEC)
    cfg_path = tmp_path / "c.yaml"
    cfg_path.write_text(textwrap.dedent(f"""
    name: xs
    data_root: {bench}
    output: {tmp_path / "runs"}
    seeds: [0]
    tasks:
      - name: minerals
        dataset: demo_minerals
        root: spectralearth
        recipe: study_segmentation
        recipe_overrides: {{max_epochs: 1, batch_size: 2, image_size: 16, lr: 0.001,
                            head: {{channels: 8, num_convs: 1, dropout: 0.0}}}}
        normalization: data
    adapters:
      - {{name: select, input_mode: select}}
      - {{name: srf, input_mode: srf}}
      - {{name: tokenizer, input_mode: tokenizer, args: {{init: srf}}}}
      - {{name: full_spectrum, input_mode: full_spectrum}}
    backbones:
      - {{name: stub, pretrained: false}}
    trainer: {{accelerator: cpu}}
    """))
    cfg = load_config(cfg_path)
    results = run_sweep(cfg, cfg.runs(), echo=lambda s: None)
    assert all(r.status == "finished" for r in results), [r.error for r in results]
    scores = []
    for r in results:
        rd = tmp_path / "runs" / r.run_id
        rec = read_record(rd)
        if rec.adapter == "full_spectrum":
            with pytest.raises(ValueError, match="reads the 202 bands it was trained on only"):
                score_on_sensor(rd, "prisma", prisma)
            continue
        home = score_on_sensor(rd, HOME, bench)
        assert home["miou"] == pytest.approx(rec.value(), abs=1e-6), rec.adapter
        other = score_on_sensor(rd, "prisma", prisma)
        assert 0.0 <= other["miou"] <= 1.0 and math.isfinite(other["miou"])
        for sensor, s in ((HOME, home), ("prisma", other)):
            scores.append({"task": rec.task, "model": "stub", "init": "random",
                           "adapter": rec.adapter, "sensor": sensor, "metric": "miou",
                           "direction": "max", "value": s["miou"]})
    rows = cross_sensor_rows(scores)
    assert {(r["adapter"], r["sensor"]) for r in rows} == {
        (a, s) for a in ("select", "srf", "tokenizer") for s in (HOME, "prisma")}
    assert all(r["n"] == 1 and r["std"] == 0.0 for r in rows)

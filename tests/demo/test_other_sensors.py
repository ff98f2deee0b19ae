"""The demo's scenes rendered for other sensors: for EnMAP the replay gives the benchmark's own
chips bit for bit (so the stream is replayed draw for draw); for PRISMA the same scenes (labels
identical, the Sentinel-2 view of each chip close to EnMAP's)."""

import numpy as np
import rasterio

from hsiadapt.adapters import build_adapter
from hsiadapt.demo.generate import BenchmarkSpec, build_benchmark
from hsiadapt.demo.other_sensors import HOME, render_segmentation_tasks

SPEC = BenchmarkSpec(chip=16, n_train=3, n_val=2, n_test=2, n_fields=2)


def _read(p):
    with rasterio.open(p) as src:
        return src.read()


def test_replay_for_enmap_is_the_benchmark_and_prisma_sees_the_same_scenes(tmp_path):
    bench = build_benchmark(tmp_path / "bench", SPEC) / "spectralearth"
    home = render_segmentation_tasks(tmp_path / "home", HOME, SPEC) / "spectralearth"
    prisma = render_segmentation_tasks(tmp_path / "prisma", "prisma", SPEC) / "spectralearth"
    chips = sorted(p.relative_to(bench) for p in bench.rglob("*.tif"))
    assert len(chips) == 2 * 2 * (3 + 2 + 2)  # images and masks of both tasks
    assert chips == sorted(p.relative_to(home) for p in home.rglob("*.tif"))
    for rel in chips:
        np.testing.assert_array_equal(_read(home / rel), _read(bench / rel))
    for task in ("landcover", "minerals"):
        for split in ("train", "val", "test"):
            f = f"splits/demo_{task}/{split}.txt"
            assert (prisma / f).read_text() == (bench / f).read_text()
    to_s2 = {s: build_adapter("srf", s, "sentinel2_l2a") for s in (HOME, "prisma")}
    for rel in chips:
        a, b = _read(bench / rel), _read(prisma / rel)
        if rel.parts[0] != "enmap":
            np.testing.assert_array_equal(a, b)  # the labels
            continue
        assert b.shape == (234, 16, 16)
        import torch

        sa, sb = (to_s2[s](torch.from_numpy(x[None].astype(np.float32)))[0].numpy()
                  for s, x in ((HOME, a), ("prisma", b)))
        assert np.corrcoef(sa.ravel(), sb.ravel())[0, 1] > 0.99
        assert not np.allclose(sa, sb)  # another instrument: its own noise and responses

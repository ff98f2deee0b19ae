"""Projection speed of the ``srf`` adapter (issue: spectral core).

Measures, in one run on this machine, for a (16, 202, 128, 128) float32 batch
(enmap_spectralearth -> sentinel2_l2a, boxcar SRF as in the study):

* ``read_s``: one read pass over the batch already in memory (``x.sum()``), the floor;
* ``srf_s``: the hsiadapt ``srf`` adapter (run-wise accumulation, the default);
* ``srf_dense_s``: the same adapter with ``dense=True`` (one matrix product over the band axis);
* ``published_s``: what the published code runs in its data loader, per chip:
  ``reshape(c, -1).T`` -> ``np.dot(., W)`` -> ``reshape(h, w, -1).transpose(2, 0, 1)`` ->
  ``torch.from_numpy``, for each of the 16 chips.

Prints a table, then one JSON line with ``ratio_vs_read`` (srf / read; target <= 2) and
``speedup_vs_published`` (published / srf; target >= 3). Timings are medians of repeats.

Run: ``.venv/bin/python benchmarks/projection.py``; ``--smoke`` times a (2, 202, 16, 16) batch once,
in seconds, to check that the benchmark executes (its figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import platform

import numpy as np
import torch
from _timing import median_time

from hsiadapt.adapters import SRFAdapter

B, C, H, W = 16, 202, 128, 128


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true",
                    help="a (2, 202, 16, 16) batch timed once: checks that the benchmark runs")
    args = ap.parse_args()
    b, h, w = (2, 16, 16) if args.smoke else (B, H, W)
    rep = {"repeats": 1, "warmup": 0} if args.smoke else {"warmup": 3}
    torch.manual_seed(0)
    x = torch.rand(b, C, h, w)
    adapter = SRFAdapter("enmap_spectralearth", "sentinel2_l2a", integration="boxcar").eval()
    dense = SRFAdapter("enmap_spectralearth", "sentinel2_l2a", integration="boxcar", dense=True)
    w_np = adapter.map.matrix.astype(np.float32)
    chips = [x[i].numpy() for i in range(b)]

    def published() -> list[torch.Tensor]:
        out = []
        for image in chips:
            c, h, w = image.shape
            flattened = image.reshape(c, -1).T
            grouped = np.dot(flattened, w_np)
            grouped = grouped.reshape(h, w, -1).transpose(2, 0, 1)
            out.append(torch.from_numpy(grouped).float())
        return out

    with torch.inference_mode():
        ref = dense(x)
        got = adapter(x)
        pub = torch.stack(published())
        assert torch.allclose(got, ref, rtol=1e-4, atol=1e-5), "fast path differs from dense"
        assert torch.allclose(pub, ref, rtol=1e-4, atol=1e-5), "published path differs"
        read_s = median_time(lambda: x.sum(), **rep)
        srf_s = median_time(lambda: adapter(x), **rep)
        dense_s = median_time(lambda: dense(x), **{"repeats": 7, **rep})
        published_s = median_time(published, **{"repeats": 7, **rep})

    gb = x.numel() * 4 / 1e9
    print(f"batch {tuple(x.shape)} float32 = {gb:.3f} GB; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {platform.machine()}")
    for name, s in [("read pass (x.sum())", read_s), ("srf adapter", srf_s),
                    ("srf adapter, dense=True", dense_s), ("published per-chip numpy", published_s)]:
        print(f"  {name:<28}{1e3 * s:9.2f} ms  {gb / s:7.1f} GB/s")
    result = {
        "smoke": args.smoke,
        "batch_shape": list(x.shape),
        "read_ms": round(1e3 * read_s, 3),
        "srf_ms": round(1e3 * srf_s, 3),
        "srf_dense_ms": round(1e3 * dense_s, 3),
        "published_ms": round(1e3 * published_s, 3),
        "ratio_vs_read": round(srf_s / read_s, 3),
        "speedup_vs_published": round(published_s / srf_s, 2),
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

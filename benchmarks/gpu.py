"""End-to-end training throughput on an accelerator (issue: fast on a GPU).

Writes N synthetic 202-band int16 GeoTIFF chips in the SpectralEarth EnMAP-BNETD layout (as
``benchmarks/loading.py``), then trains TerraMind (random init: weights do not change the cost)
behind the ``srf`` adapter with the FCN decoder (256 channels, 4 blocks) through hsiadapt's real
data module - adapted-band cache, the study's augmentations, resize to ``--image-size`` - and
Lightning, in ``16-mixed`` on a GPU (``32-true`` on a CPU), for each ``--workers`` setting.
Prints one JSON line:

* ``chips_per_s``: the best end-to-end training throughput over the worker settings (chips per
  second between consecutive batch starts: data loading included), and
  ``chips_per_s_workers_<n>`` for each;
* ``gflop_per_chip``: forward + backward FLOPs of one chip (torch's FLOP counter, batch 1);
  ``--flops-only`` prints it alone (with ``--head CHANNELS CONVS``) and ``chips_per_s_at_peak``;
* ``utilisation``: ``chips_per_s * gflop_per_chip`` over ``--peak-tflops`` (default 989, the
  H100/H200 dense bf16 peak);
* ``loader_bound``: whether more loader workers still raised the throughput by > 10 %;
* with ``--augmentation-on loader device``: each setting's throughput
  (``chips_per_s_<where>_workers_<n>``) and ``device_over_loader``, the ratio of their best
  throughputs (the augmentation in the loader workers, per chip, or on the device, per batch).

``hsiadapt reproduce table1 --dry-run --throughput FILE`` prices the study with the line.
Run: ``python benchmarks/gpu.py [--chips 2100] [--workers 1 8] [--compile] [--channels-last]``;
``--smoke`` trains TerraMind tiny on 8 chips of 32 px for 2 steps on the CPU, to check that the
benchmark executes (its figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import lightning as L
import torch
from loading import write_chips

from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.models.backbones import BACKBONES
from hsiadapt.models.model import build_model
from hsiadapt.models.recipes import get_recipe
from hsiadapt.models.task import SegmentationTask


class _Clock(L.Callback):
    def __init__(self) -> None:
        self.starts: list[float] = []

    def on_train_batch_start(self, *a) -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self.starts.append(time.perf_counter())


def _module(root: Path, cache: Path, a: argparse.Namespace, workers: int,
            on: str = "loader") -> HSIDataModule:
    dm = HSIDataModule("enmap_bnetd", root, adapter="srf", size=a.image_size, batch_size=a.batch,
                       num_workers=workers, augmentation="study_segmentation",
                       augmentation_on=on,
                       normalization="pretraining", cache_dir=cache,
                       pretraining_statistics=BACKBONES.get(a.model).pretraining_statistics)
    dm.setup("fit")
    return dm


def _model(a: argparse.Namespace, classes: int) -> torch.nn.Module:
    torch.manual_seed(0)
    m = build_model(task="segmentation", source="sentinel2_l2a", input_mode="none",
                    backbone=a.model, num_outputs=classes, pretrained=False,
                    head_args={"channels": a.head[0], "num_convs": a.head[1], "dropout": 0.21})
    return m.to(memory_format=torch.channels_last) if a.channels_last else m


def gflop_per_chip(a: argparse.Namespace, classes: int, device: str) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    m = _model(a, classes).to(device)
    x = torch.rand(1, 12, a.image_size, a.image_size, device=device)
    valid = torch.ones(1, a.image_size, a.image_size, dtype=torch.bool, device=device)
    with FlopCounterMode(display=False) as fc:
        m(x, valid).sum().backward()
    return fc.get_total_flops() / 1e9


def throughput(dm: HSIDataModule, a: argparse.Namespace, precision: str) -> float:
    classes = len(dm.info.classes)
    model = _model(a, classes)
    recipe = get_recipe("study_segmentation").with_(precision=precision, batch_size=a.batch)
    task = SegmentationTask(model, recipe, num_classes=classes, class_names=list(dm.info.classes))
    if a.compile:
        task.model = torch.compile(task.model)  # type: ignore[assignment]
    clock = _Clock()
    with tempfile.TemporaryDirectory() as d:
        trainer = L.Trainer(max_steps=a.warmup + a.steps, accelerator="auto", devices=1,
                            precision=precision, limit_val_batches=0, logger=False,
                            enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, callbacks=[clock], default_root_dir=d)
        trainer.fit(task, datamodule=dm)
    gaps = [t1 - t0 for t0, t1 in zip(clock.starts, clock.starts[1:], strict=False)]
    return a.batch / statistics.median(gaps[a.warmup - 1:] or gaps)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--chips", type=int, default=2100)
    ap.add_argument("--side", type=int, default=128)
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--model", default="terramind_v1_base")
    ap.add_argument("--peak-tflops", type=float, default=989.0)
    ap.add_argument("--compile", action="store_true", help="torch.compile the model")
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--augmentation-on", nargs="+", default=["loader"],
                    choices=["loader", "device"], help="where the augmentation runs (each)")
    ap.add_argument("--head", type=int, nargs=2, default=[256, 4], metavar=("CHANNELS", "CONVS"),
                    help="the FCN decoder's channels and convolutions (the study's: 256 4)")
    ap.add_argument("--flops-only", action="store_true",
                    help="only count the FLOPs per chip and the throughput they allow at the peak")
    ap.add_argument("--smoke", action="store_true",
                    help="TerraMind tiny, 8 chips of 32 px, 2 steps, batch 2 (seconds)")
    a = ap.parse_args()
    if a.flops_only:
        gf = gflop_per_chip(a, 10, "cuda" if torch.cuda.is_available() else "cpu")
        print(json.dumps({"smoke": a.smoke, "benchmark": "gpu", "model": a.model,
                          "image_size": a.image_size, "head": a.head,
                          "gflop_per_chip": round(gf, 1), "peak_tflops": a.peak_tflops,
                          "chips_per_s_at_peak": round(a.peak_tflops * 1e3 / gf)}))
        return
    if a.smoke:
        a.chips, a.side, a.image_size, a.batch, a.steps, a.warmup = 8, 32, 32, 2, 2, 1
        a.workers, a.model, a.augmentation_on = [0], "terramind_v1_tiny", ["loader", "device"]
    cuda = torch.cuda.is_available()
    precision = "16-mixed" if cuda else "32-true"
    out: dict[str, object] = {"smoke": a.smoke, "benchmark": "gpu", "model": a.model,
                              "image_size": a.image_size, "batch": a.batch,
                              "precision": precision, "compile": a.compile,
                              "channels_last": a.channels_last, "chips": a.chips,
                              "device": torch.cuda.get_device_name(0) if cuda else "cpu"}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "enmap_bnetd"
        t0 = time.perf_counter()
        write_chips(root, a.chips, side=a.side)
        out["write_chips_s"] = round(time.perf_counter() - t0, 1)
        rates: dict[int, float] = {}
        by_place: dict[str, float] = {}
        for on in a.augmentation_on:
            for w in a.workers:
                dm = _module(root, Path(tmp) / "cache", a, w, on)
                rate = throughput(dm, a, precision)
                by_place[on] = max(by_place.get(on, 0.0), rate)
                rates[w] = max(rates.get(w, 0.0), rate)
                key = "" if len(a.augmentation_on) == 1 else f"{on}_"
                out[f"chips_per_s_{key}workers_{w}"] = round(rate, 2)
        classes = len(dm.info.classes)
    if len(by_place) == 2:
        out["device_over_loader"] = round(by_place["device"] / by_place["loader"], 3)
    best = max(rates.values())
    out["chips_per_s"] = round(best, 2)
    gf = gflop_per_chip(a, classes, "cuda" if cuda else "cpu")
    out["gflop_per_chip"] = round(gf, 2)
    out["utilisation"] = round(best * gf / (a.peak_tflops * 1e3), 4)
    ws = sorted(rates)
    out["loader_bound"] = len(ws) > 1 and rates[ws[-1]] > 1.1 * rates[ws[-2]]
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Training-step speed and harness overhead (issue: models).

For terramind_v1_tiny and terramind_v1_base (random init; weights do not change the cost) with
the ``srf`` adapter (202 EnMAP bands -> 12) and terratorch's FCN decoder (256 channels, 4 blocks)
at batch 8, 128 x 128, on this machine's CPU (32-bit), measures in one run:

* ``chips_per_s_<size>``: chips per second of hsiadapt's training step - the Lightning task
  (adapter, loss, epoch metrics, CSV logging, optimizer) driven by ``Trainer.fit``;
* ``plain_chips_per_s_<size>``: a plain PyTorch loop doing forward + backward + AdamW step of the
  very same modules on the same batch;
* ``harness_ratio_<size>``: hsiadapt step time / plain step time (target <= 1.10);
* ``share_backbone_<size>``, ``share_decoder_<size>``, ``share_rest_<size>``: split of the plain
  step between backbone forward+backward, decoder+head forward+backward, and the rest (adapter,
  loss, optimizer).

Run: ``.venv/bin/python benchmarks/train_step.py [--steps 6] [--sizes tiny base]``; ``--smoke``
runs 1 step of tiny at batch 2, 32 x 32, in seconds, to check that the benchmark executes (its
figures then mean nothing).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import warnings
from typing import NamedTuple

import lightning as L
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from hsiadapt.models.model import build_model
from hsiadapt.models.recipes import get_recipe
from hsiadapt.models.task import SegmentationTask

C, K = 202, 10


class Shape(NamedTuple):
    """Batch size and chip side (px) of the measured batch."""

    batch: int = 8
    side: int = 128


SMOKE = Shape(batch=2, side=32)


class _Repeat(Dataset):
    def __init__(self, batch: dict[str, torch.Tensor], n: int) -> None:
        self.batch, self.n = batch, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.batch


class _Timer(L.Callback):
    def __init__(self) -> None:
        self.times: list[float] = []

    def on_train_batch_start(self, *a) -> None:
        self.t0 = time.perf_counter()

    def on_train_batch_end(self, *a) -> None:
        self.times.append(time.perf_counter() - self.t0)


def _batch(shape: Shape) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    b, h = shape
    return {"image": torch.rand(b, C, h, h, generator=g),
            "mask": torch.randint(-1, K, (b, h, h), generator=g),
            "valid": torch.ones(b, h, h, dtype=torch.bool)}


def _model(size: str):
    torch.manual_seed(0)
    return build_model(task="segmentation", source="enmap_spectralearth", input_mode="srf",
                       backbone=f"terramind_v1_{size}", num_outputs=K, pretrained=False,
                       head_args={"channels": 256, "num_convs": 4, "dropout": 0.21})


def plain_step_time(size: str, steps: int, shape: Shape) -> tuple[float, dict[str, float]]:
    model = _model(size).train()
    # the optimizer hsiadapt uses on a CPU (fused AdamW)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=1e-4, fused=True)
    b = _batch(shape)
    times = []
    for i in range(steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model(b["image"], b["valid"])
        loss = F.cross_entropy(out, b["mask"], ignore_index=-1)
        loss.backward()
        opt.step()
        if i:
            times.append(time.perf_counter() - t0)
    step = statistics.median(times)
    # split: backbone fwd+bwd, decoder+head fwd+bwd (on detached tokens)
    x = model.adapter(b["image"]).detach()
    bb, dec = [], []
    for i in range(max(2, steps // 2) + 1):
        t0 = time.perf_counter()
        feats = model.backbone_info.features(x)
        feats[-1].sum().backward()
        t1 = time.perf_counter()
        f = [t.detach().requires_grad_(True) for t in feats]
        y = model.head(f, (shape.side, shape.side), 16, b["valid"])
        F.cross_entropy(y, b["mask"], ignore_index=-1).backward()
        t2 = time.perf_counter()
        if i:
            bb.append(t1 - t0)
            dec.append(t2 - t1)
    sb, sd = statistics.median(bb) / step, statistics.median(dec) / step
    return step, {"backbone": sb, "decoder": sd, "rest": max(0.0, 1 - sb - sd)}


def harness_step_time(size: str, steps: int, shape: Shape) -> float:
    model = _model(size)
    recipe = get_recipe("study_segmentation").with_(precision="32-true")
    task = SegmentationTask(model, recipe, num_classes=K, class_names=[str(i) for i in range(K)])
    timer = _Timer()
    with tempfile.TemporaryDirectory() as d:
        trainer = L.Trainer(
            max_epochs=1, accelerator="cpu", precision="32-true", limit_val_batches=0,
            logger=L.pytorch.loggers.CSVLogger(d), enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, callbacks=[timer],
            log_every_n_steps=1)
        loader = DataLoader(_Repeat(_batch(shape), steps + 1), batch_size=None)
        trainer.fit(task, loader)
    return statistics.median(timer.times[1:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=6)
    ap.add_argument("--sizes", nargs="+", default=["tiny", "base"])
    ap.add_argument("--smoke", action="store_true",
                    help="1 step of tiny at batch 2, 32 x 32: checks that the benchmark runs")
    args = ap.parse_args()
    shape = Shape()
    if args.smoke:
        args.steps, args.sizes, shape = 1, ["tiny"], SMOKE
    batch = shape.batch
    warnings.filterwarnings("ignore")
    result: dict[str, float | int | str | bool] = {
        "smoke": args.smoke, "batch": batch, "bands": C, "size_px": shape.side,
        "threads": torch.get_num_threads(), "precision": "32-true (CPU)"}
    for size in args.sizes:
        steps = args.steps if size == "tiny" else max(3, args.steps // 2)
        plain, shares = plain_step_time(size, steps, shape)
        harness = harness_step_time(size, steps, shape)
        print(f"terramind_v1_{size}: plain {plain:.3f} s/step ({batch / plain:.2f} chips/s), "
              f"hsiadapt {harness:.3f} s/step ({batch / harness:.2f} chips/s), ratio "
              f"{harness / plain:.3f}; backbone {100 * shares['backbone']:.0f}%, decoder "
              f"{100 * shares['decoder']:.0f}%, rest {100 * shares['rest']:.0f}%")
        result[f"chips_per_s_{size}"] = round(batch / harness, 3)
        result[f"plain_chips_per_s_{size}"] = round(batch / plain, 3)
        result[f"harness_ratio_{size}"] = round(harness / plain, 3)
        for k, v in shares.items():
            result[f"share_{k}_{size}"] = round(v, 3)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

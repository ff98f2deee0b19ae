"""What a finished run leaves besides its record: a few test predictions for figures
(``samples.npz``), regression predictions (``predictions.csv``), slimmed checkpoints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt._atomic import atomic_path, atomic_savez, atomic_write_text
from hsiadapt.data.collate import pad_collate

__all__ = ["save_regression_predictions", "save_samples", "slim_checkpoints"]


def save_samples(task, dm, run_dir: Path, k: int = 4) -> None:
    import torch

    split = "test" if "test" in dm.splits else "val"
    ds = dm.splits.get(split)
    if ds is None or len(ds) == 0:
        return
    task.eval()
    out: dict[str, Any] = {}
    with torch.no_grad():
        samples = [ds[i] for i in range(min(k, len(ds)))]
        batch = pad_collate(samples)
        pred = task(batch)
    if "mask" in batch:
        out["gt"] = batch["mask"].numpy()
        out["pred"] = pred.argmax(1).numpy()
        raw = [dm.raw[split][i]["image"] for i in range(len(samples))]
        rgbi = dm.raw[split].rgb_indices()
        rgb = np.stack([r[rgbi].permute(1, 2, 0).numpy() for r in raw])
        out["rgb"] = rgb.astype(np.float32)
    atomic_savez(run_dir / "samples.npz", **out)


def save_regression_predictions(task, dm, run_dir: Path) -> None:
    import torch

    split = "test" if "test" in dm.splits else "val"
    ds = dm.splits.get(split)
    if ds is None:
        return
    rows = ["index," + ",".join(f"true_{t}" for t in task.target_names) + ","
            + ",".join(f"pred_{t}" for t in task.target_names)]
    task.eval()
    with torch.no_grad():
        for start in range(0, len(ds), 16):
            items = [ds[i] for i in range(start, min(start + 16, len(ds)))]
            b = pad_collate(items)
            if "label" not in b:
                return
            p = task.predict_original(task(b)).numpy()
            for j, (y, q) in enumerate(zip(b["label"].numpy(), p, strict=True)):
                rows.append(f"{start + j}," + ",".join(f"{v:.6g}" for v in y) + ","
                            + ",".join(f"{v:.6g}" for v in q))
    atomic_write_text(run_dir / "predictions.csv", "\n".join(rows) + "\n")


def slim_checkpoints(ckpt_dir: Path, best: str | None) -> None:
    """A finished run keeps only its best weights (no optimizer state): ``best.ckpt`` holds
    ``{"state_dict": ...}`` of plain tensors; ``last.ckpt`` (only needed to resume) goes."""
    import torch

    if best:
        state = torch.load(best, map_location="cpu", weights_only=True)
        with atomic_path(ckpt_dir / "best.ckpt") as tmp:
            torch.save({"state_dict": state["state_dict"]}, tmp)
    for p in ckpt_dir.glob("*.ckpt"):
        if p.name != "best.ckpt":
            p.unlink()

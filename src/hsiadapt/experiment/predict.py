"""Apply a fine-tuned segmentation run to a whole scene: ``hsiadapt predict RUN_DIR IMAGE``.

The scene is read with its own wavelength metadata (checked against the bands the run trained
on), cut into tiles of the training chip size with overlap, each tile adapted, normalised with the
run's statistics, resized to the model's input size and predicted; class probabilities are
blended with a smooth window so tile seams do not show, pixels that are nodata in the input are
nodata (255) in the output, and the result is written as a GeoTIFF with the input's CRS and
transform (atomically). Weights are read from the run's best checkpoint with
``torch.load(weights_only=True)``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml

from hsiadapt._atomic import atomic_path

__all__ = ["load_run_model", "predict_scene"]

NODATA = 255


def load_run_model(run_dir: str | Path):
    """Rebuild a finished run's model with its best weights.

    Returns ``(model, adapter_or_None, stats(mean, std) or None, info dict)``.
    """
    from hsiadapt.adapters import build_adapter
    from hsiadapt.models.model import build_model
    from hsiadapt.spectral import BandSet, get_sensor

    rd = Path(run_dir)
    m = json.loads((rd / "metrics.json").read_text())
    if m.get("status") != "finished":
        raise ValueError(f"{rd}: run is not finished (status {m.get('status')!r})")
    if m.get("task_type") != "segmentation":
        raise ValueError(f"{rd}: predict writes class maps; this run is {m.get('task_type')}")
    cfg = yaml.safe_load((rd / "resolved_config.yaml").read_text())
    src = m["source_bands"]
    fwhm = src["fwhm"] if all(f is not None for f in src["fwhm"]) else None
    bands = BandSet.from_wavelengths(src["centers"], fwhm, valid=src["valid"], name=src["name"],
                                     order="any")
    mode = m["input_mode"]
    fixed = mode in ("select", "srf")
    classes = [k.split("/", 1)[1] for k in m["test"] if k.startswith("iou/")]
    target = get_sensor(m.get("target", "sentinel2_l2a"))
    adapter = build_adapter(mode, bands, target, **m.get("adapter_args", {})) if fixed else None
    recipe = cfg["recipe"]
    model = build_model(task="segmentation", source=bands, input_mode="none" if fixed else mode,
                        backbone=m["backbone"], target=adapter.target if fixed else target,
                        num_outputs=len(classes), pretrained=False,
                        adapter_args=None if fixed else m.get("adapter_args", {}),
                        head_args=recipe.get("head", {}),
                        backbone_args=cfg["backbone"].get("args", {}),
                        mask_channel=recipe.get("mask_channel", False))
    ckpt_dir = rd / "checkpoints"
    ckpt = ckpt_dir / "best.ckpt" if (ckpt_dir / "best.ckpt").exists() else ckpt_dir / "last.ckpt"
    state = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
    state = {k.removeprefix("model."): v for k, v in state.items() if k.startswith("model.")}
    model.load_state_dict(state)
    stats = None
    if (rd / "stats.json").exists():
        s = json.loads((rd / "stats.json").read_text())
        stats = (torch.tensor(s["mean"]), torch.tensor(s["std"]))
    info = {"bands": bands, "classes": classes, "chip_px": m.get("chip_px"),
            "image_size": recipe.get("image_size"), "patch": model.backbone_info.patch_size}
    return model.eval(), adapter, stats, info


def _window(n: int) -> torch.Tensor:
    w = torch.sin(torch.linspace(0.5, n - 0.5, n) / n * torch.pi) ** 2
    return (w[:, None] * w[None, :]).clamp(min=1e-3)


def predict_scene(run_dir: str | Path, image: str | Path, out: str | Path, *,
                  tile: int | None = None, overlap: float = 0.25,
                  batch_size: int = 8) -> Path:
    """Predict a class map for ``image`` and write it to ``out`` (see the module docstring)."""
    import rasterio

    from hsiadapt.datasets.raster import read_image
    from hsiadapt.spectral.io import read_geotiff_bands

    model, adapter, stats, info = load_run_model(run_dir)
    bands = read_geotiff_bands(image)
    if len(bands) != len(info["bands"]) or not np.allclose(bands.centers, info["bands"].centers,
                                                           atol=1.0):
        raise ValueError(
            f"{image}: its {len(bands)} bands do not match the {len(info['bands'])} bands the run "
            "trained on; predict needs data from the same sensor and band table")
    x, valid = read_image(Path(image), len(bands), valid_bands=bands.valid)
    img = torch.from_numpy(x)
    if adapter is not None:
        with torch.no_grad():
            img = adapter(img[None])[0]
    if stats is not None:
        mean, std = stats
        std = torch.where(std > 0, std, torch.ones_like(std))
        img = (img - mean[:, None, None]) / std[:, None, None]
    vt = torch.from_numpy(valid)
    img = img * vt[None]
    _c, h, w = img.shape
    t = int(tile or info["chip_px"] or info["image_size"] or 128)
    size = int(info["image_size"] or t)
    p = info["patch"]
    if size % p:
        size = (size // p + 1) * p
    stride = max(1, int(t * (1 - overlap)))
    ys = list(range(0, max(h - t, 0) + 1, stride))
    xs = list(range(0, max(w - t, 0) + 1, stride))
    if ys[-1] + t < h:
        ys.append(h - t)
    if xs[-1] + t < w:
        xs.append(w - t)
    pad_h, pad_w = max(0, t - h), max(0, t - w)
    if pad_h or pad_w:
        img = F.pad(img, (0, pad_w, 0, pad_h))
        vt = F.pad(vt, (0, pad_w, 0, pad_h))
    k = len(info["classes"])
    acc = torch.zeros(k, img.shape[1], img.shape[2])
    wsum = torch.zeros(img.shape[1], img.shape[2])
    win = _window(t)
    boxes = [(y, xx) for y in ys for xx in xs]
    with torch.no_grad():
        for i in range(0, len(boxes), batch_size):
            chunk = boxes[i:i + batch_size]
            tiles = torch.stack([img[:, y:y + t, xx:xx + t] for y, xx in chunk])
            vts = torch.stack([vt[y:y + t, xx:xx + t] for y, xx in chunk])
            if size != t:
                tiles = F.interpolate(tiles, size=(size, size), mode="bilinear",
                                      align_corners=False)
                vts_in = F.interpolate(vts[:, None].float(), size=(size, size),
                                       mode="nearest")[:, 0] > 0.5
            else:
                vts_in = vts
            logits = model(tiles, vts_in)
            if size != t:
                logits = F.interpolate(logits, size=(t, t), mode="bilinear", align_corners=False)
            prob = logits.softmax(1)
            for (y, xx), pr in zip(chunk, prob, strict=True):
                acc[:, y:y + t, xx:xx + t] += pr * win
                wsum[y:y + t, xx:xx + t] += win
    cls = (acc / wsum.clamp(min=1e-6)).argmax(0)[:h, :w].numpy().astype(np.uint8)
    cls[~valid] = NODATA
    with rasterio.open(image) as src:
        profile = {"driver": "GTiff", "height": h, "width": w, "count": 1, "dtype": "uint8",
                   "crs": src.crs, "transform": src.transform, "nodata": NODATA,
                   "compress": "deflate"}
    outp = Path(out)
    with atomic_path(outp, suffix=".tif") as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(cls[None])
        dst.update_tags(classes=json.dumps(info["classes"]), run=str(Path(run_dir).name))
    return outp

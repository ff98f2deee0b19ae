"""Sliding-window inference at native pixels: the one path by which ``hsiadapt predict`` writes a
class map and by which a user's dataset is test-scored (:mod:`.scoring`), so that the score in
``metrics.json`` is the score of the map.

An image (already adapted and normalised, see :func:`prepare_image`) is cut into windows of
``tile`` native pixels with ``overlap``; each window is resized to the model's input side
(bilinear, its valid mask nearest), predicted, its logits resized back to ``tile`` x ``tile``
and its class probabilities blended with a smooth window, so window seams do not show. An image
smaller than a window is zero-padded (the padding is invalid).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from hsiadapt.adapters import SpectralAdapter
from hsiadapt.data.transforms import Normalize
from hsiadapt.spectral import BandSet

__all__ = ["BATCH_SIZE", "OVERLAP", "class_map", "input_fwhm", "input_wavelengths", "prepare_image",
           "window_sizes"]

#: default share of a window that overlaps its neighbour (``predict --overlap``)
OVERLAP = 0.25
#: default number of windows predicted at once
BATCH_SIZE = 8


def window_sizes(tile: int | None, chip_px: int | None, image_size: int | None,
                 patch: int) -> tuple[int, int]:
    """``(window side in native pixels, model input side in pixels)``.

    The window is ``tile`` when given, else the training chips' side (``chip_px``), else the
    run's ``image_size``; the input side is ``image_size`` (else the window), rounded up to a
    multiple of the backbone's ``patch``.
    """
    t = int(tile or chip_px or image_size or 128)
    size = int(image_size or t)
    if size % patch:
        size = (size // patch + 1) * patch
    return t, size


def prepare_image(image: torch.Tensor, valid: torch.Tensor, adapter: SpectralAdapter | None,
                  normalize: Normalize | None,
                  check: Callable[[torch.Tensor], None] | None = None) -> torch.Tensor:
    """The model's input for a ``(C, H, W)`` image (reflectance x 10000, as the loaders give):
    the run's fixed adapter (if any), ``check`` on its output, the run's normalisation, pixels
    outside ``valid`` (``(H, W)`` bool) set to 0."""
    img = image.float()
    if adapter is not None:
        with torch.no_grad():
            img = adapter(img[None])[0]
    if check is not None:
        check(img)
    if normalize is not None:
        img = normalize({"image": img, "valid": valid})["image"]
    return img * valid[None]


def input_wavelengths(adapter: SpectralAdapter | None, bands: BandSet) -> torch.Tensor:
    """The band centres (nm, float32) of the model's input: the fixed adapter's target bands, or
    the source ``bands`` when no adapter ran before the model (what a training batch carries)."""
    centers = adapter.target.centers if adapter is not None else bands.centers
    return torch.as_tensor(centers, dtype=torch.float32)


def input_fwhm(adapter: SpectralAdapter | None, bands: BandSet) -> torch.Tensor:
    """The band FWHM (nm, float32, NaN where unknown) of the model's input, as
    :func:`input_wavelengths` gives its centres."""
    fwhm = adapter.target.fwhm if adapter is not None else bands.fwhm
    return torch.as_tensor(fwhm, dtype=torch.float32)


def _window(n: int) -> torch.Tensor:
    w = torch.sin(torch.linspace(0.5, n - 0.5, n) / n * torch.pi) ** 2
    return (w[:, None] * w[None, :]).clamp(min=1e-3)


def _starts(n: int, t: int, stride: int) -> list[int]:
    out = list(range(0, max(n - t, 0) + 1, stride))
    if out[-1] + t < n:
        out.append(n - t)
    return out


def class_map(model: torch.nn.Module, image: torch.Tensor, valid: torch.Tensor,
              num_classes: int, *, tile: int, size: int, overlap: float = OVERLAP,
              batch_size: int = BATCH_SIZE,
              wavelengths: torch.Tensor | None = None,
              fwhm: torch.Tensor | None = None) -> np.ndarray:
    """The class ordinal of every pixel of ``image`` (``(H, W)`` int64; see the module
    docstring).

    Args:
        model: ``model(x, valid, wavelengths) -> logits (B, K, size, size)``, in eval mode.
        image: ``(C, H, W)`` model input (:func:`prepare_image`).
        valid: ``(H, W)`` bool, the pixels with valid input.
        num_classes: ``K``.
        tile: window side in native pixels; size: the model's input side in pixels
            (:func:`window_sizes`).
        overlap: share of a window overlapping its neighbour (0 to < 1).
        batch_size: windows predicted at once.
        wavelengths: ``(C,)`` band centres in nm, for backbones conditioned on them.
        fwhm: ``(C,)`` band FWHM in nm (NaN where unknown), for backbones that read it
            (Copernicus-FM); as a training batch carries it.
    """
    _c, h, w = image.shape
    t = tile
    stride = max(1, int(t * (1 - overlap)))
    ys, xs = _starts(h, t, stride), _starts(w, t, stride)
    img, vt = image, valid
    pad_h, pad_w = max(0, t - h), max(0, t - w)
    if pad_h or pad_w:
        img = F.pad(img, (0, pad_w, 0, pad_h))
        vt = F.pad(vt, (0, pad_w, 0, pad_h))
    dev = next(model.parameters()).device
    acc = torch.zeros(num_classes, img.shape[1], img.shape[2])
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
                vts = F.interpolate(vts[:, None].float(), size=(size, size),
                                    mode="nearest")[:, 0] > 0.5
            wl = None if wavelengths is None else wavelengths.float()[None].expand(len(chunk), -1)
            fw = None if fwhm is None else fwhm.float()[None].expand(len(chunk), -1).to(dev)
            logits = model(tiles.to(dev), vts.to(dev),
                           None if wl is None else wl.to(dev), fw).float().cpu()
            if size != t:
                logits = F.interpolate(logits, size=(t, t), mode="bilinear", align_corners=False)
            prob = logits.softmax(1)
            for (y, xx), pr in zip(chunk, prob, strict=True):
                acc[:, y:y + t, xx:xx + t] += pr * win
                wsum[y:y + t, xx:xx + t] += win
    return (acc / wsum.clamp(min=1e-6)).argmax(0)[:h, :w].numpy()

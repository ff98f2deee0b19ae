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
from hsiadapt.data.fixed_adapter import FixedAdapter
from hsiadapt.data.transforms import Normalize
from hsiadapt.spectral import BandSet

__all__ = ["BATCH_SIZE", "OVERLAP", "class_map", "class_map_strips", "input_fwhm",
           "input_wavelengths", "prepare_image", "window_sizes"]

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


def prepare_image(image: torch.Tensor, valid: torch.Tensor,
                  adapter: SpectralAdapter | FixedAdapter | None,
                  normalize: Normalize | None) -> torch.Tensor:
    """The model's input for a ``(C, H, W)`` image (reflectance x 10000, as the loaders give):
    the run's fixed adapter (if any, as the data pipeline applies it), the run's normalisation,
    pixels outside ``valid`` (``(H, W)`` bool) set to 0."""
    img = FixedAdapter.of(adapter)(image) if adapter is not None else image.float()
    if normalize is not None:
        img = normalize({"image": img, "valid": valid})["image"]
    return img * valid[None]


def input_wavelengths(adapter: SpectralAdapter | FixedAdapter | None, bands: BandSet) -> torch.Tensor:
    """The band centres (nm, float32) of the model's input: the fixed adapter's target bands, or
    the source ``bands`` when no adapter ran before the model (what a training batch carries)."""
    centers = adapter.target.centers if adapter is not None else bands.centers
    return torch.as_tensor(centers, dtype=torch.float32)


def input_fwhm(adapter: SpectralAdapter | FixedAdapter | None, bands: BandSet) -> torch.Tensor:
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


#: ``(r0, r1) -> (model input (C, r1 - r0, W), valid (r1 - r0, W))``: rows of a scene
ReadRows = Callable[[int, int], tuple[torch.Tensor, torch.Tensor]]
#: ``(r0, ordinals int64 (rows, W))``: a finished strip of the class map, rows ``r0...``
WriteRows = Callable[[int, np.ndarray], None]


def class_map(model: torch.nn.Module, image: torch.Tensor, valid: torch.Tensor,
              num_classes: int, *, tile: int, size: int, overlap: float = OVERLAP,
              batch_size: int = BATCH_SIZE,
              wavelengths: torch.Tensor | None = None,
              fwhm: torch.Tensor | None = None) -> np.ndarray:
    """The class ordinal of every pixel of ``image`` (``(H, W)`` int64; see the module
    docstring): :func:`class_map_strips` over an image held in memory.

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
    out = np.zeros((h, w), dtype=np.int64)

    def write(r0: int, rows: np.ndarray) -> None:
        out[r0:r0 + rows.shape[0]] = rows

    class_map_strips(model, lambda r0, r1: (image[:, r0:r1], valid[r0:r1]), h, w, num_classes,
                     write, tile=tile, size=size, overlap=overlap, batch_size=batch_size,
                     wavelengths=wavelengths, fwhm=fwhm)
    return out


def class_map_strips(model: torch.nn.Module, read: ReadRows, height: int, width: int,
                     num_classes: int, write: WriteRows, *, tile: int, size: int,
                     overlap: float = OVERLAP, batch_size: int = BATCH_SIZE,
                     wavelengths: torch.Tensor | None = None,
                     fwhm: torch.Tensor | None = None) -> None:
    """:func:`class_map` for a scene read and written in strips, so memory holds one row of
    windows (``tile`` rows of the whole width) and its blended probabilities, never the scene.

    The windows, their order, batches and blending are those of :func:`class_map` (which is
    this function over an image in memory): the windows of one row of windows are read as one
    strip (``read(y, y + tile)``), predicted ``batch_size`` at a time, and the rows no later
    window touches are finished and handed to ``write`` in order, top to bottom.
    """
    t = tile
    stride = max(1, int(t * (1 - overlap)))
    ys, xs = _starts(height, t, stride), _starts(width, t, stride)
    w_pad = max(width, t)
    dev = next(model.parameters()).device
    win = _window(t)
    wl = None if wavelengths is None else wavelengths.float()[None]
    fw = None if fwhm is None else fwhm.float()[None]
    acc = torch.zeros(num_classes, 0, w_pad)
    wsum = torch.zeros(0, w_pad)
    lo = 0  # the first row not yet written
    with torch.no_grad():
        for i, y in enumerate(ys):
            img, vt = read(y, min(y + t, height))
            img = F.pad(img, (0, w_pad - img.shape[2], 0, t - img.shape[1]))
            vt = F.pad(vt, (0, w_pad - vt.shape[1], 0, t - vt.shape[0]))
            grow = y + t - lo - acc.shape[1]
            if grow > 0:
                acc = torch.cat([acc, torch.zeros(num_classes, grow, w_pad)], dim=1)
                wsum = torch.cat([wsum, torch.zeros(grow, w_pad)])
            for j in range(0, len(xs), batch_size):
                chunk = xs[j:j + batch_size]
                prob = _predict(model, torch.stack([img[:, :, x:x + t] for x in chunk]),
                                torch.stack([vt[:, x:x + t] for x in chunk]), t, size, dev,
                                None if wl is None else wl.expand(len(chunk), -1),
                                None if fw is None else fw.expand(len(chunk), -1))
                for x, pr in zip(chunk, prob, strict=True):
                    acc[:, y - lo:y - lo + t, x:x + t] += pr * win
                    wsum[y - lo:y - lo + t, x:x + t] += win
            done = min(ys[i + 1] if i + 1 < len(ys) else height, height) - lo
            write(lo, (acc[:, :done] / wsum[:done].clamp(min=1e-6)).argmax(0)[:, :width].numpy())
            acc, wsum, lo = acc[:, done:], wsum[done:], lo + done


def _predict(model: torch.nn.Module, tiles: torch.Tensor, vts: torch.Tensor, t: int, size: int,
             dev: torch.device, wl: torch.Tensor | None,
             fw: torch.Tensor | None = None) -> torch.Tensor:
    """Class probabilities ``(B, K, t, t)`` of a batch of windows (resized to ``size`` and back)."""
    if size != t:
        tiles = F.interpolate(tiles, size=(size, size), mode="bilinear", align_corners=False)
        vts = F.interpolate(vts[:, None].float(), size=(size, size), mode="nearest")[:, 0] > 0.5
    logits = model(tiles.to(dev), vts.to(dev), None if wl is None else wl.to(dev),
                   None if fw is None else fw.to(dev)).float().cpu()
    if size != t:
        logits = F.interpolate(logits, size=(t, t), mode="bilinear", align_corners=False)
    return logits.softmax(1)

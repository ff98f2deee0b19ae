"""A fixed spectral adapter as the data floor applies it: the one place that does.

A fixed adapter (``select``, ``srf``: no trainable parameter) runs before the model - in the data
module's pipeline, when the adapted-band cache is built, when the band statistics are computed,
and when ``hsiadapt predict`` prepares a scene. All of them call :class:`FixedAdapter`, so the
model sees the same numbers from each: the adapter in eval mode, on float32, without gradients,
and the sample's spectral metadata (``wavelength``, ``fwhm``) set to the adapter's target bands.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from hsiadapt.adapters import SpectralAdapter, build_adapter
from hsiadapt.spectral import BandSet

__all__ = ["FixedAdapter"]


class FixedAdapter:
    """A fixed adapter, applied to images, samples and batches of samples.

    Args:
        adapter: a spectral adapter without trainable parameters.
        name: its registry name (for messages).

    Raises:
        ValueError: the adapter has trainable parameters (it belongs in the model).
    """

    def __init__(self, adapter: SpectralAdapter, name: str | None = None) -> None:
        if any(p.requires_grad for p in adapter.parameters()):
            what = repr(name) if name else type(adapter).__name__
            raise ValueError(f"only fixed adapters run in the data pipeline (and its cache); "
                             f"adapter {what} is trainable: put it in the model and pass "
                             "adapter=None to the data")
        self.module = adapter.eval()

    @classmethod
    def of(cls, adapter: SpectralAdapter | FixedAdapter) -> FixedAdapter:
        """``adapter`` as applied here (itself when it is one already)."""
        return adapter if isinstance(adapter, FixedAdapter) else cls(adapter)

    @classmethod
    def build(cls, name: str, bands: BandSet, target: str = "sentinel2_l2a",
              **args: Any) -> FixedAdapter:
        """The registered adapter ``name`` from ``bands`` to the sensor ``target``."""
        return cls(build_adapter(name, bands, target, **args), name)

    @property
    def target(self) -> BandSet:
        """The bands it delivers."""
        return self.module.target

    def linear_matrix(self) -> np.ndarray | None:
        """The adapter's ``(source, target)`` matrix, or ``None`` when it is not linear."""
        return self.module.linear_matrix()

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """``(C, H, W)`` or ``(N, C, H, W)`` images -> the same with the target bands."""
        with torch.no_grad():
            x = images.float()
            return self.module(x[None])[0] if x.ndim == 3 else self.module(x)

    def metadata(self) -> dict[str, torch.Tensor]:
        """The target bands' centres and FWHM (nm, float32): a sample's spectral metadata."""
        return {"wavelength": torch.as_tensor(self.target.centers, dtype=torch.float32),
                "fwhm": torch.as_tensor(self.target.fwhm, dtype=torch.float32)}

    def sample(self, s: dict[str, Any]) -> dict[str, Any]:
        """One sample, adapted (a new dict; the other entries shared)."""
        return {**s, "image": self(s["image"]).clone(), **self.metadata()}

    def samples(self, samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Several samples, adapted as one batch when their images share a shape."""
        images = [s["image"] for s in samples]
        if len({tuple(i.shape) for i in images}) == 1:
            out = list(self(torch.stack(images)))
        else:
            out = [self(i) for i in images]
        return [{**s, "image": y.clone(), **self.metadata()}
                for s, y in zip(samples, out, strict=True)]

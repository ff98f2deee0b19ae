"""A new *learned* adapter, as a user would add one: one file, declared trainable."""

import torch
from torch import nn

from hsiadapt.adapters.base import SpectralAdapter
from hsiadapt.spectral import nearest_bands


class GainAdapter(SpectralAdapter):
    """The nearest source band of each target band, times a learned per-band gain."""

    trainable = True

    def __init__(self, source, target="sentinel2_l2a"):
        super().__init__(source, target)
        self.register_buffer("index", torch.as_tensor(nearest_bands(self.source, self.target, coverage="nearest")))
        self.gain = nn.Parameter(torch.ones(len(self.target)))

    def project(self, x):
        return x[:, self.index] * self.gain[None, :, None, None]

"""A new *fixed* adapter, as a user would add one: one file, declared not trainable."""

import numpy as np
import torch

from hsiadapt.adapters.base import SpectralAdapter
from hsiadapt.spectral import nearest_bands


class SmoothAdapter(SpectralAdapter):
    """Each target band = the mean of the three source bands nearest its centre."""

    trainable = False

    def __init__(self, source, target="sentinel2_l2a"):
        super().__init__(source, target)
        idx = nearest_bands(self.source, self.target, coverage="nearest")
        w = np.zeros((len(self.source), len(self.target)), np.float32)
        for k, i in enumerate(idx):
            lo, hi = max(0, i - 1), min(len(self.source), i + 2)
            w[lo:hi, k] = 1.0 / (hi - lo)
        self.register_buffer("weight", torch.from_numpy(w))

    def project(self, x):
        b, c, h, wd = x.shape
        return (self.weight.T.to(x.dtype) @ x.reshape(b, c, h * wd)).reshape(b, -1, h, wd)

"""The coefficient functions of the spectral tokenizer's learned offset
(:mod:`hsiadapt.models.tokenizer`): what turns a band's centre and FWHM into ``rank``
coefficients - Fourier features for an MLP, or a table of spectral filters over wavelength read
through the band's response."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["LAMBDA_NM", "SpectrumTable", "fourier"]

#: wavelength range (nm) mapped to [0, 1] for the Fourier features of the band centre, and the
#: range the spectrum table covers
LAMBDA_NM = (350.0, 2550.0)


def fourier(centers: torch.Tensor, fwhm: torch.Tensor, n: int, n_fwhm: int) -> torch.Tensor:
    """``(C, 2 + 2 n + 2 n_fwhm)`` features: scaled centre and log-FWHM, and their sines and
    cosines at ``n`` (centre) and ``n_fwhm`` (FWHM) octave-spaced frequencies. The FWHM gets few:
    at high frequencies a sensor whose bands are 8.5 nm wide instead of 10 nm would get
    unrelated features (and an unrelated offset)."""
    t = (centers - LAMBDA_NM[0]) / (LAMBDA_NM[1] - LAMBDA_NM[0])
    u = torch.log2(fwhm.clamp_min(0.5)) / 8.0
    parts = [t[:, None], u[:, None]]
    for v, k in ((t, n), (u, n_fwhm)):
        freqs = math.pi * 2.0 ** torch.arange(k, dtype=centers.dtype, device=centers.device)
        arg = v[:, None] * freqs[None, :]
        parts += [torch.sin(arg), torch.cos(arg)]
    return torch.cat(parts, dim=1)


class SpectrumTable(nn.Module):
    """``rank`` spectral filters tabulated on a wavelength grid (zero at first); a band's
    coefficients are the filters averaged under its Gaussian response (cut at 1.5 FWHM, so a
    band's gradient reaches only the grid points it sees). With ``smooth_nm > 0`` the table is
    read through a Gaussian of that FWHM along wavelength (a fixed buffer, not in the state
    dict): the filters cannot vary faster than the coarsest sensor resolves, so 5 nm and 12 nm
    bands at one wavelength read like coefficients."""

    smoothing: torch.Tensor

    def __init__(self, n: int, rank: int, smooth_nm: float = 0.0) -> None:
        super().__init__()
        if not (math.isfinite(smooth_nm) and smooth_nm >= 0):
            raise ValueError(f"tokenizer smooth_nm {smooth_nm!r}: use a width in nm >= 0 "
                             "(0: no smoothing)")
        self.weight = nn.Parameter(torch.zeros(n, rank))
        self.smooth_nm = float(smooth_nm)
        grid = torch.linspace(*LAMBDA_NM, n, dtype=torch.float64)
        if smooth_nm > 0:
            d = (grid[:, None] - grid[None, :]) / smooth_nm
            k = torch.exp(-4.0 * math.log(2.0) * d.square())
            k = k / k.sum(1, keepdim=True)
        else:
            k = torch.eye(n, dtype=torch.float64)
        self.register_buffer("smoothing", k.float(), persistent=False)

    def table(self) -> torch.Tensor:
        """The ``(n, rank)`` filters as bands read them (smoothed when asked)."""
        if self.smooth_nm > 0:
            return self.smoothing.to(self.weight.dtype) @ self.weight
        return self.weight

    def responses(self, centers: torch.Tensor, fwhm: torch.Tensor) -> torch.Tensor:
        """``(C, n)``: each band's normalised Gaussian response over the grid (cut at 1.5
        FWHM)."""
        grid = torch.linspace(*LAMBDA_NM, self.weight.shape[0], dtype=centers.dtype,
                              device=centers.device)
        d = (grid[None, :] - centers[:, None]) / fwhm.clamp_min(1e-3)[:, None]
        resp = torch.exp(-4.0 * math.log(2.0) * d.square()) * (d.abs() <= 1.5)
        return resp / resp.sum(1, keepdim=True).clamp_min(1e-12)

    def forward(self, centers: torch.Tensor, fwhm: torch.Tensor) -> torch.Tensor:
        return self.responses(centers, fwhm) @ self.table().to(centers.dtype)

    def seen_projector(self, bands: list[tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
        """``(n, n)``: the orthogonal projector onto the table entries that the bands given as
        ``(centers, fwhm)`` pairs read (the row space of their responses, through the
        smoothing); what it removes changes no coefficient of those bands."""
        reads = torch.cat([self.responses(c.double(), f.double()) for c, f in bands])
        reads = reads @ self.smoothing.double().to(reads.device)
        # directions read at under 1e-5 of the strongest count as unseen (well-conditioned)
        return torch.linalg.pinv(reads, rtol=1e-5) @ reads

    @torch.no_grad()
    def keep_seen_(self, projector: torch.Tensor) -> None:
        """Project the table onto what ``projector`` (:meth:`seen_projector`) keeps."""
        self.weight.copy_((projector @ self.weight.double()).to(self.weight.dtype))

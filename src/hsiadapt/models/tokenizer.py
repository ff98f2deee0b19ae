"""A spectral tokenizer: a patch embedding generated from each input band's centre and FWHM.

``input_mode: tokenizer`` replaces the backbone's patch embedding (the ``nn.Linear`` a
:class:`~hsiadapt.models.backbones.base.BackboneDef` declares) by a :class:`SpectralTokenizer`
whose kernel for input band ``j`` is computed at run time from the band table::

    K[d, p, j] = sum_k W[d, p, k] * M[j, k] * q_j / s_k   +   w_j * sum_r a_r(c_j, f_j) B[r, d, p]
    bias[d]    = b[d] + sum_{p, k} W[d, p, k] * (sum_j M[j, k] r_j - m_k) / s_k

* ``W`` - the backbone's pretrained patch embedding for its ``K`` target bands (TerraMind's 12
  Sentinel-2 L2A bands; the HSI prior's 202 EnMAP bands), trained end to end;
* ``M`` - the ``srf`` (or ``select``) projection from the input bands to the target bands,
  computed from the band table by :func:`hsiadapt.spectral.build_map` whenever the bands are set
  (:meth:`SpectralTokenizer.set_bands`), never stored;
* ``r, q`` - the statistics that normalised the input bands (set with the bands), ``m, s`` - those
  the adapter run normalises the projected bands with (persistent buffers of the ``K`` target
  bands): the same fold as :func:`hsiadapt.models.model.expand_patch_embedding`, so the tokens are
  those of ``srf adapter -> normalisation -> patch embedding`` at step 0;
* the learned offset, shared by every sensor: a small MLP over Fourier features of the band
  centre ``c_j`` and FWHM ``f_j`` gives ``rank`` coefficients ``a(c_j, f_j)`` that weight shared
  basis kernels ``B``; ``w_j`` is the band's spectral width (quadrature weight: the offset is an
  integral over wavelength, so its scale does not grow with the band count). The MLP's last
  layer starts at zero: at step 0 the tokenizer *is* the projection. A constant ``gain``
  multiplies the coefficients: under Adam it is the learned part's learning-rate multiplier.

Defaults (measured on the demo's tasks, README "One tokenizer for every sensor"):
``init: select``, ``offset: spectrum`` (5 nm grid), ``rank: 64``, ``gain: 30``,
``quadrature: spacing``, ``support: seen``. With the first defaults (``srf``, MLP, rank 16, gain 1) the offset
hardly moved in 25 epochs (its last layer's weights stayed near 0.002) and the tokenizer scored
as ``srf``; the MLP at rank 64 and gain 10 reached ``full_spectrum`` on EnMAP but did not
transfer to other sensors. With ``quadrature: fwhm`` the offset's weight per nm of spectrum
is the sensor's band overlap: over 1950-2450 nm EnMAP's FWHM sum 1.00 times the range, EMIT's
and AVIRIS-NG's 1.18, PRISMA's 1.33 (over 420-1000 nm: 1.39, 1.14, 1.32), so an offset fitted
on EnMAP read 18-33 % too strong in the SWIR of the others; ``spacing`` weights sum to the
range each sensor covers, whatever the overlap.

With ``augment: p`` a training step, with probability ``p``, generates the kernels for a
simulated sensor (another band spacing, phase and width, rendered from the input bands) and folds
the rendering into them (:mod:`hsiadapt.models.tokenizer_augment`): the learned part sees many
band tables while fine-tuning on one sensor. ``smooth_nm`` and ``quadrature: spacing`` make the
offset read alike through narrow and wide, sparse and overlapping bands.

The state dict holds ``W``, ``b``, the MLP, ``B`` and ``m, s`` - nothing per input sensor, so a
tokenizer trained on EnMAP loads and runs on PRISMA, EMIT or AVIRIS-NG bands
(:func:`hsiadapt.models.tokenizer_install.retarget`).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from hsiadapt.hints import check_choice
from hsiadapt.models.tokenizer_augment import simulated_states
from hsiadapt.models.tokenizer_bands import BandState, Quadrature, band_state
from hsiadapt.models.tokenizer_offset import LAMBDA_NM, SpectrumTable, fourier
from hsiadapt.models.tokenizer_options import OffsetInput, Support, tokenizer_args
from hsiadapt.spectral import BandSet
from hsiadapt.spectral.resampling import DEFAULT_INTEGRATION, Coverage, Integration

__all__ = ["SpectralTokenizer", "tokenizer_args"]

#: how many simulated sensors ``augment`` draws from (built once per band table)
AUGMENT_POOL = 32


class SpectralTokenizer(nn.Module):
    """Drop-in for a patch embedding ``nn.Linear`` over ``(ph, pw, band)`` inputs, whose weights
    are generated from the input bands (see the module docstring).

    Args:
        weight: the pretrained patch-embedding weight ``(D, pix * (K + extra_channels))``.
        bias: its bias ``(D,)`` or ``None``.
        target: the ``K`` bands the weight was pretrained for, in its channel order.
        extra_channels: trailing non-spectral channels (the validity mask), kept as they are.
        init: projection the kernels are generated from: ``"srf"`` or ``"select"``.
        integration, coverage: for the projection (see :func:`hsiadapt.spectral.build_map`);
            target bands a sensor does not see (``coverage: drop``) get no kernel and no shift.
        rank, hidden, frequencies, fwhm_frequencies: size of the learned offset.
        gain: constant factor on the offset's coefficients (its effective learning rate).
        offset, grid_nm, smooth_nm, quadrature, offset_input, support: how a band's
            coefficients are read, what they weight, where the table may be non-zero (see
            :func:`tokenizer_args`).
        augment: probability that a training step reads the input through a simulated sensor
            (:mod:`hsiadapt.models.tokenizer_augment`).
    """

    weight: torch.Tensor
    target_mean: torch.Tensor
    target_std: torch.Tensor
    # set_bands sets the fields of a BandState as buffers (not in the state dict): state()

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None, target: BandSet, *,
                 extra_channels: int = 0, init: Literal["srf", "select"] = "select",
                 integration: Integration = DEFAULT_INTEGRATION, coverage: Coverage = "error",
                 rank: int = 64, hidden: int = 128, frequencies: int = 8,
                 fwhm_frequencies: int = 2, gain: float = 30.0,
                 offset: Literal["mlp", "spectrum"] = "spectrum", grid_nm: float = 5.0,
                 smooth_nm: float = 0.0, quadrature: Quadrature = "spacing",
                 offset_input: OffsetInput = "normalised", support: Support = "seen",
                 augment: float = 0.0) -> None:
        super().__init__()
        check_choice("tokenizer init", init, Literal["srf", "select"], "adapter args key 'init'")
        k, e = len(target), extra_channels
        d, fan_in = weight.shape
        if fan_in % (k + e):
            raise ValueError(f"patch embedding has {fan_in} inputs, not a multiple of the "
                             f"{k} target bands + {e} extra channels")
        self.pix = fan_in // (k + e)
        self.dim = d
        self.target = target
        self.init, self.integration, self.coverage = init, integration, coverage
        self.frequencies, self.fwhm_frequencies = frequencies, fwhm_frequencies
        if not (math.isfinite(gain) and gain > 0):
            raise ValueError(f"tokenizer gain {gain!r}: use a positive number (1.0: none)")
        self.gain = float(gain)
        check_choice("tokenizer quadrature", quadrature, Quadrature, "adapter args key 'quadrature'")
        self.quadrature_rule: Quadrature = quadrature
        check_choice("tokenizer offset_input", offset_input, OffsetInput,
                     "adapter args key 'offset_input'")
        self.offset_input: OffsetInput = offset_input
        check_choice("tokenizer support", support, Support, "adapter args key 'support'")
        self.support: Support = support
        self._seen: torch.Tensor | None = None
        if not (math.isfinite(augment) and 0.0 <= augment <= 1.0):
            raise ValueError(f"tokenizer augment {augment!r}: use a probability in [0, 1] "
                             "(0: no simulated sensors)")
        self.augment = float(augment)
        self._pool: list[tuple[BandState, torch.Tensor]] | None = None
        w = weight.detach().reshape(d, self.pix, k + e)
        self.weight = nn.Parameter(w[..., :k].clone())
        self.extra = nn.Parameter(w[..., k:].clone()) if e else None
        self.bias = nn.Parameter(bias.detach().clone()) if bias is not None else None
        if offset not in ("mlp", "spectrum"):
            raise ValueError(f"tokenizer offset {offset!r}: use 'mlp' or 'spectrum'")
        if smooth_nm and offset != "spectrum":
            raise ValueError(f"tokenizer smooth_nm {smooth_nm!r} smooths the spectrum table: "
                             "it needs offset: spectrum (or drop smooth_nm)")
        self.mlp: nn.Module
        if offset == "spectrum":
            self.mlp = SpectrumTable(round((LAMBDA_NM[1] - LAMBDA_NM[0]) / grid_nm) + 1,
                                     rank, smooth_nm)
        else:
            self.mlp = nn.Sequential(
                nn.Linear(2 + 2 * (frequencies + fwhm_frequencies), hidden), nn.GELU(),
                nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, rank))
            last = self.mlp[-1]
            assert isinstance(last, nn.Linear)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        scale = float(self.weight.detach().std()) or 1.0
        self.basis = nn.Parameter(torch.randn(rank, d, self.pix) * scale)
        self.register_buffer("target_mean", torch.zeros(k))
        self.register_buffer("target_std", torch.ones(k))
        self.source: BandSet | None = None
        for name in ("projection", "present", "centers", "fwhm", "quadrature", "source_mean",
                     "source_std"):
            self.register_buffer(name, torch.zeros(0), persistent=False)

    @property
    def in_features(self) -> int:
        n = 0 if self.source is None else len(self.source)
        return self.pix * (n + (0 if self.extra is None else self.extra.shape[-1]))

    @property
    def out_features(self) -> int:
        return self.dim

    def set_bands(self, bands: BandSet, source_mean: np.ndarray | None = None,
                  source_std: np.ndarray | None = None) -> None:
        """Generate the kernels for input ``bands`` from now on; ``source_mean``/``source_std``:
        the statistics the input bands were normalised with (``None``: not normalised). Zero
        std counts as 1 (as :class:`hsiadapt.data.transforms.Normalize` does)."""
        st = self._state_for(bands, source_mean, source_std)
        for name in BandState.__dataclass_fields__:
            setattr(self, name, getattr(st, name))
        self.source = bands
        self._pool = None
        self._seen = None

    def _state_for(self, bands: BandSet, source_mean: np.ndarray | None,
                   source_std: np.ndarray | None) -> BandState:
        return band_state(bands, self.target, init=self.init, integration=self.integration,
                          coverage=self.coverage, quadrature=self.quadrature_rule,
                          source_mean=source_mean, source_std=source_std,
                          device=self.weight.device)

    def state(self) -> BandState:
        """The current bands' :class:`BandState` (on the module's device)."""
        if self.source is None:
            raise RuntimeError("the tokenizer has no input bands: call set_bands(bands) first")
        return BandState(**{n: getattr(self, n) for n in BandState.__dataclass_fields__})

    def set_target_statistics(self, mean: np.ndarray, std: np.ndarray) -> None:
        """The statistics the adapter run normalises the projected bands with: one value per
        target band the current bands cover (``coverage: drop`` leaves some out), in order."""
        present = self.state().present.cpu().numpy().astype(bool)
        if np.shape(mean) != (int(present.sum()),) or np.shape(std) != np.shape(mean):
            raise ValueError(f"target statistics have {np.shape(mean)} / {np.shape(std)} values "
                             f"for {int(present.sum())} covered target bands")
        tm = torch.zeros_like(self.target_mean)
        ts = torch.ones_like(self.target_std)
        idx = torch.as_tensor(np.flatnonzero(present), device=tm.device)
        tm[idx] = torch.as_tensor(np.asarray(mean), dtype=tm.dtype, device=tm.device)
        std = np.where(np.asarray(std) > 0, std, 1.0)
        ts[idx] = torch.as_tensor(std, dtype=ts.dtype, device=ts.device)
        self.target_mean.copy_(tm)
        self.target_std.copy_(ts)

    def offset(self, st: BandState | None = None) -> torch.Tensor:
        """The learned per-band kernel offset ``(D, pix, C)`` for ``st`` (default: the current
        bands; zero at step 0)."""
        st = self.state() if st is None else st
        dt = self.basis.dtype
        c, f = st.centers.to(dt), st.fwhm.to(dt)
        if isinstance(self.mlp, SpectrumTable):
            raw = self.mlp(c, f)
        else:
            raw = self.mlp(fourier(c, f, self.frequencies, self.fwhm_frequencies))
        scale = self.gain * st.quadrature
        if self.offset_input == "reflectance":  # undo the band's own normalisation
            scale = scale * st.source_std / self.target_std.double().mean()
        coef = raw * scale.to(dt)[:, None]  # (C, rank)
        return torch.einsum("jr,rdp->dpj", coef, self.basis)

    def kernel(self, st: BandState | None = None, mix: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The generated ``(D, pix * (C + extra))`` weight and ``(D,)`` bias for ``st``
        (default: the current bands). ``mix`` ``(C_st, C)``: a map from the current bands'
        normalised input to ``st``'s (a simulated sensor, :func:`simulated_states`), folded
        into the weight so it reads the current bands."""
        st = self.state() if st is None else st
        dt = self.weight.dtype
        s = self.target_std.double()
        mat = st.projection * st.source_std[:, None] / s[None, :]
        shift = (st.projection.T @ st.source_mean - self.target_mean.double()) / s
        shift = shift * st.present
        w = torch.einsum("dpk,jk->dpj", self.weight, mat.to(dt)) + self.offset(st).to(dt)
        if mix is not None:
            w = torch.einsum("dpi,ij->dpj", w, mix.to(dt))
        if self.extra is not None:
            w = torch.cat([w, self.extra], dim=-1)
        add = torch.einsum("dpk,k->d", self.weight, shift.to(dt))
        bias = add if self.bias is None else self.bias + add
        return w.reshape(self.dim, -1), bias

    def _pool_states(self) -> list[tuple[BandState, torch.Tensor]]:
        """The pool of :data:`AUGMENT_POOL` simulated sensors over the current bands (built the
        first time, the same for the same bands)."""
        dev = self.weight.device
        if self._pool is None or self._pool[0][1].device != dev:
            assert self.source is not None
            st = self.state()
            self._pool = simulated_states(
                self.source, st.source_mean.cpu().numpy(), st.source_std.cpu().numpy(),
                self._state_for, AUGMENT_POOL)
        return self._pool

    def _simulated(self) -> tuple[BandState, torch.Tensor]:
        """One simulated sensor of the pool, drawn at random."""
        pool = self._pool_states()
        return pool[int(torch.randint(len(pool), ()))]

    def after_step(self) -> None:
        """Called after each optimizer step: with ``support: seen``, project the spectrum table
        onto what the training bands (and the simulated sensors ``augment`` reads) see, so the
        part no training band reads - where Adam's per-entry steps leave filters that another
        sensor's bands would read - stays zero."""
        if self.support != "seen" or not isinstance(self.mlp, SpectrumTable):
            return
        if self._seen is None:
            states = [self.state()] + ([p[0] for p in self._pool_states()] if self.augment
                                        else [])
            self._seen = self.mlp.seen_projector(
                [(st.centers[st.quadrature > 0], st.fwhm[st.quadrature > 0]) for st in states])
        self.mlp.keep_seen_(self._seen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.augment > 0 and bool(torch.rand(()) < self.augment):
            w, b = self.kernel(*self._simulated())
        else:
            w, b = self.kernel()
        if x.shape[-1] != w.shape[1]:
            n = 0 if self.source is None else len(self.source)
            raise ValueError(f"the tokenizer is set for {n} bands ({w.shape[1]} inputs per patch) "
                             f"but got {x.shape[-1]}; call retarget(model, bands) for new bands")
        return F.linear(x, w.to(x.dtype), None if b is None else b.to(x.dtype))

    def extra_repr(self) -> str:
        src = "no bands" if self.source is None else f"{self.source.name} ({len(self.source)})"
        return (f"{src} -> {self.target.name} ({len(self.target)}) via {self.init}, "
                f"rank {self.basis.shape[0]}, dim {self.dim}")

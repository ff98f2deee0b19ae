"""The tokenizer's options for reading other sensors alike: spacing quadrature, the smoothed
spectrum table and band-table augmentation with simulated sensors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hsiadapt.models.tokenizer import SpectralTokenizer
from hsiadapt.models.tokenizer_augment import (
    SPACING_NM,
    simulated_sensors,
    simulated_states,
)
from hsiadapt.models.tokenizer_bands import WIDTH_UNIT_NM, quadrature_weights
from hsiadapt.spectral import BandSet, get_sensor


def _tok(**kw) -> SpectralTokenizer:
    torch.manual_seed(0)
    return SpectralTokenizer(torch.randn(8, 4 * 12) * 0.02, None, get_sensor("sentinel2_l2a"),
                             **kw)


def _covered_nm(bands: BandSet) -> float:
    """The wavelength range the valid bands' FWHM intervals cover (union, nm)."""
    v = np.asarray(bands.valid, bool)
    c, f = bands.centers[v], bands.effective_fwhm()[v]
    iv = sorted(zip(c - f / 2, c + f / 2, strict=True))
    total, (lo, hi) = 0.0, iv[0]
    for a, b in iv[1:]:
        if a > hi:
            total, lo, hi = total + hi - lo, a, b
        else:
            hi = max(hi, b)
    return total + hi - lo


def test_spacing_quadrature_is_half_the_neighbour_distance_capped_at_the_fwhm():
    # 10 nm apart, 12 nm wide; a 100 nm gap after the third band; the fifth band is bad
    bands = BandSet.from_wavelengths([500, 510, 520, 620, 630, 640], 12.0,
                                     valid=[True, True, True, True, False, True])
    w = quadrature_weights(bands, "spacing") * WIDTH_UNIT_NM
    # edges count their missing side as their FWHM; the gap counts at most the FWHM; the bad
    # band weighs nothing and its neighbours span the distance it leaves
    np.testing.assert_allclose(w, [11.0, 10.0, 11.0, 12.0, 0.0, 12.0])
    np.testing.assert_allclose(quadrature_weights(bands, "fwhm") * WIDTH_UNIT_NM,
                               [12, 12, 12, 12, 0, 12])
    with pytest.raises(ValueError, match="quadrature 'trapz'"):
        quadrature_weights(bands, "trapz")  # type: ignore[arg-type]


def test_spacing_quadrature_measures_prismas_range_where_fwhm_overcounts_it():
    prisma = get_sensor("prisma")
    covered = _covered_nm(prisma)
    fwhm_sum = quadrature_weights(prisma, "fwhm").sum() * WIDTH_UNIT_NM
    spacing_sum = quadrature_weights(prisma, "spacing").sum() * WIDTH_UNIT_NM
    assert fwhm_sum > 1.2 * covered  # overlapping bands: the FWHM sum over-counts
    assert abs(spacing_sum - covered) < 0.05 * covered


def test_simulated_sensors_are_seeded_and_stay_where_the_training_bands_see():
    enmap = get_sensor("enmap_spectralearth")
    a, b = simulated_sensors(enmap, 6, seed=3), simulated_sensors(enmap, 6, seed=3)
    assert [s.bands.centers.tolist() for s in a] == [s.bands.centers.tolist() for s in b]
    assert len({len(s.bands) for s in a}) > 1  # different spacings
    v = np.asarray(enmap.valid, bool)
    c, f = enmap.centers[v], enmap.effective_fwhm()[v]
    for s in a:
        gaps = np.diff(np.sort(s.bands.centers))
        assert SPACING_NM[0] * 0.8 < np.median(gaps) < SPACING_NM[1] * 1.2
        near = np.abs(s.bands.centers[:, None] - c[None, :]).argmin(1)
        assert (np.abs(s.bands.centers - c[near]) <= f[near]).all()  # never in a gap
        assert not ((s.bands.centers > 1400) & (s.bands.centers < 1410)).any()  # water band
        np.testing.assert_allclose(s.render.sum(1), 1.0)
        assert not s.render[:, ~v].any()  # bad bands render nothing


@pytest.mark.parametrize("init", ["select", "srf"])
def test_the_augmented_kernel_is_the_rendered_sensor_tokenized(init):
    enmap = get_sensor("enmap_spectralearth")
    rng = np.random.default_rng(0)
    mean, std = rng.uniform(500, 3000, len(enmap)), rng.uniform(50, 900, len(enmap))
    tok = _tok(init=init)
    torch.nn.init.normal_(tok.mlp.weight, std=0.3)  # a trained-looking offset
    tok.set_bands(enmap, mean, std)
    tok.set_target_statistics(rng.uniform(500, 3000, 12), rng.uniform(100, 900, 12))
    (st, mix), = simulated_states(enmap, mean, std, tok._state_for, 1, seed=5)
    sim = simulated_sensors(enmap, 1, seed=5)[0]  # the same draw
    raw = torch.as_tensor(rng.uniform(0, 5000, (3, 4, len(enmap))))  # (batch, pixel, band)
    x = (raw - torch.as_tensor(mean)) / torch.as_tensor(std)
    w, b = tok.kernel(st, mix)
    augmented = x.reshape(3, -1) @ w.double().T + b.double()
    # the same cube rendered for the simulated sensor, normalised with the rendered statistics,
    # read by the tokenizer set for the simulated band table
    m2, s2 = sim.statistics(mean, std)
    tok.set_bands(sim.bands, m2, s2)
    x2 = (raw @ torch.as_tensor(sim.render).T - torch.as_tensor(m2)) / torch.as_tensor(s2)
    w2, b2 = tok.kernel()
    rendered = x2.reshape(3, -1) @ w2.double().T + b2.double()
    assert rendered.abs().mean() > 0.1
    torch.testing.assert_close(augmented, rendered, rtol=1e-4, atol=1e-4)


def test_augment_draws_only_in_training_and_never_when_off():
    enmap = get_sensor("enmap_spectralearth")
    x = torch.randn(5, 4 * len(enmap), generator=torch.Generator().manual_seed(1))
    plain = _tok()
    plain.set_bands(enmap)
    torch.nn.init.normal_(plain.mlp.weight, std=0.3)
    ref = plain.eval()(x)
    for train in (False, True):
        torch.manual_seed(0)
        plain.train(train)
        torch.testing.assert_close(plain(x), ref)
        assert torch.rand(()) == torch.rand((), generator=torch.Generator().manual_seed(0))
    aug = _tok(augment=1.0)
    aug.load_state_dict(plain.state_dict())
    aug.set_bands(enmap)
    torch.testing.assert_close(aug.eval()(x), ref)  # evaluation reads the real bands
    aug.train()
    outs = [aug(x) for _ in range(4)]
    assert all((o - ref).abs().max() > 1e-3 for o in outs)  # every step simulates a sensor
    assert len({round(float(o.detach().sum()), 4) for o in outs}) > 1  # different ones
    assert aug._pool is not None and len(aug._pool) == 32
    aug.set_bands(get_sensor("prisma"))
    assert aug._pool is None  # new bands, new simulated sensors


def test_smoothed_table_reads_alike_through_narrow_and_wide_bands():
    centers = np.arange(450.0, 2400.0, 12.0)
    rng = torch.Generator().manual_seed(2)
    gaps = {}
    for smooth in (0.0, 20.0):
        tok = _tok(smooth_nm=smooth)
        with torch.no_grad():
            tok.mlp.weight.copy_(torch.randn(tok.mlp.weight.shape, generator=rng))
        per = []
        for fwhm in (5.0, 12.0):
            tok.set_bands(BandSet.from_wavelengths(centers, fwhm))
            per.append(tok.mlp(tok.centers.float(), tok.fwhm.float()).detach())
        gaps[smooth] = float((per[0] - per[1]).norm() / per[0].norm())
    assert gaps[20.0] < 0.3 * gaps[0.0]
    # the smoothing is fixed: the state dict is the same as without it
    assert set(_tok(smooth_nm=20.0).state_dict()) == set(_tok().state_dict())


@pytest.mark.parametrize(("kw", "message"), [
    ({"augment": 1.5}, "augment 1.5: use a probability"),
    ({"smooth_nm": -1.0}, "smooth_nm -1.0"),
    ({"smooth_nm": 10.0, "offset": "mlp"}, "needs offset: spectrum"),
    ({"quadrature": "trapz"}, "quadrature 'trapz' is not one of"),
])
def test_bad_options_name_their_key(kw, message):
    with pytest.raises(ValueError, match=message):
        _tok(**kw)

"""Contract tests over every registered adapter, plus real-data and numeric checks."""

import io

import numpy as np
import pytest
import torch

from hsiadapt.adapters import ADAPTERS, SRFAdapter, build_adapter
from hsiadapt.spectral import SpectralError, get_sensor, srf_matrix
from hsiadapt.spectral.io import read_geotiff_bands

SOURCE = "enmap_spectralearth"


def test_registry_names_are_pinned():
    assert ADAPTERS.names() == ["linear", "select", "spectral_conv", "srf"]


def test_duplicate_registration_raises():
    with pytest.raises(ValueError, match="already registered"):
        ADAPTERS.register("srf")(SRFAdapter)


@pytest.mark.parametrize("name", ADAPTERS.names())
def test_contract(name):
    torch.manual_seed(0)
    a = build_adapter(name, SOURCE)
    x = torch.rand(2, 202, 8, 8)
    y = a(x)
    assert y.shape == (2, 12, 8, 8)
    assert torch.isfinite(y).all()
    assert a.target.names == get_sensor("sentinel2_l2a").names
    # state-dict round trip into a freshly built adapter
    buf = io.BytesIO()
    torch.save(a.state_dict(), buf)
    buf.seek(0)
    b = build_adapter(name, SOURCE)
    if a.trainable:
        with torch.no_grad():
            for p in a.parameters():
                p.add_(0.01)
        buf = io.BytesIO()
        torch.save(a.state_dict(), buf)
        buf.seek(0)
    b.load_state_dict(torch.load(buf, weights_only=True))
    torch.testing.assert_close(b(x), a(x))
    # gradients: to the parameters when trainable, always to the input
    xg = x.clone().requires_grad_(True)
    a(xg).square().mean().backward()
    assert xg.grad is not None and torch.isfinite(xg.grad).all()
    params = list(a.parameters())
    if a.trainable:
        assert params and all(p.grad is not None and p.grad.abs().sum() > 0 for p in params)
    else:
        assert not params


@pytest.mark.parametrize("name", ADAPTERS.names())
def test_wrong_band_count_is_a_clear_error(name):
    a = build_adapter(name, SOURCE)
    with pytest.raises(SpectralError, match="built for 202 bands.*input has 224"):
        a(torch.rand(1, 224, 4, 4))
    with pytest.raises(ValueError, match="batch, bands, height, width"):
        a(torch.rand(202, 4, 4))


@pytest.mark.parametrize("name", ADAPTERS.names())
def test_state_dict_for_other_bands_is_refused(name):
    a = build_adapter(name, "hyperview", coverage="drop")
    b = build_adapter(name, "hyperview", coverage="zero")
    with pytest.raises(SpectralError, match="same source and target"):
        b.load_state_dict(a.state_dict())


def test_srf_fast_path_equals_dense_product():
    x = torch.rand(3, 202, 16, 16, dtype=torch.float64)
    w = torch.as_tensor(srf_matrix(get_sensor(SOURCE), get_sensor("sentinel2_l2a")))
    ref = torch.einsum("bchw,ck->bkhw", x, w)
    for dense in (False, True):
        a = SRFAdapter(SOURCE, dense=dense)
        torch.testing.assert_close(a(x), ref, rtol=1e-5, atol=1e-6)


def test_select_adapter_picks_bands():
    a = build_adapter("select", SOURCE, preset="paper")
    x = torch.arange(202.0).reshape(1, 202, 1, 1).expand(1, 202, 2, 2).contiguous()
    assert a(x)[0, :, 0, 0].tolist() == [i - 1 for i in
                                        (6, 16, 30, 48, 54, 59, 65, 71, 75, 90, 131, 172)]


def test_linear_starts_as_its_initialisation():
    x = torch.rand(2, 150, 4, 4)
    for init in ("srf", "select"):
        lin = build_adapter("linear", "hyperview", init=init, coverage="drop")
        fixed = build_adapter(init, "hyperview", coverage="drop")
        torch.testing.assert_close(lin(x), fixed(x))
        assert lin.out_channels == 9


def test_coverage_drop_gives_model_the_remaining_band_names():
    a = build_adapter("srf", "hyperview", coverage="drop")
    assert a.target.names == ["BLUE", "GREEN", "RED", "RED_EDGE_1", "RED_EDGE_2", "RED_EDGE_3",
                              "NIR_BROAD", "NIR_NARROW", "WATER_VAPOR"]
    with pytest.raises(SpectralError, match="does not cover"):
        build_adapter("srf", "hyperview")


def test_real_potsdam_tile(realdata):
    """Wavelengths read from the file itself; nodata and bad bands never reach the output."""
    import rasterio

    tif = realdata / "enmap_potsdam_tiles/images/enmap_potsdam_tile_96_96.tif"
    bands = read_geotiff_bands(tif)
    with rasterio.open(tif) as src:
        raw = src.read().astype(np.float32)
        nodata, scale = src.nodata, src.scales[0]
    invalid = raw == nodata
    assert invalid[~bands.valid].all()  # bad bands 130-135 are all nodata
    reflectance = np.where(invalid, 0.0, raw * scale).astype(np.float32)
    for name in ("select", "srf"):
        a = build_adapter(name, bands, "sentinel2_l2a")
        assert a.weight[~torch.as_tensor(bands.valid)].abs().sum() == 0
        y = a(torch.from_numpy(reflectance)[None])
        assert y.shape == (1, 12, 32, 32) and torch.isfinite(y).all()
        # against a float64 reference on the fully valid pixels
        ok = ~invalid[bands.valid].any(axis=0)
        ref = np.einsum("chw,ck->khw", reflectance.astype(np.float64), a.map.matrix)
        np.testing.assert_allclose(y[0].numpy()[:, ok], ref[:, ok], rtol=1e-4, atol=1e-6)
        # vegetation check on real data: NIR above red on average
        assert y[0, 8].mean() > y[0, 3].mean()

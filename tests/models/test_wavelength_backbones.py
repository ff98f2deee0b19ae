"""DOFA, Copernicus-FM and Panopticon (torchgeo) as backbones that read the band table natively:
random init with small settings (no network), weights from torch's hub cache or a local file,
a clear error when the published weights are not there."""

import pytest
import torch

from hsiadapt.models.backbones import WeightsNotFoundError, build_backbone
from hsiadapt.models.backbones._torchgeo import fill_fwhm, hub_file
from hsiadapt.models.model import build_model
from hsiadapt.spectral import get_sensor

#: name -> (small architecture, input side, the file torchgeo would download)
SMALL = {
    "dofa_base": ({"depth": 1}, 32, "dofa_base_patch16_224-a0275954.pth"),
    "copernicusfm_base": ({"depth": 1}, 32, "CopernicusFM_ViT_base_varlang-085350e4.pth"),
    "panopticon_vitb14": ({"depth": 1, "attn_dim": 64, "img_size": 28}, 28,
                          "panopticon_vitb14_teacher.pth"),
}


def _inner_state(name, bb):
    inner = bb.module.inner
    return (inner.model if name == "panopticon_vitb14" else inner).state_dict()


def _tokens(bb, x, wl, fwhm=None):
    with torch.no_grad():
        return bb.features(x, wl, fwhm)[-1]


@pytest.mark.parametrize("name", list(SMALL))
def test_reads_the_band_table_of_any_sensor(name):
    kw, side, _ = SMALL[name]
    torch.manual_seed(0)
    bb = build_backbone(name, pretrained=False, **kw)
    assert bb.pretrained == "random" and bb.wavelength_conditioned
    n = (side // bb.patch_size) ** 2
    for c in (5, 9):  # one set of weights, any band count
        x = torch.rand(2, c, side, side)
        wl = torch.linspace(450, 2200, c)
        assert _tokens(bb, x, wl).shape == (2, n, bb.dim)
    # the tokens depend on the wavelengths it is told (the same pixels, other bands)
    x = torch.rand(2, 5, side, side)
    a = _tokens(bb, x, torch.tensor([450.0, 550, 650, 850, 1600]))
    b = _tokens(bb, x, torch.tensor([500.0, 700, 900, 1200, 2200]))
    assert not torch.allclose(a, b, atol=1e-4)
    # a batch of identical rows (what a data loader gives) equals the (C,) vector
    wl = torch.tensor([450.0, 550, 650, 850, 1600])
    torch.testing.assert_close(_tokens(bb, x, wl.expand(2, -1)), _tokens(bb, x, wl))
    with pytest.raises(ValueError, match="input bands but wavelengths"):
        _tokens(bb, x, wl[:4])


def test_copernicusfm_reads_fwhm_and_fills_unknown_from_spacing():
    torch.manual_seed(0)
    bb = build_backbone("copernicusfm_base", pretrained=False, depth=1)
    x = torch.rand(1, 4, 32, 32)
    wl = torch.tensor([490.0, 560, 665, 842])
    narrow = _tokens(bb, x, wl, torch.tensor([10.0, 10, 10, 10]))
    wide = _tokens(bb, x, wl, torch.tensor([65.0, 35, 30, 115]))
    assert not torch.allclose(narrow, wide, atol=1e-4)
    # unknown FWHM (None or NaN) = the local band spacing, as BandSet.effective_fwhm
    spacing = torch.tensor([70.0, 87.5, 141.0, 177.0])
    torch.testing.assert_close(fill_fwhm(wl, None), spacing)
    torch.testing.assert_close(_tokens(bb, x, wl, torch.full((4,), float("nan"))),
                               _tokens(bb, x, wl, spacing))
    enmap = get_sensor("enmap_spectralearth")
    c, f = torch.tensor(enmap.centers), torch.tensor(enmap.fwhm)
    torch.testing.assert_close(fill_fwhm(c, f), torch.tensor(enmap.effective_fwhm()))


@pytest.mark.parametrize("name", list(SMALL))
def test_weights_from_file_and_from_the_hub_cache(name, tmp_path, monkeypatch):
    kw, side, filename = SMALL[name]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    torch.manual_seed(0)
    a = build_backbone(name, pretrained=False, **kw)
    path = tmp_path / "w.pth"
    torch.save(_inner_state(name, a), path)
    torch.manual_seed(1)
    b = build_backbone(name, ckpt_path=path, **kw)
    assert b.pretrained == f"ckpt:{path}"
    x, wl = torch.rand(1, 3, side, side), torch.tensor([480.0, 860, 1650])
    torch.testing.assert_close(_tokens(b, x, wl), _tokens(a, x, wl))
    # the published weights where torchgeo's download puts them: no network needed
    cached = hub_file(f"https://example.org/x/{filename}")
    assert cached == tmp_path / "torch" / "hub" / "checkpoints" / filename
    cached.parent.mkdir(parents=True)
    path.rename(cached)
    c = build_backbone(name, pretrained=True, **kw)
    assert c.pretrained == "torchgeo"
    torch.testing.assert_close(_tokens(c, x, wl), _tokens(a, x, wl))


@pytest.mark.parametrize("name", list(SMALL))
def test_pretrained_not_in_cache_is_a_clear_error(name, tmp_path, monkeypatch):
    kw, _, filename = SMALL[name]
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(WeightsNotFoundError) as err:
        build_backbone(name, pretrained=True, **kw)
    msg = str(err.value)
    assert filename in msg and "ckpt_path" in msg and "pretrained: false" in msg
    assert str(tmp_path / "torch" / "hub" / "checkpoints") in msg


def test_a_checkpoint_that_does_not_fit_is_an_error(tmp_path):
    torch.save({"not_a_dofa_key": torch.zeros(1)}, tmp_path / "w.pth")
    with pytest.raises(ValueError, match="does not fit"):
        build_backbone("dofa_base", ckpt_path=tmp_path / "w.pth", depth=1)


def test_panopticon_refuses_another_input_size():
    bb = build_backbone("panopticon_vitb14", pretrained=False, **SMALL["panopticon_vitb14"][0])
    with pytest.raises(ValueError, match="img_size"):
        bb.features(torch.rand(1, 3, 42, 42), torch.tensor([480.0, 860, 1650]))
    with pytest.raises(ValueError, match="multiple of the patch size 14"):
        build_backbone("panopticon_vitb14", pretrained=False, img_size=32)


@pytest.mark.parametrize("name", list(SMALL))
def test_native_model_with_a_head_trains(name):
    """``input_mode: native``: the full HSI spectrum goes into the backbone, which reads the
    band table; the same segmentation head as every other backbone."""
    kw, side, _ = SMALL[name]
    torch.manual_seed(0)
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode="native",
                    backbone=name, num_outputs=3, pretrained=False, backbone_args=kw,
                    head_args={"channels": 8, "num_convs": 1})
    enmap = get_sensor("enmap_spectralearth")
    x = torch.rand(2, len(enmap), side, side)
    wl = torch.tensor(enmap.centers, dtype=torch.float32).expand(2, -1)
    fw = torch.tensor(enmap.fwhm, dtype=torch.float32).expand(2, -1)
    y = m(x, None, wl, fw)
    assert y.shape == (2, 3, side, side) and torch.isfinite(y).all()
    y.square().mean().backward()
    emb = [p for n, p in m.backbone.named_parameters() if "patch_embed" in n]
    assert emb and any(p.grad is not None and p.grad.abs().sum() > 0 for p in emb)


def test_panopticon_loads_published_layout_at_another_size(tmp_path):
    """The published file has a ``mask_token`` and a position embedding for another grid
    (518 px); they are dropped / resized as torchgeo's loader does."""
    kw = {"depth": 1, "attn_dim": 64}
    big = build_backbone("panopticon_vitb14", pretrained=False, img_size=42, **kw)
    state = dict(big.module.inner.model.state_dict())
    state["mask_token"] = torch.zeros(1, 768)
    torch.save(state, tmp_path / "p.pth")
    small = build_backbone("panopticon_vitb14", ckpt_path=tmp_path / "p.pth", img_size=28, **kw)
    got = small.module.inner.model.state_dict()
    assert got["pos_embed"].shape == (1, 1 + 2 * 2, 768)
    torch.testing.assert_close(got["blocks.0.attn.qkv.weight"], state["blocks.0.attn.qkv.weight"])
    torch.testing.assert_close(got["pos_embed"][:, :1], state["pos_embed"][:, :1])


def test_learned_adapter_in_front_gives_the_backbone_its_own_bands():
    """``linear`` -> Copernicus-FM: the batch carries the 202 source bands' table, but the
    backbone sees the adapter's 12 Sentinel-2 bands and must be told theirs."""
    torch.manual_seed(0)
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode="linear",
                    backbone="copernicusfm_base", num_outputs=3, pretrained=False,
                    backbone_args={"depth": 1}, head_args={"channels": 8, "num_convs": 1})
    enmap, s2 = get_sensor("enmap_spectralearth"), m.adapter.target
    x = torch.rand(1, len(enmap), 32, 32)
    with torch.no_grad():
        y = m(x, None, torch.tensor(enmap.centers, dtype=torch.float32),
              torch.tensor(enmap.fwhm, dtype=torch.float32))
        want = m.backbone_info.features(m.adapter(x), torch.tensor(s2.centers).float(),
                                        torch.tensor(s2.fwhm).float())
        got = []
        handle = m.head.register_forward_pre_hook(lambda _m, a: got.append(a[0][-1]))
        m(x, None, torch.tensor(enmap.centers).float(), torch.tensor(enmap.fwhm).float())
        handle.remove()
    assert y.shape == (1, 3, 32, 32)
    torch.testing.assert_close(got[0], want[-1])

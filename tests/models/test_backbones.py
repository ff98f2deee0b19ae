import pytest
import torch

from hsiadapt.models.backbones import BACKBONES, WeightsNotFoundError, build_backbone

SMALL = {  # name -> (kwargs, input channels)
    "terramind_v1_tiny": ({"bands": ["BLUE", "GREEN", "RED", "NIR_NARROW"]}, 4),
    "prithvi_eo_v2_100_tl": ({}, 6),
    "dofa_base": ({"depth": 2}, 5),
    "spectralearth_vit_s16": ({"in_chans": 20}, 20),
    "stub": ({"in_chans": 7}, 7),
}


def test_registry_names_are_pinned():
    assert BACKBONES.names() == [
        "copernicusfm_base", "dofa_base", "panopticon_vitb14", "prithvi_eo_v2_100_tl", "prithvi_eo_v2_300", "prithvi_eo_v2_300_tl",
        "spectralearth_vit_s16", "stub", "terramind_v1_base", "terramind_v1_large",
        "terramind_v1_small", "terramind_v1_tiny", "terramind_v1_tiny_hsi",
    ]  # fmt: skip


@pytest.mark.parametrize("name", list(SMALL))
def test_builds_and_gives_patch_tokens(name):
    kwargs, c = SMALL[name]
    bb = build_backbone(name, pretrained=False, **kwargs)
    assert bb.pretrained == "random"
    x = torch.rand(2, c, 32, 32)
    wl = torch.linspace(450, 2200, c)
    feats = bb.features(x, wl if bb.wavelength_conditioned else None)
    n = (32 // bb.patch_size) ** 2
    assert feats[-1].shape == (2, n, bb.dim)


def test_terramind_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    a = build_backbone("terramind_v1_tiny", pretrained=False)
    path = tmp_path / "tm_tiny.pt"
    torch.save(a.module.state_dict(), path)
    torch.manual_seed(1)
    b = build_backbone("terramind_v1_tiny", ckpt_path=path)
    assert b.pretrained == f"ckpt:{path}"
    sa, sb = a.module.state_dict(), b.module.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    # band subset: patch-embedding weights picked by band name from the checkpoint
    c = build_backbone("terramind_v1_tiny", ckpt_path=path, bands=["RED", "BLUE"])
    w_all = a.module.encoder_embeddings["untok_sen2l2a@224"].proj.weight.reshape(192, 256, 12)
    w_sub = c.module.encoder_embeddings["untok_sen2l2a@224"].proj.weight.reshape(192, 256, 2)
    torch.testing.assert_close(w_sub[..., 0], w_all[..., 3])
    torch.testing.assert_close(w_sub[..., 1], w_all[..., 1])


def test_stub_checkpoint_round_trip(tmp_path):
    a = build_backbone("stub", in_chans=3)
    torch.save(a.module.state_dict(), tmp_path / "s.pt")
    b = build_backbone("stub", in_chans=3, ckpt_path=tmp_path / "s.pt")
    x = torch.rand(1, 3, 16, 16)
    torch.testing.assert_close(a.features(x)[-1], b.features(x)[-1])


def test_offline_without_weights_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(WeightsNotFoundError) as err:
        build_backbone("terramind_v1_tiny", pretrained=True)
    msg = str(err.value)
    assert "ibm-esa-geospatial/TerraMind-1.0-tiny" in msg
    assert "ckpt_path=" in msg and "download" in msg


def test_missing_checkpoint_and_native_without_weights(tmp_path):
    with pytest.raises(WeightsNotFoundError, match="does not exist"):
        build_backbone("terramind_v1_tiny", ckpt_path=tmp_path / "nope.pt")
    with pytest.raises(WeightsNotFoundError, match="no SpectralEarth weights"):
        build_backbone("spectralearth_vit_s16", pretrained=True)
    with pytest.raises(ValueError, match="not TerraMind S2L2A bands"):
        build_backbone("terramind_v1_tiny", pretrained=False, bands=["RED", "NIR"])

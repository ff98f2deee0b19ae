"""The spectral tokenizer (``input_mode: tokenizer``): at step 0 its tokens are the srf (or
select) adapter path's tokens - adapter -> normalisation -> the backbone's patch embedding - for
any band table, before and after input normalisation; its state holds nothing per sensor; its
shared offset learns; a trained tokenizer loads for another sensor's bands."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from einops import rearrange

from hsiadapt.models.backbones import BACKBONES, build_backbone
from hsiadapt.models.model import NormalizationFold, build_model
from hsiadapt.models.tokenizer import SpectralTokenizer
from hsiadapt.models.tokenizer_install import find_tokenizer, retarget
from hsiadapt.spectral import BandSet, get_sensor

#: backbone -> the band set its patch embedding was pretrained for
PRIORS = {"terramind_v1_tiny": "sentinel2_l2a", "terramind_v1_tiny_hsi": "enmap_spectralearth"}


def random_table(seed: int, lo: float = 380.0, hi: float = 2510.0) -> BandSet:
    """A made-up sensor: 60-300 bands at random centres in [lo, hi] nm, each as wide as 1-2.5
    times its spacing (so the bands leave no gap)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 300))
    centers = np.sort(rng.uniform(lo, hi, n)) + np.arange(n) * 1e-3  # strictly increasing
    gap = np.diff(centers)
    widest = np.maximum(np.r_[gap[0], gap], np.r_[gap, gap[-1]])  # to the farther neighbour
    fwhm = 2 * widest * rng.uniform(1.0, 1.5, n)
    return BandSet.from_wavelengths(centers, fwhm, name=f"random{seed}")


#: the band tables of the property test: name -> (bands, coverage policy)
TABLES = {
    "enmap": (lambda: get_sensor("enmap_spectralearth"), "error"),
    "hyperview": (lambda: get_sensor("hyperview"), "drop"),  # VNIR only: no B01, B11, B12
    "random0": (lambda: random_table(0), "error"),
    "random1": (lambda: random_table(1), "error"),
    "random2": (lambda: random_table(2, 400.0, 1000.0), "drop"),  # VNIR only
}


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    """Random weights of each backbone in a local file, loaded by both paths (by band name)."""
    out = {}
    for name in PRIORS:
        torch.manual_seed(0)
        bb = build_backbone(name, pretrained=False)
        path = tmp_path_factory.mktemp("w") / f"{name}.pt"
        torch.save(bb.module.state_dict(), path)
        out[name] = str(path)
    return out


def patches(x: torch.Tensor, p: int = 16) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, N, p * p * C)`` in the patch embedding's (ph, pw, band) order."""
    return rearrange(x, "b d (nh ph) (nw pw) -> b (nh nw) (ph pw d)", ph=p, pw=p)


def embedding(model) -> torch.nn.Module:
    return BACKBONES.get(model.backbone_info.name).patch_embedding(model.backbone)[2]


def stats(t: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    return (t.mean(dim=(0, 2, 3)).double().numpy(), t.std(dim=(0, 2, 3)).double().numpy())


def pair(bands: BandSet, init: str, coverage: str, backbone: str, ckpt: str, **kw):
    """The adapter model and the tokenizer model for ``bands``, from the same weights file."""
    common = dict(task="segmentation", source=bands, backbone=backbone, num_outputs=3,
                  pretrained=False, ckpt_path=ckpt, target=PRIORS[backbone])
    ref = build_model(input_mode=init, adapter_args={"coverage": coverage}, **common)
    tok = build_model(input_mode="tokenizer", adapter_args={"init": init, "coverage": coverage},
                      **common, **kw)
    return ref.eval(), tok.eval()


@pytest.mark.parametrize("table", list(TABLES))
@pytest.mark.parametrize("init", ["srf", "select"])
def test_step0_tokens_equal_adapter_path(ckpts, table, init):
    bands, coverage = TABLES[table][0](), TABLES[table][1]
    ref, tok = pair(bands, init, coverage, "terramind_v1_tiny", ckpts["terramind_v1_tiny"])
    torch.manual_seed(1)
    x = torch.rand(2, len(bands), 32, 32) * 0.6
    with torch.no_grad():
        y = ref.adapter(x)
        # before normalisation: raw bands in both paths
        a = embedding(ref)(patches(y))
        b = embedding(tok)(patches(x))
        assert a.abs().mean() > 0.05  # tokens of a real size, so 1e-5 is a real bound
        assert (a - b).abs().max() <= 1e-5
        # after normalisation: the adapter path normalises the projected bands, the tokenizer
        # the input bands; the fold bridges them
        (r, q), (m, s) = stats(x), stats(y)
        retarget(tok, bands, r, q).set_target_statistics(m, s)
        z = (y - torch.as_tensor(m, dtype=y.dtype)[:, None, None]) / torch.as_tensor(
            s, dtype=y.dtype)[:, None, None]
        u = (x - torch.as_tensor(r, dtype=x.dtype)[:, None, None]) / torch.as_tensor(
            q, dtype=x.dtype)[:, None, None]
        a, b = embedding(ref)(patches(z)), embedding(tok)(patches(u))
        assert a.abs().mean() > 0.05
        assert (a - b).abs().max() <= 1e-5
        # and through the whole encoder
        fa, fb = ref.backbone_info.features(z)[-1], tok.backbone_info.features(u)[-1]
    torch.testing.assert_close(fb, fa, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("table", ["enmap", "random0"])
def test_step0_behind_the_hsi_prior(ckpts, table):
    """Behind the HSI-native prior the kernels are its 202 EnMAP-band kernels, projected."""
    bands = TABLES[table][0]()
    ref, tok = pair(bands, "srf", "error", "terramind_v1_tiny_hsi",
                    ckpts["terramind_v1_tiny_hsi"])
    torch.manual_seed(2)
    x = torch.rand(1, len(bands), 32, 32)
    with torch.no_grad():
        a, b = embedding(ref)(patches(ref.adapter(x))), embedding(tok)(patches(x))
    assert a.abs().mean() > 0.05 and (a - b).abs().max() <= 1e-5


def test_step0_with_the_fold_from_build_model():
    """``build_model(..., full_spectrum_fold=)`` sets the fold (the run plan's path)."""
    bands = get_sensor("enmap_spectralearth")
    x = torch.rand(2, 202, 32, 32)
    ref = build_model(task="segmentation", source=bands, input_mode="srf", backbone="stub",
                      num_outputs=3, pretrained=False).eval()
    y = ref.adapter(x).detach()
    (r, q), (m, s) = stats(x), stats(y)
    torch.manual_seed(0)
    tok = build_model(task="segmentation", source=bands, input_mode="tokenizer",
                      backbone="stub", num_outputs=3, pretrained=False,
                      adapter_args={"init": "srf"},
                      full_spectrum_fold=NormalizationFold(r, q, m, s)).eval()
    proj = tok.backbone.proj
    proj.weight.data.copy_(ref.backbone.proj.weight.data.reshape(proj.weight.shape))
    tok.backbone.proj.set_bands(bands, r, q)  # weights changed under it: nothing cached
    z = (y - torch.as_tensor(m, dtype=torch.float32)[:, None, None]) / torch.as_tensor(
        s, dtype=torch.float32)[:, None, None]
    u = (x - torch.as_tensor(r, dtype=torch.float32)[:, None, None]) / torch.as_tensor(
        q, dtype=torch.float32)[:, None, None]
    with torch.no_grad():
        a, b = ref.backbone.proj(patches(z, 8)), tok.backbone.proj(patches(u, 8))
    assert a.abs().mean() > 0.05 and (a - b).abs().max() <= 1e-5


def test_state_dict_holds_nothing_per_sensor(ckpts):
    def build(bands):
        torch.manual_seed(0)
        return build_model(task="segmentation", source=bands, input_mode="tokenizer",
                           backbone="terramind_v1_tiny", num_outputs=3, pretrained=False,
                           ckpt_path=ckpts["terramind_v1_tiny"])

    a, b = build(get_sensor("enmap_spectralearth")), build(get_sensor("prisma"))
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    assert {k: v.shape for k, v in sa.items()} == {k: v.shape for k, v in sb.items()}
    assert not any(202 in v.shape or 234 in v.shape for v in sa.values())
    b.load_state_dict(sa)  # strict: the same keys and shapes
    tok = find_tokenizer(b)
    assert isinstance(tok, SpectralTokenizer) and len(tok.source) == 234


def test_offset_learns_and_a_trained_tokenizer_reads_other_sensors(ckpts):
    enmap, prisma = get_sensor("enmap_spectralearth"), get_sensor("prisma")
    torch.manual_seed(0)
    model = build_model(task="segmentation", source=enmap, input_mode="tokenizer",
                        backbone="terramind_v1_tiny", num_outputs=3, pretrained=False,
                        ckpt_path=ckpts["terramind_v1_tiny"], adapter_args={"offset": "mlp"})
    tok = find_tokenizer(model)
    assert tok is not None and float(tok.offset().detach().abs().max()) == 0.0  # zero at step 0
    x = torch.rand(2, 202, 32, 32)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(2):
        opt.zero_grad()
        model(x).square().mean().backward()
        last = tok.mlp[-1].weight.grad
        assert last is not None and float(last.abs().sum()) > 0  # gradients reach the MLP
        opt.step()
    assert all(p.grad is not None and float(p.grad.abs().sum()) > 0 for p in tok.mlp.parameters())
    assert float(tok.offset().detach().abs().max()) > 0
    model.eval()
    with torch.no_grad():
        before = model(x)
    torch.manual_seed(5)
    other = build_model(task="segmentation", source=prisma, input_mode="tokenizer",
                        backbone="terramind_v1_tiny", num_outputs=3, pretrained=False,
                        adapter_args={"offset": "mlp"})
    other.load_state_dict(model.state_dict())
    other.eval()
    with torch.no_grad():
        y = other(torch.rand(2, 234, 32, 32))
        assert y.shape == (2, 3, 32, 32) and torch.isfinite(y).all()
        retarget(other, enmap)  # the same band table gives the trained model back
        torch.testing.assert_close(other(x), before, rtol=1e-5, atol=1e-5)


def test_wrong_band_count_and_missing_bands_are_clear():
    model = build_model(task="segmentation", source="enmap_spectralearth",
                        input_mode="tokenizer", backbone="stub", num_outputs=3, pretrained=False)
    with pytest.raises(ValueError, match="set for 202 bands.*retarget"):
        model(torch.rand(1, 150, 16, 16))
    with pytest.raises(ValueError, match="init 'paper'"):
        build_model(task="segmentation", source="enmap_spectralearth", input_mode="tokenizer",
                    backbone="stub", num_outputs=3, pretrained=False,
                    adapter_args={"init": "paper"})


@pytest.mark.slow
@pytest.mark.parametrize("backbone", ["terramind_v1_small", "terramind_v1_base",
                                      "terramind_v1_large"])
def test_step0_behind_every_terramind_size(backbone):
    bands = random_table(3)
    ref = build_model(task="segmentation", source=bands, input_mode="srf", backbone=backbone,
                      num_outputs=3, pretrained=False).eval()
    tok = build_model(task="segmentation", source=bands, input_mode="tokenizer",
                      backbone=backbone, num_outputs=3, pretrained=False,
                      adapter_args={"init": "srf"}).eval()
    tok_emb = embedding(tok)
    tok_emb.weight.data.copy_(embedding(ref).weight.data.reshape(tok_emb.weight.shape))
    x = torch.rand(1, len(bands), 32, 32)
    with torch.no_grad():
        a, b = embedding(ref)(patches(ref.adapter(x))), tok_emb(patches(x))
    assert a.abs().mean() > 0.05 and (a - b).abs().max() <= 1e-5


def test_retarget_to_a_sensor_missing_target_bands_reads_them_as_their_mean(ckpts):
    """Fine-tuned on EnMAP (every S2 band seen, normalised), scored on a VNIR-only sensor: the
    S2 bands it does not see enter as their training mean (0 after normalisation) - what the
    12-band adapter path computes when those bands are filled with their mean."""
    enmap, vnir = get_sensor("enmap_spectralearth"), TABLES["random2"][0]()
    ref, tok = pair(enmap, "srf", "drop", "terramind_v1_tiny", ckpts["terramind_v1_tiny"])
    torch.manual_seed(3)
    x = torch.rand(2, 202, 32, 32)
    m, s = stats(ref.adapter(x).detach())
    tok.backbone.encoder_embeddings["untok_sen2l2a@224"].proj.set_target_statistics(m, s)
    v = torch.rand(2, len(vnir), 32, 32)
    r, q = stats(v)
    retarget(tok, vnir, r, q)
    from hsiadapt.adapters import build_adapter

    adapter = build_adapter("srf", vnir, "sentinel2_l2a", coverage="drop")
    kept = [ref.adapter.target.names.index(n) for n in adapter.target.names]
    assert len(kept) < 12
    with torch.no_grad():
        z = torch.zeros(2, 12, 32, 32)
        y = adapter(v)
        z[:, kept] = (y - torch.as_tensor(m[kept], dtype=y.dtype)[:, None, None]) / torch.as_tensor(
            s[kept], dtype=y.dtype)[:, None, None]
        u = (v - torch.as_tensor(r, dtype=v.dtype)[:, None, None]) / torch.as_tensor(
            q, dtype=v.dtype)[:, None, None]
        a, b = embedding(ref)(patches(z)), embedding(tok)(patches(u))
    assert a.abs().mean() > 0.05 and (a - b).abs().max() <= 1e-5


@pytest.mark.parametrize("init", ["srf", "select", None])  # None: the default (select)
@pytest.mark.parametrize("backbone", ["stub", "terramind_v1_tiny"])
def test_step0_model_equals_the_adapter_model_for_a_seed(backbone, init):
    """Building the tokenizer leaves the global RNG alone: with one seed, the whole tokenizer
    model (head included) computes what the srf (select) model computes at step 0."""
    bands = get_sensor("enmap_spectralearth")
    x = torch.rand(2, 202, 32, 32)
    ref = init or "select"
    out = {}
    for mode in (ref, "tokenizer"):
        torch.manual_seed(0)
        m = build_model(task="segmentation", source=bands, input_mode=mode, backbone=backbone,
                        num_outputs=3, pretrained=False,
                        adapter_args={"init": init} if mode == "tokenizer" and init else None
                        ).eval()
        with torch.no_grad():
            out[mode] = m(x)
    assert out[ref].abs().mean() > 0.01
    torch.testing.assert_close(out["tokenizer"], out[ref], rtol=1e-5, atol=1e-5)


def _s2_tokenizer(**kw) -> SpectralTokenizer:
    torch.manual_seed(0)
    return SpectralTokenizer(torch.randn(8, 4 * 12) * 0.02, None, get_sensor("sentinel2_l2a"),
                             **kw)


@pytest.mark.parametrize("fwhm_frequencies", [2, pytest.param(8, marks=pytest.mark.xfail(
    strict=True, reason="8 octaves of log-FWHM: 8.5 nm and 10 nm bands get unrelated features"))])
def test_offset_hardly_changes_when_the_bands_are_a_little_narrower(fwhm_frequencies):
    # EnMAP-like 10 nm bands vs EMIT-like 8.5 nm bands at the same centres: the offset per unit
    # of band width (the MLP's coefficients) should be nearly the same, so a tokenizer trained
    # on one sensor transfers to the other
    tok = _s2_tokenizer(fwhm_frequencies=fwhm_frequencies, offset="mlp")
    torch.nn.init.normal_(tok.mlp[-1].weight, std=0.5)  # a trained-looking offset
    centers = np.linspace(420.0, 2450.0, 150)
    per_width = []
    for fwhm in (10.0, 8.5):
        tok.set_bands(BandSet.from_wavelengths(centers, np.full(150, fwhm)))
        per_width.append(tok.offset().detach() / tok.quadrature.float())
    rel = (per_width[0] - per_width[1]).norm() / per_width[0].norm()
    assert rel < 0.2


def test_gain_multiplies_the_offsets_first_adam_step():
    offsets = []
    for gain in (1.0, 10.0):
        tok = _s2_tokenizer(gain=gain)
        tok.set_bands(get_sensor("enmap_spectralearth"))
        assert float(tok.offset().detach().abs().max()) == 0.0  # zero at step 0, any gain
        opt = torch.optim.Adam(tok.parameters(), lr=1e-3, eps=1e-20)  # steps of +-lr
        x = torch.randn(5, tok.in_features, generator=torch.Generator().manual_seed(1))
        tok(x).square().mean().backward()
        opt.step()
        offsets.append(tok.offset().detach())
    torch.testing.assert_close(offsets[1], 10.0 * offsets[0], rtol=1e-4, atol=1e-9)


def test_spectrum_offset_is_zero_at_step_0_and_learns_only_where_the_bands_see():
    enmap = get_sensor("enmap_spectralearth")
    tok = _s2_tokenizer(offset="spectrum", grid_nm=5.0)
    tok.set_bands(enmap)
    assert float(tok.offset().detach().abs().max()) == 0.0
    opt = torch.optim.Adam(tok.parameters(), lr=1e-3)
    x = torch.randn(5, tok.in_features, generator=torch.Generator().manual_seed(1))
    for _ in range(2):
        opt.zero_grad()
        tok(x).square().mean().backward()
        opt.step()
    table = tok.mlp.weight.detach()  # (grid points, rank)
    grid = torch.linspace(350.0, 2550.0, table.shape[0])
    seen = torch.zeros_like(grid, dtype=torch.bool)
    for c, f in zip(enmap.centers, enmap.effective_fwhm(), strict=True):
        seen |= (grid - c).abs() <= 1.5 * f
    moved = table.abs().amax(1) > 0
    assert moved.any() and not (moved & ~seen).any()  # nothing beyond EnMAP's responses
    # another sensor's bands read the same filters: PRISMA gets a non-zero offset
    tok.set_bands(get_sensor("prisma"))
    assert float(tok.offset().detach().abs().max()) > 0

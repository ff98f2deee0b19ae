"""Every backbone x head x input strategy builds and runs forward + backward on a tiny input."""

import copy

import pytest
import torch

from hsiadapt.models.model import INPUT_MODES, build_model, expand_patch_embedding

HEADS = {"segmentation": 5, "regression": 4, "multilabel": 7}
SMALL_HEAD = {"segmentation": {"channels": 16, "num_convs": 2}, "regression": {"hidden": 16},
              "multilabel": {}}
ADAPTER_MODES = ["select", "srf", "linear", "spectral_conv"]
COMBOS = (
    [("terramind_v1_tiny", m) for m in [*ADAPTER_MODES, "full_spectrum", "tokenizer", "none"]]
    + [("stub", m) for m in [*ADAPTER_MODES, "full_spectrum", "tokenizer", "none", "native"]]
    + [("prithvi_eo_v2_100_tl", m) for m in [*ADAPTER_MODES, "none"]]
    + [("dofa_base", "native"), ("spectralearth_vit_s16", "native")]
)


def test_input_modes_pinned():
    assert INPUT_MODES == ("linear", "select", "spectral_conv", "srf", "full_spectrum",
                           "tokenizer", "native")


@pytest.mark.parametrize("task", list(HEADS))
@pytest.mark.parametrize(("backbone", "mode"), COMBOS)
def test_combination_forward_backward(backbone, mode, task):
    torch.manual_seed(0)
    target = "hls" if backbone.startswith("prithvi") else "sentinel2_l2a"
    m = build_model(task=task, source="enmap_spectralearth", input_mode=mode, backbone=backbone,
                    target=target, num_outputs=HEADS[task], pretrained=False,
                    head_args=SMALL_HEAD[task])
    n_in = {"none": len(m.backbone_info.bands or [])}.get(mode, 202)
    x = torch.rand(2, n_in, 32, 32)
    valid = torch.ones(2, 32, 32, dtype=torch.bool)
    valid[:, :8] = False
    wl = torch.linspace(418, 2445, n_in)
    y = m(x, valid, wl)
    expected = (2, HEADS[task], 32, 32) if task == "segmentation" else (2, HEADS[task])
    assert y.shape == expected and torch.isfinite(y).all()
    y.float().square().mean().backward()
    grads = [p.grad for p in m.parameters() if p.requires_grad]
    assert grads and all(g is not None for g in grads[-2:])  # the head learns
    if m.adapter is not None and m.adapter.trainable:
        assert all(p.grad is not None for p in m.adapter.parameters())


@pytest.mark.parametrize("init", ["srf", "select"])
def test_full_spectrum_step0_equals_adapter(init):
    torch.manual_seed(0)
    ref = build_model(task="segmentation", source="enmap_spectralearth", input_mode=init,
                      backbone="terramind_v1_tiny", num_outputs=3, pretrained=False)
    bb = copy.deepcopy(ref.backbone_info)
    expand_patch_embedding(bb, ref.adapter.map)
    x = torch.rand(2, 202, 32, 32) * 3000
    with torch.no_grad():
        a = ref.backbone_info.features(ref.adapter(x))[-1]
        b = bb.features(x)[-1]
    torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4)
    emb = bb.module.encoder_embeddings["untok_sen2l2a@224"].proj
    assert emb.in_features == 16 * 16 * 202


def test_mask_channel_and_regression_pooling_ignores_outside():
    torch.manual_seed(0)
    m = build_model(task="regression", source="hyperview", input_mode="srf",
                    backbone="terramind_v1_tiny", num_outputs=4, pretrained=False,
                    adapter_args={"coverage": "drop"}, mask_channel=True).eval()
    assert m.backbone_info.bands[-1] == "MASK" and len(m.backbone_info.bands) == 10
    x = torch.rand(1, 150, 32, 32)
    valid = torch.zeros(1, 32, 32, dtype=torch.bool)
    valid[:, :16, :16] = True
    x2 = x.clone()
    x2[:, :, 16:, :] = 99.0  # change only pixels outside the field (whole patches)
    x2[:, :, :, 16:] = 99.0
    with torch.no_grad():
        feats = m.backbone_info.features(torch.cat([m.adapter(x), valid[:, None].float()], 1))
        from hsiadapt.models.heads import masked_mean, token_weights

        w = token_weights(valid, 16, 4, 1, x.device)
        assert w.tolist() == [[1.0, 0.0, 0.0, 0.0]]
        pooled = masked_mean(feats[-1], w)
        torch.testing.assert_close(pooled, feats[-1][:, 0])


def test_patch_size_error():
    m = build_model(task="multilabel", source="enmap_spectralearth", input_mode="srf",
                    backbone="stub", num_outputs=3, pretrained=False)
    with pytest.raises(ValueError, match="not a multiple of the backbone's patch size"):
        m(torch.rand(1, 202, 30, 30))

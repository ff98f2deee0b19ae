"""``offset_input``: what the tokenizer's learned offset weights. Another sensor's bands at the
same wavelengths have other statistics (noise, width); with ``reflectance`` the tokens of one
spectrum do not depend on the statistics its bands were normalised with, with ``normalised``
(the offset weights each band's z-score) they do."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hsiadapt.models.tokenizer import SpectralTokenizer
from hsiadapt.spectral import get_sensor


def _trained(offset_input: str) -> SpectralTokenizer:
    """An S2 tokenizer on EnMAP bands whose offset has taken a few Adam steps."""
    torch.manual_seed(0)
    tok = SpectralTokenizer(torch.randn(8, 4 * 12) * 0.02, None, get_sensor("sentinel2_l2a"),
                            offset_input=offset_input)
    enmap = get_sensor("enmap_spectralearth")
    rng = np.random.default_rng(0)
    tok.set_bands(enmap, rng.uniform(0.1, 0.3, len(enmap)), rng.uniform(0.02, 0.1, len(enmap)))
    tok.set_target_statistics(np.full(12, 0.2), np.full(12, 0.05))
    _adam_steps(tok)
    return tok.eval()


def _tokens(tok: SpectralTokenizer, refl: torch.Tensor, mean: np.ndarray, std: np.ndarray
            ) -> torch.Tensor:
    """The tokens of reflectance patches ``refl`` ``(N, pix, C)`` normalised with ``mean, std``."""
    tok.set_bands(tok.source, mean, std)
    x = (refl - torch.as_tensor(mean)) / torch.as_tensor(std)
    with torch.no_grad():
        return tok(x.reshape(len(x), -1).float())


@pytest.mark.parametrize(("offset_input", "invariant"), [("reflectance", True),
                                                         ("normalised", False)])
def test_tokens_do_not_depend_on_the_band_statistics_with_reflectance(offset_input, invariant):
    tok = _trained(offset_input)
    assert float(tok.offset().detach().abs().max()) > 0  # the learned part is in play
    c = len(tok.source)
    rng = np.random.default_rng(3)
    refl = torch.as_tensor(rng.uniform(0.0, 0.5, (6, tok.pix, c)))
    mean = rng.uniform(0.1, 0.3, c)
    std = rng.uniform(0.02, 0.1, c)
    a = _tokens(tok, refl, mean, std)
    b = _tokens(tok, refl, mean, std * rng.uniform(0.7, 1.5, c))  # e.g. noisier bands
    if invariant:
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    else:
        assert float((a - b).abs().max()) > 1e-3


def test_step0_is_the_projection_whatever_the_offset_input():
    torch.manual_seed(0)
    w = torch.randn(8, 4 * 12) * 0.02
    toks = []
    for mode in ("normalised", "reflectance"):
        tok = SpectralTokenizer(w, None, get_sensor("sentinel2_l2a"), offset_input=mode)
        tok.set_bands(get_sensor("prisma"))
        toks.append(tok.kernel()[0].detach())
        assert float(tok.offset().detach().abs().max()) == 0.0
    torch.testing.assert_close(toks[0], toks[1], rtol=0, atol=0)


def test_an_unknown_offset_input_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="offset_input.*reflectance"):
        SpectralTokenizer(torch.randn(8, 4 * 12), None, get_sensor("sentinel2_l2a"),
                          offset_input="raw")


def _adam_steps(tok: SpectralTokenizer, n: int = 3) -> None:
    opt = torch.optim.Adam(tok.parameters(), lr=1e-3)
    x = torch.randn(5, tok.in_features, generator=torch.Generator().manual_seed(1))
    for _ in range(n):
        opt.zero_grad()
        tok(x).square().mean().backward()
        opt.step()
        tok.after_step()


@pytest.mark.parametrize(("support", "unseen_moves"), [("seen", False), ("all", True)])
def test_support_seen_keeps_the_table_to_what_the_training_bands_read(support, unseen_moves):
    # the table's part no EnMAP band reads (its null space) is what PRISMA's bands read
    # differently; Adam's per-entry steps put filters there unless support: seen projects
    enmap = get_sensor("enmap_spectralearth")
    torch.manual_seed(0)
    tok = SpectralTokenizer(torch.randn(8, 4 * 12) * 0.02, None, get_sensor("sentinel2_l2a"),
                            support=support)
    tok.set_bands(enmap)
    tok.train()
    _adam_steps(tok)
    table = tok.mlp.weight.detach().double()
    reads = tok.mlp.responses(tok.centers, tok.fwhm)
    unseen = table - torch.linalg.pinv(reads) @ (reads @ table)
    assert float(table.abs().max()) > 0
    assert (float(unseen.abs().max()) > 1e-3 * float(table.abs().max())) == unseen_moves


def test_support_seen_changes_no_training_token():
    # the projection removes only what the training bands do not read: their kernels are those
    # of the unprojected table
    enmap = get_sensor("enmap_spectralearth")
    torch.manual_seed(0)
    tok = SpectralTokenizer(torch.randn(8, 4 * 12) * 0.02, None, get_sensor("sentinel2_l2a"),
                            support="seen")
    tok.set_bands(enmap)
    _adam_steps(tok, 1)
    tok.double()  # the comparison in float64: float32 sums round at 1e-5 of the kernel
    with torch.no_grad():
        tok.mlp.weight.add_(torch.randn_like(tok.mlp.weight) * 1e-2)
        before = tok.kernel()[0].clone()
        tok.after_step()
        scale = float(before.abs().max())
        torch.testing.assert_close(tok.kernel()[0], before, rtol=0, atol=1e-6 * scale)


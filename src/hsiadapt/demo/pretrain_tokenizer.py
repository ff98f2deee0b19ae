"""``hsiadapt pretrain --tokenizer``: pretrain the spectral tokenizer's learned part without labels.

The S2 prior (:mod:`hsiadapt.demo.pretrain`) is loaded and frozen - its transformer and its
Sentinel-2 patch embedding ``W`` alike; a :class:`~hsiadapt.models.tokenizer.SpectralTokenizer`
is installed for the EnMAP bands, and only its learned offset (the MLP over wavelength features
and the basis kernels) is trained, on the prior's unlabelled corpus rendered in EnMAP's 202
bands (chips from the same seed stream; no label is read).

**Objective**: a linear head on the frozen backbone's last-layer tokens predicts, for every
16 px patch, the patch's mean *narrow-band residual*: the normalised 202-band spectrum minus its
least-squares reconstruction from the normalised Sentinel-2 (srf) bands - the part of the
spectrum the 12 bands cannot carry. At step 0 the tokens are the srf tokens, so the head can
predict little of it (the loss, relative to predicting zero, starts near 1); the offset must
put the narrow-band information into the tokens. (Aligning the tokens with the srf tokens
would be zero at step 0 and would teach nothing.)

The result - the learned part's ``state_dict`` and its arguments, nothing per sensor - is cached
under ``~/.cache/hsiadapt/priors/`` keyed on the recipe and the prior, and read by a run with
``input_mode: tokenizer, args: {pretrained: <path>}``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hsiadapt.demo.generate import default_cache_dir
from hsiadapt.demo.pretrain import PATCH, Corpus, PretrainRecipe, pretrain
from hsiadapt.models.tokenizer_options import tokenizer_defaults

__all__ = ["Residual", "TokenizerRecipe", "pretrain_tokenizer", "tokenizer_path",
           "train_tokenizer"]

#: the band table the corpus is rendered in for the tokenizer
SENSOR = "enmap_spectralearth"


@dataclass(frozen=True)
class TokenizerRecipe:
    """How the tokenizer is pretrained (every field is part of the cache key). ``args``: the
    tokenizer's arguments (:func:`hsiadapt.models.tokenizer.tokenizer_args`) - a run that loads
    the result must use the same size."""

    prior: PretrainRecipe = field(default_factory=PretrainRecipe)
    args: dict[str, Any] = field(default_factory=dict)
    corpus_chips: int = 1500
    steps: int = 200
    batch_size: int = 8
    lr: float = 1e-3
    seed: int = 0

    def key(self, prior_file: str) -> str:
        # the args completed with today's defaults: a changed default is another tokenizer
        d = {**asdict(self), "args": tokenizer_defaults(self.args), "prior_file": prior_file,
             "format": 2}
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:12]

    def validate(self) -> None:
        if self.prior.prior != "s2":
            raise ValueError("the tokenizer is pretrained behind the S2 prior (--prior s2)")
        if min(self.corpus_chips, self.steps, self.batch_size) < 1:
            raise ValueError("corpus_chips, steps and batch_size must be at least 1")
        if "pretrained" in self.args:
            raise ValueError("tokenizer args: 'pretrained' is what this command makes; drop it")


def tokenizer_path(recipe: TokenizerRecipe, prior_file: Path,
                   cache_dir: str | Path | None = None) -> Path:
    """Where the pretrained tokenizer of ``recipe`` behind ``prior_file`` is cached."""
    base = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    return base / "priors" / f"tokenizer-s2-{recipe.key(prior_file.name)}.pt"


class Residual:
    """The objective's target: from reflectance chips ``(B, C, H, W)`` (x 10000, as the loaders
    give) in the tokenizer's bands, the normalised input and each patch's mean narrow-band
    residual ``(B, tokens, C)``; statistics and the least-squares map fitted on ``sample``."""

    def __init__(self, sample: np.ndarray, projection: np.ndarray) -> None:
        import torch

        px = sample.transpose(0, 2, 3, 1).reshape(-1, sample.shape[1]).astype(np.float64)
        self.mean, self.std = px.mean(0), np.where(px.std(0) > 0, px.std(0), 1.0)
        proj = px @ projection
        self.tmean, self.tstd = proj.mean(0), np.where(proj.std(0) > 0, proj.std(0), 1.0)
        r, *_ = np.linalg.lstsq((proj - self.tmean) / self.tstd, (px - self.mean) / self.std,
                                rcond=None)
        f = torch.float32
        self._m, self._s = (torch.as_tensor(v, dtype=f)[None, :, None, None]
                            for v in (self.mean, self.std))
        self._tm, self._ts = (torch.as_tensor(v, dtype=f)[None, :, None, None]
                              for v in (self.tmean, self.tstd))
        self._p, self._r = torch.as_tensor(projection, dtype=f), torch.as_tensor(r, dtype=f)

    def __call__(self, x: Any) -> tuple[Any, Any]:
        import torch
        from torch.nn import functional as F

        z = (x - self._m) / self._s
        zs = (torch.einsum("bchw,ck->bkhw", x, self._p) - self._tm) / self._ts
        e = z - torch.einsum("bkhw,kc->bchw", zs, self._r)
        return z, F.avg_pool2d(e, PATCH).flatten(2).transpose(1, 2)


def train_tokenizer(backbone: Any, tok: Any, batches: Callable[[int], np.ndarray],
                    residual: Residual, *, steps: int, lr: float, seed: int = 0,
                    echo: Callable[[str], None] = print, every: int = 25) -> list[float]:
    """Train ``tok``'s learned part (MLP and basis) behind the frozen ``backbone`` (which holds
    it) on the objective of the module docstring; ``batches(step)``: reflectance chips
    x 10000 in the tokenizer's bands. Returns the relative losses. Nothing else changes."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    for p in backbone.module.parameters():
        p.requires_grad_(False)
    learned = [*tok.mlp.parameters(), tok.basis]
    for p in learned:
        p.requires_grad_(True)
    head = nn.Linear(backbone.dim, len(tok.source))
    nn.init.zeros_(head.weight)  # predicts zero at first: the relative loss starts at 1
    nn.init.zeros_(head.bias)
    # the head reads 192-wide tokens: a tenth of the rate keeps its first steps from overshooting
    groups: list[dict[str, Any]] = [{"params": learned},
                                    {"params": list(head.parameters()), "lr": lr / 10}]
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.0)
    backbone.module.eval()  # frozen: no dropout
    losses: list[float] = []
    t0 = time.time()
    for step in range(1, steps + 1):
        z, target = residual(torch.from_numpy(batches(step)))
        pred = head(backbone.features(z)[-1])
        loss = (pred - target).square().mean() / target.square().mean().clamp_min(1e-12)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        tok.after_step()  # support: seen keeps the table to what the bands read
        losses.append(loss.item())
        if step % every == 0 or step == steps:
            echo(f"[pretrain] tokenizer step {step}/{steps}: relative loss "
                 f"{np.mean(losses[-every:]):.3f} ({time.time() - t0:.0f} s)")
    for p in backbone.module.parameters():
        p.requires_grad_(True)
    return losses


def pretrain_tokenizer(recipe: TokenizerRecipe = TokenizerRecipe(), *,
                       cache_dir: str | Path | None = None,
                       echo: Callable[[str], None] = print, every: int = 25) -> Path:
    """Pretrain (or find cached) the tokenizer of ``recipe`` behind the S2 prior (pretrained or
    found first); returns the file's path."""
    import torch

    from hsiadapt._atomic import atomic_path
    from hsiadapt.models.backbones import build_backbone
    from hsiadapt.models.tokenizer_install import install_tokenizer
    from hsiadapt.spectral import build_map, get_sensor

    recipe.validate()
    prior_file = pretrain(recipe.prior, cache_dir=cache_dir, echo=echo)
    out = tokenizer_path(recipe, prior_file, cache_dir)
    if out.is_file():
        return out
    t0 = time.time()
    corpus = Corpus(PretrainRecipe(prior="hsi", chip=recipe.prior.chip,
                                   corpus_chips=recipe.corpus_chips, seed=recipe.prior.seed))
    bands, s2 = get_sensor(SENSOR), get_sensor("sentinel2_l2a")
    smap = build_map(bands, s2, recipe.args.get("init", "srf"))
    sample, _ = corpus.batch(range(min(64, len(corpus))))  # labels are never read
    residual = Residual(sample * 1e4, smap.matrix)
    echo(f"[pretrain] tokenizer behind {prior_file.name}: {recipe.steps} steps of "
         f"{recipe.batch_size} EnMAP chips, only the tokenizer's learned part trains -> {out}")
    bb = build_backbone("terramind_v1_tiny", pretrained=True, ckpt_path=str(prior_file),
                        bands=list(s2.names))
    tok = install_tokenizer(bb, bands, s2, **recipe.args)
    tok.set_bands(bands, residual.mean, residual.std)
    tok.set_target_statistics(residual.tmean, residual.tstd)
    gen = np.random.default_rng(recipe.seed)

    def batches(step: int) -> np.ndarray:
        return corpus.batch(gen.integers(len(corpus), size=recipe.batch_size))[0] * 1e4

    losses = train_tokenizer(bb, tok, batches, residual, steps=recipe.steps, lr=recipe.lr,
                             seed=recipe.seed, echo=echo, every=every)
    state = {"mlp": tok.mlp.state_dict(), "basis": tok.basis.detach().clone(),
             "args": tokenizer_defaults(recipe.args)}
    n = min(every, len(losses))
    meta = {"recipe": asdict(recipe), "prior": str(prior_file), "sensor": SENSOR,
            "first_loss": float(np.mean(losses[:n])), "final_loss": float(np.mean(losses[-n:])),
            "seconds": round(time.time() - t0, 1)}
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out, suffix=".pt") as tmp:
        torch.save(state, tmp)
    with atomic_path(out.with_suffix(".json"), suffix=".json") as tmp:
        tmp.write_text(json.dumps(meta, indent=1, default=str))
    echo(f"[pretrain] tokenizer done in {time.time() - t0:.0f} s: relative loss "
         f"{meta['first_loss']:.3f} -> {meta['final_loss']:.3f}; {out}")
    return out

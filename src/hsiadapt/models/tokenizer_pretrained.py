"""Loading a pretrained spectral tokenizer's learned part (``hsiadapt pretrain --tokenizer``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from hsiadapt.models.tokenizer_options import tokenizer_defaults

__all__ = ["load_learned"]


class _Learned(Protocol):
    """The learned part of a :class:`hsiadapt.models.tokenizer.SpectralTokenizer`."""

    basis: nn.Parameter
    mlp: nn.Module


def load_learned(tok: _Learned, path: str | Path, args: dict[str, Any]) -> None:
    """Start ``tok``'s learned part (MLP and basis) from a ``hsiadapt pretrain --tokenizer``
    file made with the same tokenizer ``args``."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"tokenizer args pretrained: {p} does not exist; make it with "
                                "`hsiadapt pretrain --tokenizer` (it prints the path)")
    state = torch.load(p, map_location="cpu", weights_only=True)
    made, asked = tokenizer_defaults(state.get("args", {})), tokenizer_defaults(args)
    if made != asked:
        raise ValueError(f"tokenizer args pretrained: {p} was made with args {made}, the run "
                         f"asks for {asked}; use the same init/rank/hidden/frequencies/gain")
    if tuple(state["basis"].shape[1:]) != tuple(tok.basis.shape[1:]):
        raise ValueError(f"tokenizer args pretrained: {p} has basis kernels of shape "
                         f"{tuple(state['basis'].shape)}, this backbone needs "
                         f"{tuple(tok.basis.shape)}: pretrain behind the same backbone")
    with torch.no_grad():
        tok.basis.copy_(state["basis"])
    tok.mlp.load_state_dict(state["mlp"])

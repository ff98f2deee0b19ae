"""``hsiadapt pretrain``: a prior (``--prior``), then, with ``--tokenizer``, the spectral
tokenizer's learned part behind it."""

from __future__ import annotations

import argparse
from typing import Any


def _cmd_pretrain(args: argparse.Namespace) -> int:
    from hsiadapt.demo.pretrain import PretrainRecipe, pretrain

    recipe = PretrainRecipe(prior=args.prior, chip=args.chip, corpus_chips=args.corpus_chips,
                            steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                            seed=args.seed)
    if args.tokenizer:
        return _pretrain_tokenizer(args, recipe)
    path = pretrain(recipe, cache_dir=args.cache_dir)
    print(f"prior weights: {path}\nuse them with backbone: {{name: terramind_v1_tiny, "
          f"ckpt_path: {path}}}")
    return 0


def _pretrain_tokenizer(args: argparse.Namespace, prior: Any) -> int:
    import yaml

    from hsiadapt.demo.pretrain_tokenizer import TokenizerRecipe, pretrain_tokenizer

    targs = yaml.safe_load(args.tokenizer_args) if args.tokenizer_args else {}
    if not isinstance(targs, dict):
        raise SystemExit(f"hsiadapt: error: --tokenizer-args {args.tokenizer_args!r}: expected a "
                         "YAML mapping such as '{init: select, gain: 10}'")
    if args.prior != "s2":
        raise SystemExit("hsiadapt: error: --tokenizer pretrains behind the S2 prior; drop "
                         "--prior hsi")
    try:
        recipe = TokenizerRecipe(prior=prior, args=targs, steps=args.tokenizer_steps,
                                 corpus_chips=args.corpus_chips, seed=args.seed)
        path = pretrain_tokenizer(recipe, cache_dir=args.cache_dir)
    except ValueError as err:
        raise SystemExit(f"hsiadapt: error: {err}") from None
    print(f"tokenizer weights: {path}\nuse them with input_mode: tokenizer, args: "
          f"{{{', '.join(f'{k}: {v}' for k, v in targs.items())}, pretrained: {path}}}")
    return 0

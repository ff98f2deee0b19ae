"""Finding pretrained weights offline: the Hugging Face cache, with an error naming both fixes."""

from __future__ import annotations

import os

from hsiadapt.models.backbones.base import WeightsNotFoundError


def hf_cached(repo_id: str, filename: str) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    hit = try_to_load_from_cache(repo_id=repo_id, filename=filename)
    return hit if isinstance(hit, str) else None


def offline_error(what: str, repo_id: str, filename: str, err: Exception | None) -> WeightsNotFoundError:
    cache = os.environ.get("HF_HUB_CACHE") or os.environ.get("HF_HOME") or "~/.cache/huggingface"
    return WeightsNotFoundError(
        f"pretrained weights for {what} ({repo_id}/{filename}) are not in the Hugging Face cache "
        f"({cache}) and could not be downloaded"
        + (f" ({type(err).__name__})" if err else "")
        + ". Either (1) download them once with network access (e.g. `huggingface-cli download "
        f"{repo_id} {filename}`) so the cache has them, or (2) pass ckpt_path=/path/to/{filename}. "
        "Random initialisation is used only when you ask for pretrained=False."
    )

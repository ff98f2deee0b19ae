"""TerraMind v1 (through terratorch) on the S2L2A modality: 12 Sentinel-2 L2A bands by name."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from torch import nn

from hsiadapt.models.backbones._weights import hf_cached, offline_error
from hsiadapt.models.backbones.base import (
    Backbone,
    BackboneDef,
    check_ckpt,
    register_backbone,
)
from hsiadapt.models.precision import import_terratorch
from hsiadapt.models.pretrained_stats import terramind_s2l2a_statistics

__all__: list[str] = []

_TERRAMIND = {
    "terramind_v1_tiny": 192,
    "terramind_v1_small": 384,
    "terramind_v1_base": 768,
    "terramind_v1_large": 1024,
}


#: Hugging Face repository and file of each variant's weights (terratorch's
#: ``pretrained_weights``, copied so the cache and the hub are checked before terratorch's slow
#: import; a test pins them equal)
HUB_FILES = {
    v: (f"ibm-esa-geospatial/TerraMind-1.0-{v.rsplit('_', 1)[1]}",
        f"TerraMind_v1_{v.rsplit('_', 1)[1]}.pt") for v in _TERRAMIND}

#: seconds the reachability probe of the Hugging Face hub may take
PROBE_TIMEOUT_S = 3.0


def hub_unreachable(timeout: float = PROBE_TIMEOUT_S) -> Exception | None:
    """Why the Hugging Face hub cannot be reached now (``HF_HUB_OFFLINE`` set, or a TCP connect
    to the hub - or to the HTTPS proxy - failing within ``timeout`` s), or ``None`` when it
    answers. Name resolution runs in a thread, so a hanging resolver cannot stall the caller."""
    import socket
    import threading
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on"):
        return ConnectionError("HF_HUB_OFFLINE is set")
    proxy = os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")
    url = urlparse(proxy or os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host, port = url.hostname or "huggingface.co", url.port or (443 if url.scheme == "https"
                                                               else 80)
    result: list[Exception | None] = []

    def probe() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(None)
        except OSError as err:
            result.append(err)

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout)
    if not result:
        return TimeoutError(f"no answer from {host}:{port} within {timeout:g} s")
    return result[0] if result[0] is None else ConnectionError(
        f"{host}:{port} unreachable: {result[0]}")


def _terramind(variant: str, dim: int) -> Callable[..., Backbone]:
    def factory(
        bands: Sequence[str] | None = None,
        pretrained: bool = True,
        ckpt_path: str | os.PathLike | None = None,
        new_bands: Sequence[str] = (),
        **kwargs: Any,
    ) -> Backbone:
        """TerraMind v1 ViT encoder on the S2L2A modality.

        Args:
            bands: S2L2A band names the input carries (default all 12); pretrained patch-embedding
                weights are selected by name (terratorch), so a dropped band is simply absent.
            pretrained: load the official weights (Hugging Face cache / download).
            ckpt_path: load a local weights file instead (takes precedence).
            new_bands: names in ``bands`` that are not S2L2A bands (e.g. ``"MASK"``); their
                patch-embedding weights start random.
        """
        ckpt = check_ckpt(ckpt_path)
        source = "random"
        hf_path: str | None = None
        if ckpt is None and pretrained:
            # before terratorch's ~10 s import: the cache, else a quick probe of the hub, so an
            # offline machine fails in about a second instead of after ~30 s of retries
            repo, filename = HUB_FILES[variant]
            hf_path = hf_cached(repo, filename)
            if hf_path is None:
                offline = hub_unreachable()
                if offline is not None:
                    raise offline_error(variant, repo, filename, offline)
        tm = import_terratorch("terratorch.models.backbones.terramind.model.terramind_register")
        BACKBONE_REGISTRY = import_terratorch("terratorch.registry").BACKBONE_REGISTRY

        all_bands = list(tm.PRETRAINED_BANDS["untok_sen2l2a@224"])
        chosen = list(bands) if bands is not None else all_bands
        unknown = [b for b in chosen if b not in all_bands and b not in new_bands]
        if unknown:
            raise ValueError(f"{variant}: bands {unknown} are not TerraMind S2L2A bands {all_bands}")
        build_kwargs: dict[str, Any] = dict(modalities=["S2L2A"], pretrained=False, **kwargs)
        if ckpt is not None:
            source = f"ckpt:{ckpt}"
        elif pretrained:
            info = tm.pretrained_weights[variant]
            if hf_path is None:
                try:
                    from huggingface_hub import hf_hub_download

                    hf_path = hf_hub_download(info["hf_hub_id"], info["hf_hub_filename"])
                except Exception as err:
                    raise offline_error(variant, info["hf_hub_id"], info["hf_hub_filename"],
                                         err) from None
            ckpt, source = Path(hf_path), "hf"
        if ckpt is not None:
            # terratorch's own loader: state dict loaded weights-only, then patch-embedding
            # weights selected by band name
            module = BACKBONE_REGISTRY.build(variant, ckpt_path=str(ckpt), **build_kwargs)
        else:
            module = BACKBONE_REGISTRY.build(variant, **build_kwargs)
        if chosen != all_bands:
            tm.select_modality_patch_embed_weights(module, {"S2L2A": chosen},
                                                   tm.PRETRAINED_BANDS)
        return Backbone(module=module, name=variant, bands=chosen, dim=dim, patch_size=16,
                        pretrained=source)

    factory.__name__ = variant
    return factory


def _terramind_patch_embedding(module: nn.Module) -> tuple[nn.Module, str, nn.Linear]:
    embeddings: Any = module.encoder_embeddings
    parent = next(iter(embeddings.values()))  # the S2L2A modality's embedding
    return parent, "proj", parent.proj


for _name, _dim in _TERRAMIND.items():
    register_backbone(BackboneDef(
        name=_name, factory=_terramind(_name, _dim), input="named_bands", target="sentinel2_l2a",
        dim=_dim, patch_size=16, statistics=terramind_s2l2a_statistics,
        patch_embedding=_terramind_patch_embedding, extra_channels="new_bands"))

"""Pretraining normalisation statistics of the backbones, read from terratorch."""

from __future__ import annotations

from functools import cache

__all__ = ["terramind_s2l2a_statistics"]


@cache
def terramind_s2l2a_statistics() -> dict[str, tuple[float, float]]:
    """TerraMind v1 S2L2A pretraining mean/std per band name (reflectance x 10000 scale)."""
    from hsiadapt.models.precision import import_terratorch

    reg = import_terratorch("terratorch.models.backbones.terramind.model.terramind_register")
    PRETRAINED_BANDS = reg.PRETRAINED_BANDS
    v1_pretraining_mean, v1_pretraining_std = reg.v1_pretraining_mean, reg.v1_pretraining_std

    key = "untok_sen2l2a@224"
    names = PRETRAINED_BANDS[key]
    return {
        n: (float(m), float(s))
        for n, m, s in zip(names, v1_pretraining_mean[key], v1_pretraining_std[key], strict=True)
    }

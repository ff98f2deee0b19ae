"""Float32 matrix-product precision: hsiadapt owns this global setting, not its dependencies.

Importing terratorch runs ``torch.set_float32_matmul_precision("medium")`` (its ``clay_v15``
backbone module does it at import time). On CPUs with bf16 matrix units (AMX-BF16) and on GPUs
every float32 matrix product then runs in reduced precision - a relative error of ~2e-3 instead
of ~5e-7 - for the whole process, whatever the run asked for. hsiadapt therefore

* imports terratorch only through :func:`import_terratorch`, which restores the setting the
  process had before the import, and
* derives the setting from the run's Lightning ``precision`` (:func:`matmul_precision_for`) and
  applies it with :func:`apply_precision` after the model is built (and again before training),
  so a terratorch imported by the user before hsiadapt cannot leak into a run either.

A run records both its ``precision`` and the float32 matmul precision in force in ``metrics.json``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Literal

import torch

__all__ = ["DEFAULT_PRECISION", "Precision", "apply_precision", "import_terratorch",
           "matmul_precision_for"]

#: the Lightning precisions a run may name (``trainer.precision``, a recipe's ``precision``)
Precision = Literal["64-true", "64", "double", "32-true", "32", "16-mixed", "bf16-mixed",
                    "16-true", "bf16-true", "16", "bf16", "transformer-engine",
                    "transformer-engine-float16"]

#: Lightning precision used when a run names none and no GPU is used.
DEFAULT_PRECISION: Precision = "32-true"

# Lightning precision -> torch float32 matmul precision. Full float32 runs keep every float32
# product in float32 ("highest"); mixed/half runs already accept reduced precision inside autocast,
# and the float32 products left outside it may use TF32 ("high"), never bf16 ("medium").
_MATMUL: dict[str, str] = {
    "64-true": "highest", "64": "highest", "double": "highest",
    "32-true": "highest", "32": "highest",
    "16-mixed": "high", "bf16-mixed": "high", "16-true": "high", "bf16-true": "high",
    "16": "high", "bf16": "high", "transformer-engine": "high",
    "transformer-engine-float16": "high",
}


def matmul_precision_for(precision: str | int) -> str:
    """The ``torch.set_float32_matmul_precision`` value for a Lightning ``precision``.

    Raises:
        ValueError: an unknown precision (the message lists the known ones).
    """
    key = str(precision)
    if key not in _MATMUL:
        raise ValueError(f"unknown precision {precision!r}; use one of "
                         f"{', '.join(sorted(_MATMUL))} (trainer.precision in a config)")
    return _MATMUL[key]


def apply_precision(precision: str | int = DEFAULT_PRECISION) -> str:
    """Set the process's float32 matmul precision for a run of this Lightning ``precision``.

    Returns:
        the matmul precision now in force (``"highest"`` or ``"high"``).
    """
    value = matmul_precision_for(precision)
    torch.set_float32_matmul_precision(value)
    return torch.get_float32_matmul_precision()


def import_terratorch(module: str) -> ModuleType:
    """Import a terratorch module without letting its import change global torch settings."""
    if not module.split(".")[0] == "terratorch":
        raise ValueError(f"import_terratorch imports terratorch modules, not {module!r}")
    before = torch.get_float32_matmul_precision()
    try:
        return importlib.import_module(module)
    finally:
        torch.set_float32_matmul_precision(before)

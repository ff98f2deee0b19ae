"""Where a run ran: package versions and hardware, recorded in its ``metrics.json``."""

from __future__ import annotations

import os
import platform
from typing import Any

__all__ = ["hardware", "package_versions"]


def package_versions() -> dict[str, str]:
    """Versions of the packages that decide a run's numbers (``absent`` if not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("hsiadapt", "torch", "lightning", "terratorch", "torchgeo", "numpy", "pyrsr"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def hardware() -> dict[str, Any]:
    """The machine a run ran on: architecture, CPUs, torch threads, GPUs."""
    import torch

    hw: dict[str, Any] = {"machine": platform.machine(), "cpus": os.cpu_count(),
                          "torch_threads": torch.get_num_threads(), "cuda": torch.cuda.is_available()}
    if torch.cuda.is_available():
        hw["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return hw

"""A backbone entry of an experiment grid (``backbones:`` in a config): a registered backbone,
its weights, and which adapters and tasks run with it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hsiadapt.experiment._values import ConfigError
from hsiadapt.hints import unknown_name

__all__ = ["BackboneSpec"]


@dataclass(frozen=True)
class BackboneSpec:
    """A backbone by registry name; ``pretrained`` / ``ckpt_path`` choose the weights.

    ``label`` names this entry in run ids, tables and ``--only backbone=`` (default: ``name``),
    so one architecture can appear twice with different weights (random init and a prior).
    ``adapters`` / ``tasks`` restrict which of the config's adapters and tasks run with it
    (default: all), e.g. a backbone with a patch embedding over 202 EnMAP bands runs only
    ``native``, and only on the EnMAP tasks. ``prior`` names the prior the weights are (e.g.
    ``s2``, ``hsi``: pretrained by ``hsiadapt pretrain``): records and ``results.csv`` show the
    run's init as ``<prior>_prior``.
    """

    name: str
    pretrained: bool = True
    ckpt_path: str | None = None
    target: str = "sentinel2_l2a"
    args: dict[str, Any] = field(default_factory=dict)
    label: str | None = None
    prior: str | None = None
    adapters: list[str] | None = None
    tasks: list[str] | None = None

    @property
    def id(self) -> str:
        """The entry's name in run ids and tables: ``label`` or else ``name``."""
        return self.label or self.name

    def validate(self, where: str) -> None:
        from hsiadapt.models.backbones import BACKBONES
        from hsiadapt.spectral import list_sensors

        if self.name not in BACKBONES:
            raise ConfigError(unknown_name("backbone", self.name, BACKBONES.names(), where))
        if self.target not in list_sensors():
            raise ConfigError(f"{where}: unknown target sensor {self.target!r}")
        if self.label is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*",
                                                       str(self.label)):
            raise ConfigError(f"{where}: label {self.label!r} names run folders: use letters, "
                              "digits, '_', '.' and '-' (no '__')")
        if self.prior is not None and not re.fullmatch(r"[A-Za-z0-9]+", str(self.prior)):
            raise ConfigError(f"{where}: prior {self.prior!r} names a column value "
                              "(<prior>_prior): use letters and digits, e.g. s2")
        if self.prior is not None and not self.pretrained:
            raise ConfigError(f"{where}: prior {self.prior!r} names pretrained weights but "
                              "pretrained is false; set pretrained: true (and ckpt_path) or "
                              "drop prior")
        if self.label is not None and "__" in str(self.label):
            raise ConfigError(f"{where}: label {self.label!r} must not contain '__' (it "
                              "separates the parts of a run id)")

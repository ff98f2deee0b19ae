"""The demo's grid: which runs ``hsiadapt demo`` makes, as an ordinary experiment config.

Rows (backbone entries, each with the adapters it runs):

* ``tm_tiny.random``: TerraMind v1 tiny, random init - ``select`` (``srf`` too in ``full``);
* ``tm_tiny.s2_prior``: the same architecture from the S2 prior pretrained here
  (``hsiadapt pretrain --prior s2``) - ``select``, ``srf``, ``linear``, ``full_spectrum``;
* ``tm_tiny_hsi.hsi_prior``: TerraMind v1 tiny with a patch embedding over all 202 EnMAP bands,
  from the HSI-native prior (``--prior hsi``) - ``native`` (the study's "upper bound" row);
* ``tm_tiny.pretrained``: the official TerraMind v1 tiny weights, only where they are available
  (Hugging Face cache or ``--ckpt-path``) - ``select``, ``srf``.

Tasks: each segmentation task twice, with every training chip and with a few (``_8chips``: a
label budget, the first 8 training chips), and the canopy regression with every training field
and with 16 (``_16fields``). Priors matter most where labels are few: at every budget the grid
compares the S2 prior with random init behind ``select``. The gap question (``linear``,
``full_spectrum``, HSI-native) is asked with every label, as the study did, on the task built
to have a gap (``DemoMode.gap_tasks``): the mineral classes differ in narrow SWIR features,
while on land cover 12 bands lose little (the classical rows show it per task: LDA on the full
spectra against LDA on the S2 bands; ``hsiadapt demo --cross-sensor`` trains the land-cover
gap rows). The HSI-native prior's patch embedding reads EnMAP's 202 bands, not HYPERVIEW's 150,
so the canopy task has no HSI-native row. The 202-band rows cost about three times a 12-band row
on a CPU; the default's cut (``select`` only behind random init, the gap rows on minerals only:
63 runs, 90 before) keeps it within ten minutes cached on two cores (README: 423 s against 724 s
for the 90 runs, back to back). ``full`` (the study's scale, for a GPU) asks every question on
every task.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hsiadapt.demo.pretrain import PretrainRecipe

__all__ = ["MODES", "DemoMode", "demo_config"]


@dataclass(frozen=True)
class DemoMode:
    """The scale of one demo mode (every field is reported)."""

    chip: int  # segmentation chip side (px); the priors are pretrained on chips of this size
    canopy_px: int  # canopy fields are padded to this side (they are 11-24 px)
    seeds: tuple[int, ...]
    epochs: int  # most epochs with every label (early stopping decides)
    epochs_few: int  # most epochs at the small label budget (one batch per epoch)
    patience: int
    budgets: dict[str, int | None]  # task suffix -> training chips (None: all)
    canopy_budgets: dict[str, int | None]
    priors: dict[str, PretrainRecipe]
    batch: int = 8
    lr: float = 5e-4
    head_channels: int = 32
    head_convs: int = 1
    workers: int = 2
    checkpoint_every: int = 5
    best_checkpoint: str = "weights"
    augmentation: str = "d4"  # segmentation; the study's random resized crop in "full"
    baseline_models: tuple[str, ...] = ("lda", "random_forest")
    baseline_pixels: int = 10_000  # training pixels drawn per classifier (and per seed)
    baseline_trees: int = 30
    baseline_seeds: tuple[int, ...] = (0, 1, 2)
    random_adapters: tuple[str, ...] = ("select", "srf")  # behind random init
    gap_tasks: tuple[str, ...] = ("landcover", "minerals")  # linear, full_spectrum, native
    extra: dict[str, Any] = field(default_factory=dict)


MODES: dict[str, DemoMode] = {
    "quick": DemoMode(
        chip=32, canopy_px=32, seeds=(0,), epochs=1, epochs_few=1, patience=1,
        budgets={"": None, "_8chips": 8}, canopy_budgets={"": None},
        priors={p: PretrainRecipe(prior=p, chip=32, corpus_chips=32, steps=4, batch_size=4)
                for p in ("s2", "hsi")},
        baseline_models=("lda",), baseline_seeds=(0,), random_adapters=("select",),
        gap_tasks=("minerals",)),
    "default": DemoMode(
        chip=64, canopy_px=32, seeds=(0, 1, 2), epochs=25, epochs_few=40, patience=6,
        budgets={"": None, "_8chips": 8}, canopy_budgets={"": None, "_16fields": 16},
        priors={p: PretrainRecipe(prior=p, chip=64, corpus_chips=1500, steps=300)
                for p in ("s2", "hsi")}, baseline_seeds=(0,), random_adapters=("select",),
        gap_tasks=("minerals",)),
    # the study's scale where it can be had: ten seeds, 100 epochs, its decoder (for a GPU)
    "full": DemoMode(
        chip=64, canopy_px=32, seeds=tuple(range(42, 52)), epochs=100, epochs_few=200,
        patience=20, budgets={"": None, "_8chips": 8}, canopy_budgets={"": None, "_16fields": 16},
        priors={p: PretrainRecipe(prior=p, chip=64, corpus_chips=15000, steps=3000)
                for p in ("s2", "hsi")},
        head_channels=256, head_convs=4, workers=1, checkpoint_every=1, best_checkpoint="full",
        augmentation="study_segmentation"),
}

#: backbone entry label -> (registry name, prior, adapters); random init runs the mode's
#: ``random_adapters`` of these
ROWS: dict[str, tuple[str, str | None, list[str]]] = {
    "tm_tiny.random": ("terramind_v1_tiny", None, ["select", "srf"]),
    "tm_tiny.s2_prior": ("terramind_v1_tiny", "s2", ["select", "srf", "linear", "full_spectrum"]),
    "tm_tiny_hsi.hsi_prior": ("terramind_v1_tiny_hsi", "hsi", ["native"]),
}

#: the demo's input strategies: (input mode, its args, on the gap tasks only, maps to S2's
#: bands - so takes ``coverage: drop`` on HYPERVIEW)
_ADAPTERS: tuple[tuple[str, dict[str, Any], bool, bool], ...] = (
    ("select", {}, False, True),
    ("srf", {}, False, True),
    ("linear", {"init": "srf"}, True, True),
    ("full_spectrum", {}, True, True),
    ("native", {}, True, False),
)


def _tasks(m: DemoMode) -> list[dict[str, Any]]:
    seg = {"max_epochs": m.epochs, "patience": m.patience, "batch_size": m.batch,
           "image_size": m.chip, "lr": m.lr, "monitor": None,  # select on the task's metric
           "augmentation": m.augmentation, "cosine_t_max": m.epochs,  # anneal within the cap
           "head": {"channels": m.head_channels, "num_convs": m.head_convs, "dropout": 0.1}}
    reg = {"max_epochs": m.epochs, "patience": m.patience, "batch_size": m.batch,
           "image_size": None, "lr": m.lr, "monitor": None, "weight_decay": 1e-4,
           "head": {"hidden": 64, "dropout": 0.2}}
    tasks = []
    for name, ds in (("landcover", "demo_landcover"), ("minerals", "demo_minerals")):
        for suffix, n in m.budgets.items():
            over = (dict(seg, max_epochs=m.epochs_few, cosine_t_max=m.epochs_few)
                    if n is not None else seg)
            tasks.append({"name": name + suffix, "dataset": ds, "root": "spectralearth",
                          "dataset_args": {"train_subset": n} if n else {},
                          "recipe": "study_segmentation", "recipe_overrides": over,
                          "normalization": "data"})
    for suffix, n in m.canopy_budgets.items():
        args: dict[str, Any] = {"size": ["pad", m.canopy_px], "val_fraction": 0.2,
                                "test_fraction": 0.2, "seed": 0}
        if n:
            args["train_subset"] = n
        tasks.append({"name": "canopy" + suffix, "dataset": "demo_canopy", "root": "canopy",
                      "dataset_args": args, "recipe": "study_hyperview",
                      "recipe_overrides": dict(reg, max_epochs=m.epochs_few) if n else reg,
                      "normalization": "data"})
    return tasks


def demo_config(mode: str, data: Path, out: Path, priors: dict[str, Path], *,
                pretrained_ckpt: str | None = None, hf_weights: bool = False) -> dict[str, Any]:
    """The experiment config (a dict, written as YAML) of ``mode``'s grid.

    ``priors``: prior name (``s2``, ``hsi``) -> its checkpoint. ``pretrained_ckpt`` /
    ``hf_weights``: add the official TerraMind v1 tiny weights as a row.
    """
    m = MODES[mode]
    tasks = _tasks(m)
    backbones: list[dict[str, Any]] = []
    for label, (name, prior, row_adapters) in ROWS.items():
        if prior is None:
            row_adapters = [a for a in row_adapters if a in m.random_adapters]
        entry: dict[str, Any] = {"name": name, "label": label, "adapters": row_adapters,
                                 "pretrained": prior is not None}
        if prior is not None:
            entry["ckpt_path"] = str(Path(priors[prior]).resolve())
            entry["prior"] = prior
        backbones.append(entry)
    if pretrained_ckpt or hf_weights:
        entry = {"name": "terramind_v1_tiny", "label": "tm_tiny.pretrained",
                 "adapters": ["select", "srf"], "pretrained": True}
        if pretrained_ckpt:
            entry["ckpt_path"] = str(Path(pretrained_ckpt).resolve())
        backbones.append(entry)
    gap = [t["name"] for t in tasks if t["name"] in m.gap_tasks]  # every label, EnMAP
    adapters: list[dict[str, Any]] = []
    for a, args, gap_only, to_s2 in _ADAPTERS:
        spec: dict[str, Any] = {"name": a, "input_mode": a}
        if args:
            spec["args"] = dict(args)
        if gap_only:
            spec["tasks"] = gap
        if to_s2:  # HYPERVIEW's VNIR bands do not reach S2's SWIR bands: drop those
            spec["task_args"] = {t["name"]: {"coverage": "drop"} for t in tasks
                                 if t["dataset"] == "demo_canopy"}
        adapters.append(spec)
    return {
        "name": f"demo-{mode}",
        "description": "hsiadapt demo on the embedded benchmark (not the study's data)",
        "data_root": str(data),
        "output": str(out / "runs"),
        "seeds": list(m.seeds),
        "tasks": tasks,
        "adapters": adapters,
        "backbones": backbones,
        "trainer": {"accelerator": "cpu", "devices": 1, "logger": ["csv"],
                    "checkpoint_every_n_epochs": m.checkpoint_every,
                    "best_checkpoint": m.best_checkpoint},
    }

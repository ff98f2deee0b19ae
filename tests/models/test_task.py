import math

import lightning as L
import pytest
import torch

from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.models.model import build_model
from hsiadapt.models.recipes import RECIPES, get_recipe
from hsiadapt.models.task import RegressionTask, SegmentationTask, build_task


def _fit(task, dm, epochs=2):
    tr = L.Trainer(max_epochs=epochs, accelerator="cpu", logger=False,
                   enable_checkpointing=False, enable_progress_bar=False,
                   enable_model_summary=False, num_sanity_val_steps=0)
    tr.fit(task, dm)
    tr.test(task, dm, verbose=False)
    return tr


@pytest.mark.parametrize(("dataset", "args", "recipe"), [
    ("enmap_bnetd", {}, "study_segmentation"),
    ("enmap_corine", {}, "study_multilabel"),
    ("hyperview1", {"size": ("pad", 16), "val_fraction": 0.34, "test_fraction": 0.34},
     "study_hyperview"),
])
def test_tasks_train_and_report(data_dir, dataset, args, recipe):
    L.seed_everything(0)
    root = data_dir / ("spectralearth/root" if dataset.startswith("enmap") else "hyperview1/root")
    dm = HSIDataModule(dataset, root, dataset_args=args, adapter=None, batch_size=2,
                       size=16 if dataset.startswith("enmap") else None)
    dm.setup("fit")
    r = get_recipe(recipe).with_(lr=1e-3, precision="32-true")
    mode = "srf" if dataset != "hyperview1" else "select"
    model = build_model(task=r.task, source=dm.info.bands, input_mode=mode, backbone="stub",
                        num_outputs=len(getattr(dm.info, "classes", ()) or dm.info.targets),
                        pretrained=False, adapter_args={"coverage": "drop"},
                        head_args={"channels": 8, "num_convs": 3} if r.task == "segmentation"
                        else {}, mask_channel=r.mask_channel)
    task = build_task(model, r, dm.info)
    _fit(task, dm)
    key = {"segmentation": "test/miou", "multilabel": "test/map_macro",
           "regression": "test/hyperview_score"}[r.task]
    assert key in task.last_metrics and math.isfinite(task.last_metrics[key])
    if r.task == "regression":
        assert {"test/mse_P", "test/mse_pH"} <= set(task.last_metrics)


def test_class_weights_and_recipe_presets():
    assert RECIPES["study_segmentation"].lr == 3e-5 and RECIPES["study_hyperview"].lr == 5.4e-5
    assert RECIPES["study_segmentation"].head["dropout"] == 0.21
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode="srf",
                    backbone="stub", num_outputs=3, pretrained=False)
    with pytest.raises(ValueError, match="2 class weights for 3 classes"):
        SegmentationTask(m, RECIPES["study_segmentation"], num_classes=3, class_weights=[1, 2])
    t = SegmentationTask(m, RECIPES["study_segmentation"], num_classes=3,
                         class_weights=[1.0, 2.0, 0.5])
    out = torch.zeros(1, 3, 2, 2)
    out[:, 1] = 5.0
    loss = t.loss(out, {"mask": torch.tensor([[[0, 1], [2, -1]]])})
    assert torch.isfinite(loss)
    opt = t.configure_optimizers()
    assert isinstance(opt["lr_scheduler"]["scheduler"], torch.optim.lr_scheduler.CosineAnnealingLR)


def test_regression_standardises_targets():
    m = build_model(task="regression", source="hyperview", input_mode="select", backbone="stub",
                    num_outputs=2, pretrained=False, adapter_args={"coverage": "drop"})
    t = RegressionTask(m, RECIPES["study_hyperview"], target_mean=[10.0, 1.0],
                       target_std=[2.0, 0.5], target_names=["a", "b"])
    zero = t.loss(torch.tensor([[1.0, -2.0]]), {"label": torch.tensor([[12.0, 0.0]])})
    assert zero.item() == pytest.approx(0.0)
    torch.testing.assert_close(t.predict_original(torch.tensor([[1.0, -2.0]])),
                               torch.tensor([[12.0, 0.0]]))
    opt = t.configure_optimizers()
    assert opt["lr_scheduler"]["monitor"] == "val/loss"


@pytest.mark.slow
def test_terramind_tiny_finetunes_on_potsdam(realdata):
    """A few steps of terramind_v1_tiny + srf + FCN decoder on the real tiles: the loss falls."""
    L.seed_everything(0)
    dm = HSIDataModule("hsi_folder", realdata / "enmap_potsdam_tiles",
                       dataset_args={"mask_dir": "labels", "background_codes": [0]}, adapter=None,
                       batch_size=8, size=32,
                       augment=False)
    dm.setup("fit")
    model = build_model(task="segmentation", source=dm.info.bands, input_mode="srf",
                        backbone="terramind_v1_tiny", num_outputs=6, pretrained=False,
                        head_args={"channels": 64, "num_convs": 4})
    task = build_task(model, get_recipe("study_segmentation").with_(lr=1e-3), dm.info)
    opt = torch.optim.AdamW(task.parameters(), lr=1e-3)
    batch = next(iter(dm.train_dataloader()))
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = task.training_step(batch, 0)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]

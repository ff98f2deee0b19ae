"""``augmentation_on: device``: the training augmentation on batches, after the transfer."""

from types import SimpleNamespace

import pytest
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as TF

from hsiadapt.data.collate import same_size_collate
from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.data.device_augment import DeviceAugment, normalize_batch
from hsiadapt.data.transforms import HyperviewAugment, Normalize

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


def _batch(n=6, side=40, bands=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return {"image": torch.rand(n, bands, side, side, generator=g),
            "mask": torch.randint(-1, 7, (n, side, side), generator=g),
            "valid": torch.rand(n, side, side, generator=g) > 0.1}


def test_segmentation_is_torchvision_resize_then_resized_crop_of_kornias_boxes():
    b = _batch()
    aug = DeviceAugment("study_segmentation", 32, crop_scale=(0.4, 1.0))
    torch.manual_seed(3)
    out = aug(b)
    [crop] = (p.data for p in aug._pipeline(("image", "masks"))._params)
    vflip, hflip = aug.flips
    assert out["image"].shape == (6, 5, 32, 32) and out["mask"].dtype == torch.int64
    assert out["valid"].dtype == torch.bool
    image = TF.resize(b["image"], [32, 32], antialias=False)
    masks = {k: TF.resize(b[k][:, None].long(), [32, 32], interpolation=InterpolationMode.NEAREST)
             for k in ("mask", "valid")}
    for i in range(6):
        (x0, y0), (x1, y1) = crop["src"][i, 0].tolist(), crop["src"][i, 2].tolist()
        box = int(y0), int(x0), int(y1 - y0 + 1), int(x1 - x0 + 1)
        want = TF.resized_crop(image[i], *box, [32, 32], antialias=False)
        want_m = {k: TF.resized_crop(v[i], *box, [32, 32],
                                     interpolation=InterpolationMode.NEAREST_EXACT)[0]
                  for k, v in masks.items()}
        for flip, dim in ((vflip[i], -2), (hflip[i], -1)):
            if flip:
                want, want_m = want.flip(dim), {k: v.flip(dim) for k, v in want_m.items()}
        torch.testing.assert_close(out["image"][i], want, atol=1e-6, rtol=0)
        assert torch.equal(out["mask"][i], want_m["mask"])
        assert torch.equal(out["valid"][i], want_m["valid"].bool())
    # the draws are random per chip, not one for the batch
    assert len({tuple(crop["src"][i].flatten().tolist()) for i in range(6)}) > 1


def test_every_draw_comes_from_the_cpu_generator():
    aug = DeviceAugment("study_segmentation", 32)
    outs = []
    for _ in range(2):
        torch.manual_seed(11)
        outs.append(aug(_batch()))
    for k in ("image", "mask", "valid"):
        assert torch.equal(outs[0][k], outs[1][k])
    assert all(p.data["src"].device.type == "cpu"
               for p in aug._pipeline(("image", "masks"))._params)
    assert aug.flips.device.type == "cpu" and aug.flips.any() and not aug.flips.all()


@pytest.mark.parametrize("name", ["study_hyperview", "d4"])
def test_per_chip_augmentations_on_a_batch_equal_the_loader_path(name):
    b = _batch(side=32)
    b.pop("mask")
    aug = DeviceAugment(name, 32, augmentation_args={"noise_clip": True}
                        if name == "study_hyperview" else {})
    torch.manual_seed(5)
    out = aug(b)
    torch.manual_seed(5)
    per = aug.per_chip
    assert isinstance(per, HyperviewAugment) == (name == "study_hyperview")
    for i in range(6):
        want = per({"image": b["image"][i], "valid": b["valid"][i]})
        assert torch.equal(out["image"][i], want["image"])
        assert torch.equal(out["valid"][i], want["valid"])


def test_normalize_batch_equals_the_per_chip_normalisation():
    b = _batch()
    mean, std = torch.rand(5), torch.rand(5)
    std[2] = 0  # a constant band: only centred
    out = normalize_batch(b, mean, std)
    norm = Normalize(mean, std)
    for i in range(6):
        want = norm({"image": b["image"][i], "valid": b["valid"][i]})["image"]
        torch.testing.assert_close(out["image"][i], want, atol=1e-6, rtol=0)


def test_chips_of_mixed_sizes_get_advice():
    a, b = _batch(n=1, side=16), _batch(n=1, side=20)
    with pytest.raises(ValueError, match="augmentation_on: loader"):
        same_size_collate([{k: v[0] for k, v in a.items()}, {k: v[0] for k, v in b.items()}])


def _dm(data_dir, tmp_path, on):
    return HSIDataModule("enmap_bnetd", data_dir / "spectralearth/root", batch_size=2, size=16,
                         cache_dir=tmp_path / on, augmentation_on=on)


def test_datamodule_augments_training_batches_after_the_transfer(data_dir, tmp_path):
    dm = _dm(data_dir, tmp_path, "device")
    dm.setup("fit")
    raw = next(iter(dm.train_dataloader()))
    native = raw["image"].shape[-1]
    assert native != 16  # the workers only read: no resize, no normalisation
    dm.trainer = SimpleNamespace(training=False)
    assert dm.on_after_batch_transfer(raw, 0) is raw  # validation / test batches pass through
    dm.trainer = SimpleNamespace(training=True)
    torch.manual_seed(0)
    out = dm.on_after_batch_transfer(raw, 0)
    assert out["image"].shape == (2, 12, 16, 16) and out["mask"].shape == (2, 16, 16)
    torch.manual_seed(0)
    want = normalize_batch(dm.device_augment(raw), *dm.statistics.tensors())
    torch.testing.assert_close(out["image"], want["image"])
    # evaluation splits are the loader path's, unchanged
    ref = _dm(data_dir, tmp_path, "loader")
    ref.setup("fit")
    v, w = next(iter(dm.val_dataloader())), next(iter(ref.val_dataloader()))
    assert torch.equal(v["image"], w["image"])


def test_unknown_setting_names_the_recipe_key(data_dir, tmp_path):
    with pytest.raises(ValueError, match="recipe key 'augmentation_on'"):
        _dm(data_dir, tmp_path, "gpu")


@pytest.mark.gpu
@CUDA
def test_same_batches_on_cpu_and_gpu():
    aug = DeviceAugment("study_segmentation", 32)
    b = _batch()
    torch.manual_seed(2)
    cpu = aug(b)
    torch.manual_seed(2)
    gpu = aug({k: v.cuda() for k, v in b.items()})
    torch.testing.assert_close(gpu["image"].cpu(), cpu["image"], atol=1e-5, rtol=0)
    assert torch.equal(gpu["mask"].cpu(), cpu["mask"])
    hyper = DeviceAugment("study_hyperview", 32)
    b = _batch(side=32)
    torch.manual_seed(4)
    cpu = hyper(b)
    torch.manual_seed(4)
    gpu = hyper({k: v.cuda() for k, v in b.items()})
    torch.testing.assert_close(gpu["image"].cpu(), cpu["image"], atol=1e-5, rtol=0)


def test_a_run_with_device_augmentation_finishes_under_its_own_fingerprint(tmp_path,
                                                                           monkeypatch):
    import dataclasses

    from hsiadapt.experiment.config import load_config
    from hsiadapt.experiment.record import read_record
    from hsiadapt.experiment.sweep import run_sweep
    from hsiadapt.models.recipes import Recipe
    from tests.experiment.conftest import write_tiny_config

    calls = []
    forward = DeviceAugment.forward
    monkeypatch.setattr(DeviceAugment, "forward",
                        lambda self, b: calls.append(b["image"].shape) or forward(self, b))
    digests = {}
    for on in ("loader", "device"):
        (tmp_path / on).mkdir()
        path = write_tiny_config(tmp_path / on, seeds=(0,), adapters=("srf",))
        path.write_text(path.read_text().replace("lr: 0.001,",
                                                 f"lr: 0.001, augmentation_on: {on},"))
        cfg = load_config(path)
        [spec] = cfg.runs()
        [res] = run_sweep(cfg, [spec], echo=lambda s: None)
        assert res.status == "finished", res.error
        assert 0 <= read_record(tmp_path / on / "runs" / res.run_id).test["miou"] <= 1
        digests[on] = spec.digest()
    assert digests["loader"] != digests["device"]
    # Lightning called the hook on every training batch of the device run (and only there)
    assert calls and all(shape[-1] != 16 for shape in calls)
    # the default leaves the digest of runs made before the setting existed as it was
    (tmp_path / "plain").mkdir()
    [spec] = load_config(write_tiny_config(tmp_path / "plain", seeds=(0,),
                                           adapters=("srf",))).runs()
    new = spec.digest()
    monkeypatch.setattr(Recipe, "to_dict", lambda self: {
        k: v for k, v in dataclasses.asdict(self).items() if k != "augmentation_on"})
    assert new == spec.digest()

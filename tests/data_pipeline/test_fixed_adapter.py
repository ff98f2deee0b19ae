"""A fixed adapter is applied in one place (:class:`FixedAdapter`): the data module's pipeline,
its adapted-band cache and ``predict``'s image preparation give the model the same numbers."""

import pytest
import torch

from hsiadapt.adapters import build_adapter
from hsiadapt.data.cache import AdaptedCache
from hsiadapt.data.datamodule import HSIDataModule
from hsiadapt.data.fixed_adapter import FixedAdapter
from hsiadapt.datasets import EnMAPBNETD
from hsiadapt.experiment.inference import input_fwhm, input_wavelengths, prepare_image


def _module(root, adapter, cache_dir=None):
    dm = HSIDataModule("enmap_bnetd", root, adapter=adapter, normalization="none", size=None,
                       augment=False, cache_dir=cache_dir)
    dm.setup("fit")
    return dm


@pytest.mark.parametrize("name", ["select", "srf"])
def test_pipeline_cache_and_predict_give_the_same_arrays(data_dir, tmp_path, name):
    root = data_dir / "spectralearth/root"
    raw = EnMAPBNETD(root, "train")
    piped = _module(root, name)
    cached = _module(root, name, cache_dir=tmp_path)
    assert isinstance(cached.splits["train"].base.base, AdaptedCache)  # the cache path (kept)
    assert len(raw) == len(piped.splits["train"]) == len(cached.splits["train"]) > 1
    for i in range(len(raw)):
        s = raw[i]
        a, b = piped.splits["train"][i], cached.splits["train"][i]
        valid = s["valid"] if "valid" in s else torch.ones(s["image"].shape[1:], dtype=bool)
        c = prepare_image(s["image"], valid, piped.adapter, None)  # predict's path
        assert a["image"].shape == (len(piped.adapter.target), *s["image"].shape[1:])
        assert torch.equal(a["image"], b["image"])
        assert torch.equal(a["image"] * valid[None], c)
        for key, fn in (("wavelength", input_wavelengths), ("fwhm", input_fwhm)):
            want = fn(piped.adapter, raw.bands)
            assert torch.equal(a[key].nan_to_num(-1), want.nan_to_num(-1))
            assert torch.equal(b[key].nan_to_num(-1), want.nan_to_num(-1))
    # and what each path applies is the adapter itself, as one matrix product per pixel
    x = raw[0]["image"]
    assert torch.equal(piped.splits["train"][0]["image"],
                       build_adapter(name, raw.bands).eval()(x[None])[0].detach())


def test_a_batch_and_single_samples_are_adapted_alike(data_dir):
    raw = EnMAPBNETD(data_dir / "spectralearth/root", "train")
    fixed = FixedAdapter.build("srf", raw.bands)
    samples = [raw[i] for i in range(len(raw))]
    batched = fixed.samples(samples)
    for s, t in zip(samples, batched, strict=True):
        one = fixed.sample(s)
        assert torch.allclose(one["image"], t["image"], rtol=1e-6, atol=1e-3)
        assert not t["image"].requires_grad and t["image"].dtype == torch.float32


def test_a_trainable_adapter_is_refused_by_every_path(data_dir, tmp_path):
    raw = EnMAPBNETD(data_dir / "spectralearth/root", "train")
    with pytest.raises(ValueError, match="only fixed adapters run in the data pipeline.*"
                                         "adapter 'linear' is trainable"):
        FixedAdapter.build("linear", raw.bands)
    with pytest.raises(ValueError, match="adapter 'linear' is trainable: put it in the model"):
        _module(data_dir / "spectralearth/root", "linear")

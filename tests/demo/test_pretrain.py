"""A prior pretrained here loads through the same path as a real TerraMind checkpoint."""

import pytest
import torch

from hsiadapt.cli import main
from hsiadapt.demo.pretrain import PretrainRecipe, build_corpus, pretrain, prior_path
from hsiadapt.models.backbones import build_backbone
from hsiadapt.models.model import build_model

TINY = PretrainRecipe(corpus_chips=16, steps=4, batch_size=4, chip=32)


@pytest.fixture(scope="module")
def prior(tmp_path_factory):
    return pretrain(TINY, cache_dir=tmp_path_factory.mktemp("cache"), echo=lambda s: None,
                    every=2)


def test_corpus_is_fine_classes_in_s2_bands():
    imgs, labels, n = build_corpus(TINY)
    assert imgs.shape == (16, 12, 32, 32) and labels.shape == (16, 32, 32)
    assert n == 25 and 1 <= labels.min() and labels.max() < n  # 24 fine classes, no background
    assert 0 <= imgs.min() and imgs.max() <= 1  # reflectance


def test_prior_loads_through_ckpt_path_and_fine_tuning_starts_from_it(prior):
    saved = torch.load(prior, map_location="cpu", weights_only=True)
    random = build_backbone("terramind_v1_tiny", pretrained=False)
    assert set(saved) == set(random.module.state_dict())  # the TerraMind checkpoint format
    bb = build_backbone("terramind_v1_tiny", ckpt_path=str(prior))  # terratorch's loader
    assert bb.pretrained == f"ckpt:{prior}"
    for k, v in bb.module.state_dict().items():
        torch.testing.assert_close(v, saved[k], msg=k)
    # a fine-tuning model for EnMAP data behind the SRF adapter starts from those weights
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode="srf",
                    backbone="terramind_v1_tiny", num_outputs=4, ckpt_path=str(prior),
                    pretrained=True, head_args={"channels": 8, "num_convs": 1})
    enc = m.backbone.state_dict()
    k = "encoder.0.attn.qkv.weight"
    torch.testing.assert_close(enc[k], saved[k])
    assert not torch.allclose(random.module.state_dict()[k], saved[k])


def test_cached_and_resumed(tmp_path, prior):
    # a second call finds the cached prior
    cache = prior.parent.parent
    assert pretrain(TINY, cache_dir=cache, echo=lambda s: None) == prior
    # an interrupted pretraining resumes and ends where an uninterrupted one ends
    lines: list[str] = []

    def stop_at_2(line):
        lines.append(line)
        if "step 2/" in line:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        pretrain(TINY, cache_dir=tmp_path, echo=stop_at_2, every=2)
    assert prior_path(TINY, tmp_path).with_suffix(".partial.pt").is_file()
    resumed = pretrain(TINY, cache_dir=tmp_path, echo=lines.append, every=2)
    assert any("resuming from step 2" in ln for ln in lines)
    a = torch.load(resumed, weights_only=True)
    b = torch.load(prior, weights_only=True)
    for k in a:
        torch.testing.assert_close(a[k], b[k], msg=k)


def test_cli_pretrain(tmp_path, capsys):
    assert main(["pretrain", "--corpus-chips", "8", "--steps", "2", "--batch-size", "2",
                 "--chip", "32", "--cache-dir", str(tmp_path)]) == 0
    assert "ckpt_path:" in capsys.readouterr().out


def test_hsi_prior_loads_and_starts_a_native_model(tmp_path):
    recipe = PretrainRecipe(prior="hsi", corpus_chips=8, steps=2, batch_size=2, chip=32)
    path = pretrain(recipe, cache_dir=tmp_path, echo=lambda s: None, every=1)
    assert path.name.startswith("terramind_v1_tiny_hsi-hsi-")
    saved = torch.load(path, map_location="cpu", weights_only=True)
    proj = next(v for k, v in saved.items() if k.endswith("proj.weight"))
    assert proj.shape == (192, 16 * 16 * 202)  # a patch embedding over every EnMAP band
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode="native",
                    backbone="terramind_v1_tiny_hsi", num_outputs=4, ckpt_path=str(path),
                    pretrained=True, head_args={"channels": 8, "num_convs": 1})
    assert m.backbone_info.pretrained == f"ckpt:{path}"
    for k, v in m.backbone.state_dict().items():
        torch.testing.assert_close(v, saved[k], msg=k)
    out = m(torch.rand(1, 202, 32, 32))
    assert out.shape == (1, 4, 32, 32)


def test_corpus_renderer_draws_the_benchmark_generators_scenes():
    """The fast corpus renderer (abundance space, float32) makes the scene the benchmark's
    generator makes from the same seed: the same labels, the same spectra up to the noise."""
    import numpy as np

    from hsiadapt.demo.generate import _scene, scene_by_abundance
    from hsiadapt.demo.pretrain import Corpus

    c = Corpus(PretrainRecipe(prior="hsi", chip=32))
    quiet = np.full(c.n_bands, 1e9)  # noise: only the 0.0005 floor is left
    for seed in range(3):
        a, la = _scene(np.random.default_rng([7, seed]), 32, c.pools, c.spectra, quiet,
                       sorted(c.pools), 0.0)
        b, lb = scene_by_abundance(np.random.default_rng([7, seed]), 32, c.pools, c.spectra,
                                   quiet, sorted(c.pools), 0.0)
        assert b.dtype == np.float32 and b.shape == a.shape == (202, 32, 32)
        np.testing.assert_array_equal(la, lb)
        assert np.abs(a - b).mean() < 1e-3 < a.mean()  # two draws of the 0.0005 noise floor


def test_sigterm_stops_pretrain_with_a_message_and_it_resumes(tmp_path):
    """Issue 22.12: ``pretrain`` died on SIGTERM without a word. Now it says the step reached
    and where it resumes, exits 143 as ``run`` does, and the same command resumes."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    cmd = [sys.executable, "-m", "hsiadapt", "pretrain", "--corpus-chips", "8", "--steps",
           "100000", "--batch-size", "2", "--chip", "32", "--cache-dir", str(tmp_path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}

    def run_until(word: str) -> tuple[int, list[str], str]:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        lines = []
        t0 = time.time()
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip())
            if word in line:
                proc.send_signal(signal.SIGTERM)
                break
            assert time.time() - t0 < 600, lines
        out, err = proc.communicate(timeout=300)
        return proc.returncode, lines + out.splitlines(), err

    code, lines, err = run_until("step 25/100000")  # the first partial checkpoint is saved
    assert code == 143, (code, lines[-5:], err[-2000:])
    stop = [ln for ln in lines if "[pretrain] SIGTERM: stopped at step" in ln]
    assert len(stop) == 1 and "resumes from step " in stop[0] and ".partial.pt" in stop[0], lines
    saved = int(stop[0].split("resumes from step ")[1].split()[0])
    assert saved >= 25
    assert "hsiadapt: stopped by SIGTERM; re-run the same command to resume" in err
    assert "Traceback" not in err
    code, lines, err = run_until("resuming from step")
    assert code == 143, (code, err[-2000:])
    assert any(f"resuming from step {saved} " in ln for ln in lines), lines

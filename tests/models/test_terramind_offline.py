"""pretrained: true on a machine without network fails in about a second (it used to spend
~30 s in download retries), with the error naming both fixes."""

from __future__ import annotations

import time

import pytest

from hsiadapt.models.backbones import terramind
from hsiadapt.models.backbones.base import WeightsNotFoundError


@pytest.fixture
def no_cache(monkeypatch):
    monkeypatch.setattr(terramind, "hf_cached", lambda repo, filename: None)


def test_unreachable_hub_fails_fast_without_hf_hub_offline(monkeypatch, no_cache):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    monkeypatch.delenv("https_proxy", raising=False)
    # a closed local port: unreachable here and on any CI machine, network or not
    monkeypatch.setenv("HF_ENDPOINT", "https://127.0.0.1:9")
    factory = terramind._terramind("terramind_v1_tiny", 192)
    t0 = time.perf_counter()
    with pytest.raises(WeightsNotFoundError, match=r"huggingface-cli download .* ckpt_path"):
        factory(pretrained=True)
    assert time.perf_counter() - t0 < terramind.PROBE_TIMEOUT_S + 1.0


def test_hf_hub_offline_is_honoured_without_probing(monkeypatch, no_cache):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert "HF_HUB_OFFLINE" in str(terramind.hub_unreachable())
    with pytest.raises(WeightsNotFoundError, match="ConnectionError"):
        terramind._terramind("terramind_v1_tiny", 192)(pretrained=True)


def test_probe_gives_up_within_its_timeout(monkeypatch):
    import socket

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    def hang(*args, **kwargs):
        time.sleep(2)
        raise OSError("a resolver that hangs")

    monkeypatch.setattr(socket, "create_connection", hang)
    t0 = time.perf_counter()
    assert terramind.hub_unreachable(timeout=0.5) is not None
    assert time.perf_counter() - t0 < 1.5


def test_hub_files_match_terratorch():
    from hsiadapt.models.precision import import_terratorch

    tm = import_terratorch("terratorch.models.backbones.terramind.model.terramind_register")
    for variant, (repo, filename) in terramind.HUB_FILES.items():
        info = tm.pretrained_weights[variant]
        assert (repo, filename) == (info["hf_hub_id"], info["hf_hub_filename"])


def test_run_prints_the_whole_error_in_yaml_terms(monkeypatch, no_cache, tmp_path, capsys):
    """The sweep's one-line summary cuts errors at 200 characters; `hsiadapt run` prints each
    failure's cause once in full, with Python spellings turned into the config's keys."""
    import textwrap
    from pathlib import Path

    from hsiadapt.cli import main

    data = Path(__file__).resolve().parents[1] / "data/hsi_folder/root"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(textwrap.dedent(f"""
    name: offline
    data_root: {data}
    seeds: [0]
    tasks:
      - {{name: t, dataset: hsi_folder, root: ., recipe_overrides: {{max_epochs: 1}}}}
    adapters:
      - {{name: select, input_mode: select, args: {{coverage: nearest}}}}
    backbones:
      - {{name: terramind_v1_tiny, pretrained: true}}
    """))
    t0 = time.perf_counter()
    assert main(["run", str(cfg)]) == 1
    assert time.perf_counter() - t0 < 30  # no download retries (the data pipeline runs first)
    err = capsys.readouterr().err
    assert "hsiadapt: run failed: WeightsNotFoundError" in err and "huggingface-cli download" in err
    assert "ckpt_path: /path/to/TerraMind_v1_tiny.pt (in the config's backbone)" in err
    assert "pretrained: false (in the config's backbone)" in err and "pretrained=False" not in err

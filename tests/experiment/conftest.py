import textwrap
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


def write_tiny_config(tmp: Path, *, seeds=(0, 1), adapters=("select", "srf"), extra_task=""):
    text = textwrap.dedent(f"""
    name: tiny
    data_root: {DATA}
    output: {tmp / "runs"}
    seeds: {list(seeds)}
    tasks:
      - name: bnetd
        dataset: enmap_bnetd
        root: spectralearth/root
        recipe: study_segmentation
        recipe_overrides: {{max_epochs: 1, batch_size: 2, image_size: 16, lr: 0.001,
                            head: {{channels: 8, num_convs: 3, dropout: 0.0}}}}
        normalization: data
    {extra_task}
    adapters:
    """)
    for a in adapters:
        text += f"  - name: {a}\n    input_mode: {a}\n"
    text += textwrap.dedent("""
    backbones:
      - name: stub
        pretrained: false
    trainer:
      accelerator: cpu
    """)
    p = tmp / "tiny.yaml"
    p.write_text(text)
    return p


@pytest.fixture
def tiny_config(tmp_path):
    return write_tiny_config(tmp_path)

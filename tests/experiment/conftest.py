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


def flip_tensor_bits(path: Path) -> list[str]:
    """Flip one bit inside every tensor stored in a checkpoint's zip (an exponent bit where the
    entry holds float32 values: weights, optimiser moments), leaving the zip valid (torch does
    not check the entries' CRCs). Returns the entries' names."""
    import zipfile

    import torch

    with zipfile.ZipFile(path) as z:
        infos = [i for i in z.infolist() if "/data/" in i.filename and i.file_size >= 16
                 and i.file_size % 4 == 0]
    data = bytearray(path.read_bytes())
    for info in infos:
        name_len, extra_len = (int.from_bytes(
            data[info.header_offset + k:info.header_offset + k + 2], "little") for k in (26, 28))
        start = info.header_offset + 30 + name_len + extra_len
        data[start + (info.file_size // 8) * 4 + 3] ^= 0x20  # float32: exponent + 64
    path.write_bytes(bytes(data))
    torch.load(path, map_location="cpu", weights_only=True)  # still loads
    return [i.filename for i in infos]

"""hsiadapt owns the float32 matmul precision: terratorch's import-time change must not leak."""

import subprocess
import sys
import textwrap

import pytest
import torch

from hsiadapt.models.precision import apply_precision, import_terratorch, matmul_precision_for

# In a fresh interpreter: the user imports terratorch first (its clay_v15 module lowers the
# precision to "medium"), then builds a model through hsiadapt. Afterwards the setting must be
# the run's and a float32 product must be float32-accurate (bf16 gives ~2e-3 on CPUs with AMX).
_SCRIPT = textwrap.dedent("""
    import json, torch
    import terratorch.models.backbones.clay_v15.model  # noqa: F401  (sets "medium" at import)
    leaked = torch.get_float32_matmul_precision()
    from hsiadapt.models.model import build_model
    m = build_model(task="segmentation", source="enmap_spectralearth", input_mode="srf",
                    backbone="terramind_v1_tiny", num_outputs=3, pretrained=False,
                    head_args={"channels": 8, "num_convs": 1})
    g = torch.Generator().manual_seed(0)
    a = torch.randn(512, 512, generator=g)
    b = torch.randn(512, 512, generator=g)
    ref = a.double() @ b.double()
    err = ((a @ b).double() - ref).abs().max().item() / ref.abs().max().item()
    print(json.dumps({"leaked": leaked, "after": torch.get_float32_matmul_precision(),
                      "recorded": m.matmul_precision, "rel_err": err}))
""")


def test_terratorch_precision_leak_closed():
    out = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True,
                         timeout=300, check=True)
    import json

    r = json.loads(out.stdout.strip().splitlines()[-1])
    # the leak this guards against still exists in the pinned terratorch
    assert r["leaked"] == "medium"
    assert r["after"] == "highest" and r["recorded"] == "highest"
    assert r["rel_err"] < 1e-5, r  # float32 accuracy; bf16 products give ~2e-3


def test_import_terratorch_restores_setting():
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("highest")
        import_terratorch("terratorch.models.backbones.clay_v15.model")
        assert torch.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(before)
    with pytest.raises(ValueError, match="terratorch modules"):
        import_terratorch("os")


@pytest.mark.parametrize(("precision", "expected"), [
    ("32-true", "highest"), ("64-true", "highest"), ("16-mixed", "high"), ("bf16-mixed", "high"),
])
def test_precision_mapping(precision, expected):
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("medium")
        assert apply_precision(precision) == expected
        assert torch.get_float32_matmul_precision() == expected
    finally:
        torch.set_float32_matmul_precision(before)


def test_unknown_precision_names_the_key():
    with pytest.raises(ValueError, match=r"trainer\.precision"):
        matmul_precision_for("half")

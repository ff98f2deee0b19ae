"""Every file hsiadapt writes is written atomically (issue 22.10: ``samples.npz``, the tables and
the figures were written in place): a scan of ``src/`` for writing calls (``write_text``,
``write_bytes``, ``open(..., "w")``, ``savefig``, ``np.save*``, ``torch.save``, ``open_memmap``)
whose target is not a temporary name from :func:`hsiadapt._atomic.atomic_path`; plus what an
interrupted write leaves behind."""

import ast
from pathlib import Path

import numpy as np
import pytest

from hsiadapt import _atomic
from hsiadapt._atomic import atomic_savefig, atomic_savez, atomic_write_text

SRC = Path(__file__).resolve().parents[1] / "src" / "hsiadapt"

# (file, function): why a plain write is right there
ALLOWED = {
    ("data/cache.py", "_build"): "inside the entry's temporary folder, renamed when complete",
    ("data/cache.py", "_write"): "inside the entry's temporary folder, renamed when complete",
    ("experiment/lock.py", "_create"): "the lock file, created with O_EXCL (its own protocol)",
    ("experiment/storage.py", "check_writable"): "a probe file, removed at once",
    ("experiment/checkpoint.py", "save_checkpoint"): "torch.save into memory (BytesIO) first",
    ("demo/generate.py", "_write_geotiff"): "the generated tree is written under a temporary "
                                            "name and renamed when complete",
    ("demo/generate.py", "_segmentation_task"): "the generated tree is written under a "
                                                "temporary name",
    ("demo/generate.py", "_canopy_task"): "the generated tree is written under a temporary name",
    ("demo/generate.py", "build_once"): "a generated tree's COMPLETE.json, before its rename",
    ("demo/other_sensors.py", "render_segmentation_tasks"): "the generated tree is written "
                                                            "under a temporary name",
}

_NP = {"save", "savez", "savez_compressed", "open_memmap"}


def _target(call: ast.Call) -> ast.expr | bool | None:
    """The path a writing call writes to (an expression), ``False`` when it writes nothing."""
    f = call.func
    name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
    if name in ("write_text", "write_bytes") and isinstance(f, ast.Attribute):
        return f.value
    if name == "save" and isinstance(f, ast.Attribute) and getattr(f.value, "id", "") == "torch":
        return call.args[1] if len(call.args) > 1 else None
    if name == "savefig" or (name in _NP and isinstance(f, ast.Attribute)):
        return call.args[0] if call.args else None
    if name in ("open", "fdopen"):
        mode = call.args[1] if len(call.args) > 1 else next(
            (k.value for k in call.keywords if k.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and \
                set(mode.value) & set("wax+"):
            return call.args[0] if call.args else None
    return False


def _atomic_names(fn: ast.AST) -> set[str]:
    """Names bound to a temporary from ``atomic_path`` in ``fn`` (and files opened on them)."""
    names: set[str] = set()
    for _ in range(2):  # `with atomic_path(p) as tmp, open(tmp, "wb") as f`
        for node in ast.walk(fn):
            if not isinstance(node, ast.With | ast.AsyncWith):
                continue
            for item in node.items:
                ce, var = item.context_expr, item.optional_vars
                if not (isinstance(ce, ast.Call) and isinstance(var, ast.Name)):
                    continue
                fname = getattr(ce.func, "id", getattr(ce.func, "attr", ""))
                if fname == "atomic_path" or (fname == "open" and ce.args and isinstance(
                        ce.args[0], ast.Name) and ce.args[0].id in names):
                    names.add(var.id)
    return names


def _plain_writes() -> dict[tuple[str, str], list[int]]:
    found: dict[tuple[str, str], list[int]] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        tree = ast.parse(path.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            ok = _atomic_names(fn)
            for node in ast.walk(fn):
                if not isinstance(node, ast.Call):
                    continue
                t = _target(node)
                if t is False or (isinstance(t, ast.Name) and t.id in ok):
                    continue
                found.setdefault((rel, fn.name), []).append(node.lineno)
    return found


def test_every_write_in_src_is_atomic_or_says_why_not():
    found = _plain_writes()
    unexplained = {k: v for k, v in found.items() if k not in ALLOWED}
    assert not unexplained, (
        f"plain (non-atomic) writes: {unexplained}; write through hsiadapt._atomic "
        "(atomic_path, atomic_write_text, atomic_savez, atomic_savefig), or add the function "
        "to ALLOWED with the reason")
    stale = sorted(set(ALLOWED) - set(found))
    assert not stale, f"ALLOWED entries that no longer write anything: {stale}"


def test_the_scan_sees_the_writes_it_is_meant_to(tmp_path):
    code = ("def f(p, fig, np, torch):\n"
            "    p.write_text('x')\n    fig.savefig(p)\n    np.savez_compressed(p, a=1)\n"
            "    torch.save({}, p)\n    open(p, 'w')\n"
            "    with atomic_path(p) as tmp, open(tmp, 'wb') as fh:\n"
            "        np.savez(fh)\n        tmp.write_bytes(b'')\n        open(p).read()\n")
    fn = ast.parse(code).body[0]
    ok = _atomic_names(fn)
    targets = [t for n in ast.walk(fn) if isinstance(n, ast.Call)
               and (t := _target(n)) is not False]
    plain = [t.lineno for t in targets if not (isinstance(t, ast.Name) and t.id in ok)]
    assert ok == {"tmp", "fh"} and plain == [2, 3, 4, 5, 6]


class _Boom(RuntimeError):
    pass


@pytest.mark.parametrize("kind", ["text", "npz", "figure"])
def test_an_interrupted_write_leaves_the_old_file_intact(tmp_path, monkeypatch, kind):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    target = tmp_path / {"text": "table1.md", "npz": "samples.npz", "figure": "f.png"}[kind]
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    write = {"text": lambda: atomic_write_text(target, "| new |\n" * 1000),
             "npz": lambda: atomic_savez(target, pred=np.arange(100000)),
             "figure": lambda: atomic_savefig(fig, target, dpi=50)}[kind]
    write()
    old = target.read_bytes()
    if kind == "npz":
        assert np.load(target)["pred"].sum() == np.arange(100000).sum()
    real_fsync = _atomic.os.fsync

    def killed(fd):  # the process dies after the data, before the rename
        raise _Boom("killed mid-write")

    monkeypatch.setattr(_atomic.os, "fsync", killed)
    if kind == "text":
        write = lambda: atomic_write_text(target, "| other |\n")  # noqa: E731
    with pytest.raises(_Boom):
        write()
    monkeypatch.setattr(_atomic.os, "fsync", real_fsync)
    plt.close(fig)
    assert target.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary left

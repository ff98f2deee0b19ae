"""Atomic writes: the file appears whole, with the mode any new file gets."""

import os
import stat

import pytest

from hsiadapt._atomic import atomic_path, atomic_write_text


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_atomic_files_honour_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        with atomic_path(tmp_path / "b.ckpt") as tmp:
            tmp.write_bytes(b"x")
        plain = tmp_path / "c.txt"
        plain.write_text("x")  # what an ordinary write gives
    finally:
        os.umask(old)
    want = 0o666 & ~umask
    for name in ("a.json", "b.ckpt", "c.txt"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == want, name
    assert (tmp_path / "a.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.ckpt", "c.txt"]

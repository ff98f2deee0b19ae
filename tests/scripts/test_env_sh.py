"""scripts/env.sh: a disk too full for the first install is refused before pip starts."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path, free_kib: int) -> tuple[Path, dict[str, str]]:
    """A copy of env.sh beside stand-in project files, and a PATH whose `df` reports free_kib."""
    project = tmp_path / "project"
    (project / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "env.sh", project / "scripts" / "env.sh")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (project / "requirements.lock").write_text("numpy==2.0.0\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    df = bin_dir / "df"
    df.write_text(
        "#!/bin/sh\n"
        "echo 'Filesystem 1024-blocks Used Available Capacity Mounted on'\n"
        f"echo '/dev/vda 264000000 263000000 {free_kib} 99% /'\n"
    )
    df.chmod(df.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    return project, env


def test_first_install_on_a_full_disk_stops_with_the_space_it_needs(tmp_path: Path) -> None:
    project, env = _project(tmp_path, free_kib=300 * 1024)
    proc = subprocess.run(
        ["bash", "scripts/env.sh"], cwd=project, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "needs about 7 GiB free" in proc.stderr
    assert "only 300 MiB are free" in proc.stderr
    assert not (project / ".venv").exists()  # stopped before creating anything


def test_an_installed_environment_is_reused_whatever_the_free_space(tmp_path: Path) -> None:
    project, env = _project(tmp_path, free_kib=300 * 1024)
    venv_bin = project / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    python = venv_bin / "python"
    python.write_text("#!/bin/sh\necho pip-ran >&2\nexit 3\n")  # fails loudly if called
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    lock = (project / "pyproject.toml").read_bytes() + (project / "requirements.lock").read_bytes()
    (project / ".venv" / ".hsiadapt-installed").write_text(hashlib.sha256(lock).hexdigest() + "\n")
    proc = subprocess.run(
        ["bash", "scripts/env.sh"], cwd=project, env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "pip-ran" not in proc.stderr

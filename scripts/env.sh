#!/usr/bin/env bash
# Create or reuse the project environment in .venv (at the project root) and install hsiadapt
# into it with the exact versions in requirements.lock. Re-runs are no-ops unless pyproject.toml
# or requirements.lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.hsiadapt-installed
# The first install writes 6.9 GiB into .venv (torch's CUDA build: nvidia 3.2 GiB, triton 0.9 GiB,
# torch 1.2 GiB; measured with du -sh). pip stops half-way with "[Errno 28] No space left on
# device" when the disk fills, so say so before starting.
need_kib=$((7 * 1024 * 1024))
if [ ! -f "$stamp" ]; then
  free_kib=$(df -Pk . | awk 'NR == 2 {print $4}')
  if [ -n "$free_kib" ] && [ "$free_kib" -lt "$need_kib" ]; then
    echo "[env] error: the first install needs about 7 GiB free for .venv in $(pwd), but only" \
      "$((free_kib / 1024)) MiB are free. Free some space (or clone the project onto a larger" \
      "disk) and run this again." >&2
    exit 1
  fi
fi
if [ ! -x .venv/bin/python ]; then
  echo "[env] creating .venv with $($PY --version)" >&2
  "$PY" -m venv .venv
fi
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[env] installing hsiadapt and pinned dependencies into .venv (first time: several minutes)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2 || true
  .venv/bin/python -m pip install --quiet -c requirements.lock -e ".[models,dev]" >&2
  echo "$want" > "$stamp"
fi

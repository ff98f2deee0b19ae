#!/usr/bin/env bash
# Create or reuse the project environment in .venv (at the project root) and install hsiadapt
# into it with the exact versions in requirements.lock. Re-runs are no-ops unless pyproject.toml
# or requirements.lock changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[env] creating .venv with $($PY --version)" >&2
  "$PY" -m venv .venv
fi
stamp=.venv/.hsiadapt-installed
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[env] installing hsiadapt and pinned dependencies into .venv (first time: several minutes)" >&2
  .venv/bin/python -m pip install --quiet --upgrade pip >&2 || true
  .venv/bin/python -m pip install --quiet -c requirements.lock -e ".[models,dev]" >&2
  echo "$want" > "$stamp"
fi

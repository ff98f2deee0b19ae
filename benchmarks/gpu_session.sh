#!/usr/bin/env bash
# The device checks of the GPU issue, as one script for a session that is lent a GPU machine.
#
# How to run it (the device machine has no network: the packages its image lacks travel along):
#   1. here, once, in the checkout that the device tool sends (the one the session started in,
#      even when the call comes from another worktree; it must hold this script and src/):
#        bash scripts/device_wheels.sh      # -> .whl/wheels.tar.xz (~45 MiB, git-ignored)
#   2. one call of the device tool's `run`, with
#        carry: [".whl"]   timeout_s: 600
#        command: OUT=$OUT bash benchmarks/gpu_session.sh
#   then give the machine back. Device time is 15 minutes in all, the machine's start (1-2 min)
#   included, and one command may run 10: the step limits below add up to 565 s.
#
# It uses the image's python3 (3.12, torch 2.11, lightning, timm, ...), hsiadapt from src/ and the
# carried wheels installed into /tmp/site. Writes at most 8 files (all that come back) under
# ${OUT:-gpu-results}/: session.log, pytest.log, gpu.json, gpu.log, gpu_compile.json,
# gpu_compile.log, table1_cost.txt, demo.log. Put the JSON lines in benchmarks/results and the
# README afterwards.
set -uo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out"
log="$out/session.log"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 MPLBACKEND=Agg
py=python3
exec 3>&2  # the steps' notes go here and to session.log, whatever the step's own output does
step() {  # step NAME LIMIT_S COMMAND...: run with a time limit, note the exit status and time
  local name=$1 limit=$2 t0=$SECONDS rc; shift 2
  timeout "$limit" "$@"; rc=$?
  echo "[gpu_session] $name: rc=$rc in $((SECONDS - t0)) s (limit $limit s)" | tee -a "$log" >&3
  return $rc
}
{ date -u; nvidia-smi; $py --version; } > "$log" 2>&1
# 0. the carried wheels (scripts/device_wheels.sh), installed as the device README says
step install 40 bash -c 'rm -rf /tmp/whl && mkdir -p /tmp/whl &&
  python3 -c "import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter=\"data\")" \
    .whl/wheels.tar.xz /tmp/whl &&
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site /tmp/whl/*.whl' >> "$log" 2>&1 || { echo "install failed"; tail -20 "$log"; exit 1; }
export PYTHONPATH=/tmp/site:src${PYTHONPATH:+:$PYTHONPATH}
$py -m pip list 2>/dev/null | grep -iE "^(torch|torchvision|lightning|pytorch-lightning|timm|numpy|huggingface.hub|typing.extensions|terratorch|torchgeo|kornia|rasterio|diffusers|pydantic) " >> "$log"
# 1. the CUDA tests (the `gpu` marker, deselected by default)
step pytest 60 $py -m pytest -q -p no:cacheprovider -m gpu tests/ \
  > "$out/pytest.log" 2>&1
tail -3 "$out/pytest.log"
# 2. end-to-end throughput, TerraMind base at 224 px, 2,100 chips (Table 1's size), 1 and 8
#    workers, the augmentation in the loader workers and on the device
step gpu 210 $py benchmarks/gpu.py --chips 2100 --workers 1 8 --augmentation-on loader device \
  > "$out/gpu.json" 2> "$out/gpu.log"
tail -1 "$out/gpu.json"
# 3. the same with torch.compile and channels-last
step gpu_compile 100 $py benchmarks/gpu.py --chips 2100 --workers 8 --compile --channels-last \
  > "$out/gpu_compile.json" 2> "$out/gpu_compile.log"
tail -1 "$out/gpu_compile.json"
# 4. the price of Table 1 at the measured throughput
step table1 25 $py -m hsiadapt.cli reproduce table1 --data-root /tmp/no-data --dry-run \
  --throughput "$out/gpu.json" > "$out/table1_cost.txt" 2>&1
cat "$out/table1_cost.txt"
# 5. the demo's every code path on the GPU (its files stay on the machine: only 8 come back)
step demo 130 $py -m hsiadapt.cli demo --quick --out /tmp/hsiadapt-demo > "$out/demo.log" 2>&1
{ echo "--- summary.json"; cat /tmp/hsiadapt-demo/summary.json; echo "--- table.md"
  cat /tmp/hsiadapt-demo/table.md; } >> "$out/demo.log" 2>&1
tail -5 "$out/demo.log"
cat "$log"

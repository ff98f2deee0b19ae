#!/usr/bin/env bash
# The device checks of the GPU issue, as one script for a session that is lent a GPU machine
# (run from the repository root there; 15 minutes of device time in all, so each step is capped).
# Writes every JSON line and log under ${OUT:-gpu-results}/; put the JSON lines in benchmarks/
# results and the README afterwards.
set -uo pipefail
out=${OUT:-gpu-results}
mkdir -p "$out"
bash scripts/env.sh > "$out/env.log" 2>&1 || { echo "env failed"; tail -20 "$out/env.log"; exit 1; }
py=.venv/bin/python
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
# 1. end-to-end throughput, TerraMind base at 224 px, 2,100 chips (Table 1's size), 1 and 8 workers
timeout 240 $py benchmarks/gpu.py --chips 2100 --workers 1 8 > "$out/gpu.json" 2> "$out/gpu.log"
tail -1 "$out/gpu.json"
# 2. the same with torch.compile and channels-last
timeout 180 $py benchmarks/gpu.py --chips 2100 --workers 8 --compile --channels-last \
  > "$out/gpu_compile.json" 2> "$out/gpu_compile.log"
tail -1 "$out/gpu_compile.json"
# 3. the price of Table 1 at the measured throughput
timeout 60 .venv/bin/hsiadapt reproduce table1 --data-root /tmp/no-data --dry-run \
  --throughput "$out/gpu.json" > "$out/table1_cost.txt" 2>&1
cat "$out/table1_cost.txt"
# 4. the demo's every code path on the GPU
( time timeout 240 .venv/bin/hsiadapt demo --quick --out "$out/demo" ) > "$out/demo.log" 2>&1
tail -5 "$out/demo.log"

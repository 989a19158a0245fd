#!/usr/bin/env bash
# The prepared device check (issue 9, deliverable 3): SAM ViT-B with random weights on the
# interactive task over the demo data; prints the harness share of wall time and the
# encode-once speed-up, then a one-line RESULT {json}. Extra arguments go to gpu_check.py.
#
# Issue 16: the harness run is repeated with --batch-size 8 (lockstep + overlap) and compared
# with --batch-size 1, then bench_pipeline.py times one batched SAM ViT-B decode of 16 prompts
# vs 16 single decodes on the same device and the simulated-GPU pipeline modes.
#
# Issue 23: then the harness per click, the pipeline goal figure (default and 1 harness worker),
# the CLI start-up and, with the SEEM environment, SEEM's native decode_batch vs one per object.
#
#   bash benchmarks/gpu_check.sh                  # full check (GPU: ~5 min after start-up)
#   bash benchmarks/gpu_check.sh --quick --limit 2
#
# Python: $PYTHON, else .venv/bin/python, else python3. If seem-bench is not importable there,
# it is installed editable without dependencies (no network needed); torch and
# segment-anything must already be installed. Output is also written to $OUT/gpu_check.txt
# when $OUT is set (the device runner collects that folder).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-}"
if [[ -z "$PY" ]]; then
  if [[ -x .venv/bin/python ]]; then PY=.venv/bin/python; else PY=python3; fi
fi
if ! "$PY" -c "import seem_bench.baselines.sam" 2>/dev/null; then
  "$PY" -m pip install --no-deps --no-build-isolation -q -e . >&2
fi
"$PY" -c "import torch, segment_anything; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" >&2
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true
export SEEM_BENCH_CACHE="${SEEM_BENCH_CACHE:-$(mktemp -d)}"
if [[ -n "${OUT:-}" ]]; then
  mkdir -p "$OUT"
  "$PY" benchmarks/gpu_check.py --batch-size 8 "$@" 2>&1 | tee "$OUT/gpu_check.txt"
  "$PY" benchmarks/bench_pipeline.py --quick --sam --sam-device auto 2>&1 | tee "$OUT/bench_pipeline.txt"
else
  "$PY" benchmarks/gpu_check.py --batch-size 8 "$@"
  "$PY" benchmarks/bench_pipeline.py --quick --sam --sam-device auto
fi
# Issue 23: the harness per click (crop + one-DT rule), the pipeline goal figure at a = 5 ms,
# b = 0.2 ms, B = 16 (64 images: two lanes of 16 in flight) with the default harness workers
# (cores - 1) and with 1, and the CLI start-up (--help, tasks, models; 5 runs each).
run_out() {  # run_out NAME CMD...: run, and keep the output under $OUT when set
  local name=$1; shift
  if [[ -n "${OUT:-}" ]]; then "$@" 2>&1 | tee "$OUT/$name.txt"; else "$@"; fi
}
run_out overhead "$PY" benchmarks/bench_overhead.py --no-sam --images 20 --reps 5
run_out pipeline_workers_default "$PY" benchmarks/bench_pipeline.py --images 64 --a-ms 5 20
run_out pipeline_workers_1 "$PY" benchmarks/bench_pipeline.py --images 64 --a-ms 5 --harness-workers 1
run_out startup "$PY" benchmarks/bench_cli_startup.py --reps 5
# SEEM Focal-T (random weights) when the SEEM environment exists (bash scripts/seem_env.sh; on a
# fresh GPU machine that is a ~10 min build, with CUDA kernels): encode-once and harness share.
if "$PY" -c "import sys; from seem_bench.adapters import seem_env; sys.exit(seem_env.find_prefix() is None)"; then
  DEV=cpu; "$PY" -c "import sys, torch; sys.exit(not torch.cuda.is_available())" && DEV=cuda
  if [[ -n "${OUT:-}" ]]; then
    "$PY" benchmarks/bench_seem.py --device "$DEV" 2>&1 | tee "$OUT/seem_check.txt"
  else
    "$PY" benchmarks/bench_seem.py --device "$DEV"
  fi
  run_out seem_batch "$PY" benchmarks/bench_seem_batch.py --objects 5 --reps 3 --device "$DEV"
else
  echo "gpu_check: no SEEM environment (bash scripts/seem_env.sh); SEEM not timed" >&2
fi

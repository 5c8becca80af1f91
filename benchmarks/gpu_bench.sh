#!/usr/bin/env bash
# The GPU benchmarks in one device call (benchmarks/README.md, "GPU"): estimator efficiency (CEM
# interventions/s over bare forwards/s, throughput.py) at the standard suite's 256x256 size, then the
# R = 1 / 4 / 9 ROI figures of multi_roi.py at the standard protocol. Everything lands under $OUT.
#
# After `bash benchmarks/gpu_standard.sh prepare` (wheels, assets; `restore` afterwards), call the device tool's `run` with
# carry [".whl", ".assets"] and command `OUT=$OUT bash benchmarks/gpu_bench.sh` (about 5 minutes on an H200).
# Rehearse here (tiny sizes, seconds): OUT=/tmp/gpu-bench DEVICE=cpu SMOKE=1 bash benchmarks/gpu_bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source benchmarks/gpu_env.sh
OUT=${OUT:?set OUT to the folder that comes back}
DEVICE=${DEVICE:-cuda}
mkdir -p "$OUT"
"$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee "$OUT/env.txt"
if [ "${SMOKE:-0}" = 1 ]; then
  SIZE=64; BATCHES="4"; ROI_ARGS="--size 64 --fine 2 --coarse 1"; LIMIT=300
else
  SIZE=256; BATCHES="16 64 256"; ROI_ARGS=""; LIMIT=${ROI_LIMIT:-360}
fi
# model task scale: one local denoiser, one global-reach SR model, one attention SR model
for spec in "dncnn-color-blind dn" "imdn-x4 sr 4" "craft-x4 sr 4"; do
  set -- $spec
  for batch in $BATCHES; do
    "$PY" benchmarks/throughput.py --model "$1" --task "$2" ${3:+--scale "$3"} --size "$SIZE" \
      --batch-size "$batch" --device "$DEVICE" 2>&1 | tee -a "$OUT/throughput.txt" || true
  done
done
start=$(date +%s)
timeout "$LIMIT" "$PY" benchmarks/multi_roi.py --device "$DEVICE" $ROI_ARGS --out "$OUT/multi_roi.json" \
  2>&1 | tail -40 | tee "$OUT/multi_roi.txt" || echo "multi_roi: stopped after ${LIMIT} s" | tee -a "$OUT/multi_roi.txt"
echo "multi_roi wall $(( $(date +%s) - start )) s" | tee -a "$OUT/multi_roi.txt"

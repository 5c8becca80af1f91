#!/usr/bin/env bash
# The standard suite's GPU job: on the device machine (a copy of this working tree), compute the most
# expensive pending (model, task, image) jobs of the standard suite within a time limit and return every
# finished unit record under $OUT, to be committed here (docs/standard_suite.md).
#
# Prepare here (once per session), then call the device tool's `run` with carry [".whl", ".assets", "results"]:
#   bash benchmarks/gpu_standard.sh prepare            # wheels (.whl) and assets (.assets), both git-ignored
#   device run: bash benchmarks/gpu_standard.sh run 8   # 8 minutes of jobs; results come back in $OUT
#   bash benchmarks/gpu_standard.sh collect DIR         # unpack the returned units into results/standard/.units
# Rehearse on CPU here: OUT=/tmp/gpu-out DEVICE=cpu bash benchmarks/gpu_standard.sh run 2
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-run}
SHARED=${SHARED:-../shared/assets}

case "$MODE" in
prepare)
  grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
  grep -qx '/.assets/' .git/info/exclude 2>/dev/null || echo '/.assets/' >> .git/info/exclude
  # The device has torch, numpy, pandas, scikit-image, seaborn, tabulate, timm: bring what it lacks.
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    pydantic==2.14.4 pydantic-core==2.50.5 typing-inspection==0.4.5 annotated-types==0.8.0 \
    spandrel==0.4.2 safetensors==0.8.0 || true
  python3 -m pip download -q --no-deps -d .whl spandrel_extra_arches==0.2.0 || true
  mkdir -p .assets/benchmarks
  cp -r "$SHARED/checkpoints" "$SHARED/images" "$SHARED/patchbank_div2k_8px.npz" .assets/
  for set in CUrban100 CBSD68 CSet14; do
    mkdir -p ".assets/benchmarks/$set"
    grep -o "assets:benchmarks/$set/[^\"]*" cem_bench/pipeline/suites/standard.yaml | sed 's/^assets://' |
      while read -r file; do cp "$SHARED/$file" ".assets/$file"; done
  done
  du -sh .whl .assets
  ;;
run)
  MINUTES=${2:-8}
  source benchmarks/gpu_env.sh
  OUT=${OUT:?set OUT to the folder that comes back}
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee "$OUT/env.txt"
  start=$(date +%s)
  "$PY" -m cem_bench.cli run --suite standard --out results --budget "${MINUTES}m" --order expensive \
    --device "${DEVICE:-cuda}" --no-summary --quiet 2>&1 | tail -20 | tee "$OUT/run.log" || true
  echo "wall $(( $(date +%s) - start )) s" | tee -a "$OUT/run.log"
  # Every unit record finished so far (new ones included), as one archive (the tool returns few files).
  tar -czf "$OUT/units.tar.gz" results/standard/.units
  ls results/standard/.units | wc -l | tee -a "$OUT/run.log"
  ;;
collect)
  tar -xzf "${2:?the folder the device returned}/units.tar.gz" -C .
  .venv/bin/cem-bench check --suite standard --committed-only
  ;;
*)
  echo "usage: $0 prepare | run [MINUTES] | collect DIR" >&2; exit 2 ;;
esac

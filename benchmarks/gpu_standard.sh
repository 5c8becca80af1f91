#!/usr/bin/env bash
# The standard suite's GPU job (docs/standard_suite.md, "On a GPU"): on the device machine (a copy of this
# working tree), score the pending jobs of the models listed below, cheapest first, in parallel lanes,
# within a time limit, and return every finished unit record under $OUT, to be committed here.
#
#   bash benchmarks/gpu_standard.sh prepare         # wheels (.whl), assets (.assets); moves what the device
#                                                   # does not need out of the travelling tree (.gpu-hold)
#   device run, carry [".whl", ".assets"], timeout_s 600:
#       OUT=$OUT bash benchmarks/gpu_standard.sh run 7    # 7 minutes of jobs; units come back in $OUT
#   bash benchmarks/gpu_standard.sh collect DIR     # restores .gpu-hold, adds the returned units (never
#                                                   # replacing committed ones), writes completed results
#   bash benchmarks/gpu_standard.sh restore         # restores .gpu-hold alone (a call that failed)
# Rehearse on CPU in a scratch clone: OUT=/tmp/gpu-out DEVICE=cpu bash benchmarks/gpu_standard.sh run 1
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${1:-run}
SHARED=${SHARED:-../shared/assets}
HOLD=.gpu-hold
# Tracked paths the device does not need: the working tree that travels is limited to 64 MiB, and the
# committed standard results alone exceed it. The lanes' models' own committed unit records (a few MiB)
# travel in .assets/units and are put back before the run, so the device does not redo what a CPU did.
HELD="results/quick results/quick-x3 results/summary.json results/standard/dn-s50 results/standard/dr
results/standard/sr-x2 results/standard/sr-x4 results/standard/sr-x3 results/standard/.units
results/standard/.partial reports training"
# Lanes run side by side (the GPU is far from full with one small model at a time), each cheapest job
# first: a job that outlasts the budget returns nothing (partial jobs stay on the device), so one costly
# job must not take a lane's whole time. Lane 1 is finding 2's attention denoiser (its no-attention member
# is complete on CPU), then the published denoisers and x2 models; lane 2 the published x4 models
# (finding 1 pools them; the leaderboard ranks them); lane 3 the fine-tuned BSRN family (finding 2's SR
# contrast; its no-attention member is complete on CPU), then the zoo II depth family (finding 1); lane 4
# the published deraining models (days of CPU each). First-zoo models (zoo-sr-rcan-*) are
# left out until their zoo II retraining lands: their units would be discarded
# (tests/pipeline/test_gpu_standard_lanes.py).
LANES=(
  "zoo-dn-rcan-ca adnet-color-blind,adnet-color-s50,carn-m-x2,imdn-x2"
  "imdn-x4,pan-x4,carn-m-x4,bsrn-s-x4,realesr-animevideov3-x4,rlfn-ntire-x4,craft-x4,grl-tiny-x4"
  "zoo-sr-bsrn-ca,zoo-sr-bsrn-win4,zoo-sr-bsrn-win16,zoo-sr-msrresnet-b12,zoo-sr-swinir"
  "prn6-rain100l,prenet6-rain100l,prenet6-rain1400,brn-rain1400"
)
LIMIT_MIB=63

travelling_mib() {  # what the device tool sends: tracked and unignored files present here, plus the carry
  { git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | grep total$ || true
    du -cb .whl .assets 2>/dev/null | tail -1; } | awk '{s += $1} END {printf "%.1f", s / 1048576}'
}

case "$MODE" in
prepare)
  for path in /.whl/ /.assets/ /$HOLD/; do grep -qx "$path" .git/info/exclude 2>/dev/null || echo "$path" >> .git/info/exclude; done
  # The device has torch, numpy, pandas, scikit-image, seaborn, tabulate, timm: bring what it lacks.
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    pydantic==2.14.4 pydantic-core==2.50.5 typing-inspection==0.4.5 annotated-types==0.8.0 \
    spandrel==0.4.2 safetensors==0.8.0 || true
  python3 -m pip download -q --no-deps -d .whl spandrel_extra_arches==0.2.0 || true
  rm -rf .assets && mkdir -p .assets/benchmarks .assets/checkpoints  # afresh: only what the lanes need
  cp -r "$SHARED/images" "$SHARED/patchbank_div2k_8px.npz" .assets/
  # only the lanes' published checkpoints (the zoo's weights are tracked files)
  for model in $(echo "${LANES[@]}" | tr ', ' '\n\n'); do
    file=$(sed -n '/^weights:/,/^[a-z]/s/^  file: //p' "model_registry/cards/$model.yaml")
    if [ -f "$SHARED/checkpoints/$file" ]; then
      mkdir -p ".assets/checkpoints/$(dirname "$file")" && cp "$SHARED/checkpoints/$file" ".assets/checkpoints/$file"
    fi
  done
  for set in CUrban100 CBSD68 CSet14; do
    mkdir -p ".assets/benchmarks/$set"
    grep -o "assets:benchmarks/$set/[^\"]*" cem_bench/pipeline/suites/standard.yaml | sed 's/^assets://' |
      while read -r file; do cp "$SHARED/$file" ".assets/$file"; done
  done
  [ -z "$(git status --porcelain --untracked-files=no)" ] || { echo "commit first: the held paths must be restorable as committed" >&2; exit 2; }
  mkdir -p "$HOLD"
  for path in $HELD; do
    [ -e "$path" ] || continue
    mkdir -p "$HOLD/$(dirname "$path")" && mv "$path" "$HOLD/$path"
  done
  mkdir -p .assets/units
  for model in $(echo "${LANES[@]}" | tr ', ' '\n\n'); do
    find "$HOLD/results/standard/.units" -maxdepth 1 -name "$model.*.json" -exec cp {} .assets/units/ \; 2>/dev/null || true
  done
  echo "lanes' committed units carried: $(find .assets/units -name '*.json' | wc -l)"
  size=$(travelling_mib)
  echo "travels: $size MiB (limit 64 MiB); held back in $HOLD until 'collect' or 'restore'"
  awk -v s="$size" -v l="$LIMIT_MIB" 'BEGIN {exit !(s > l)}' && { echo "too large to travel; 'restore' puts the held paths back" >&2; exit 2; } || true
  ;;
run)
  MINUTES=${2:-7}
  source benchmarks/gpu_env.sh
  OUT=${OUT:?set OUT to the folder that comes back}
  "$PY" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())" | tee "$OUT/env.txt"
  mkdir -p results/standard/.units  # the lanes' committed units: cached, so not recomputed
  find .assets/units -maxdepth 1 -name '*.json' -exec cp {} results/standard/.units/ \; 2>/dev/null || true
  deadline=$(( $(date +%s) + MINUTES * 60 ))
  # A job checks the deadline only once it samples (imports, planning and screens come first), so every
  # call is also killed 90 s after it; unit records are written atomically, and the archive below is
  # made whatever the lanes did, well inside the device's 10-minute limit.
  hard_stop=$(( deadline + 90 ))
  lane=0
  for models in "${LANES[@]}"; do
    lane=$((lane + 1))
    (  # a lane's groups one after another, each with the time left before the common deadline
      for group in $models; do
        left=$(( deadline - $(date +%s) ))
        [ "$left" -gt 20 ] || break
        timeout -k 10 $(( hard_stop - $(date +%s) )) "$PY" -m cem_bench.cli run --suite standard --models "$group" \
          --out results --budget "${left}s" --order cheapest --device "${DEVICE:-cuda}" --no-summary --quiet \
          || echo "lane $lane: $group stopped with status $?"
      done > "$OUT/lane$lane.log" 2>&1
    ) &
  done
  wait
  tail -n 4 "$OUT"/lane*.log
  # every unit record here, as one archive (the carried ones are skipped at `collect`); a temporary file of
  # a write cut off by the hard stop is not a record and stays behind
  tar -czf "$OUT/units.tar.gz" --exclude='*.tmp' results/standard/.units
  echo "units returned: $(tar -tzf "$OUT/units.tar.gz" | grep -c '\.json$' || true)"
  ;;
restore|collect)
  # Held files go back without replacing anything written meanwhile (a CPU run may have added units or a
  # result); the hold is removed only once empty, so nothing held is ever deleted.
  .venv/bin/python benchmarks/gpu_hold.py restore "$HOLD"
  git status --short | head
  [ "$MODE" = collect ] || exit 0
  # units computed here before (on a CPU) stay as committed; only new ones are added
  tar -xzf "${2:?the folder the device returned}/units.tar.gz" --skip-old-files -C .
  # a (model, task) whose units are now all usable gets its result file (everything cached: no scoring)
  .venv/bin/python benchmarks/gpu_hold.py results
  .venv/bin/cem-bench check --suite standard --committed-only || true
  echo "then: cem-bench aggregate / leaderboard / report as after a CPU run (docs/standard_suite.md)"
  ;;
*)
  echo "usage: $0 prepare | run [MINUTES] | collect DIR | restore" >&2; exit 2 ;;
esac

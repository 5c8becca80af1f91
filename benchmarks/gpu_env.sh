# Sourced by the device scripts (gpu_standard.sh, gpu_bench.sh). On the device: put the carried wheels
# (.whl, built for its python) on the path of its own python. A CPU rehearsal here (DEVICE=cpu) uses the
# project's .venv instead. Either way cem-bench reads the carried assets (.assets). Sets PY.
export CEM_BENCH_ASSETS=${CEM_BENCH_ASSETS:-$PWD/.assets}
export PYTHONPATH=$PWD
PY=${PYTHON:-python3}
if [ -x .venv/bin/python ] && [ -z "${PYTHON:-}" ] && [ "${DEVICE:-cuda}" = cpu ]; then
  PY=.venv/bin/python
elif ls .whl/*.whl >/dev/null 2>&1; then
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
fi

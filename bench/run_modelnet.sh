#!/usr/bin/env bash
# The ModelNet-style table of the README: every group × {implicit, standard} kernel on the
# generated stand-in (default protocol), then e3nn's standard arm for SO(3)/O(3); one seed
# (SEEDS="0 1 2" for more). Each run appends one line to bench/results/experiments.jsonl.
# Every run takes the machine-wide heavy-job lock (shared machine); one thread each.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
export OMP_NUM_THREADS=1
for seed in ${SEEDS:-0}; do
  for group in SO2 O2 SO3 O3 M none; do
    for kernel in implicit standard; do
      flock /tmp/heavy.lock "$PYTHON" -m kernels.experiments modelnet --group "$group" \
        --kernel "$kernel" --seed "$seed"
    done
  done
  for group in SO3 O3; do
    flock /tmp/heavy.lock "$PYTHON" -m kernels.experiments modelnet --group "$group" \
      --kernel standard --standard e3nn --seed "$seed"
  done
done

#!/usr/bin/env bash
# The ModelNet-style table of the README: every group × {implicit, standard} kernel on the
# generated stand-in (default protocol), then e3nn's standard arm for SO(3)/O(3); one seed
# (SEEDS="0 1 2" for more; ONLY_GROUPS, ONLY_KERNELS, and E3NN="" narrow it). Each run appends
# one line to bench/results/experiments.jsonl. The runs of one group share one turn of the
# heavy-job lock (a shared machine); one thread each.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
export OMP_NUM_THREADS=1
for seed in ${SEEDS:-0}; do
  for group in ${ONLY_GROUPS:-SO2 O2 SO3 O3 M none}; do
    cmds=""
    for kernel in ${ONLY_KERNELS:-implicit standard}; do
      cmds+="$PYTHON -m kernels.experiments modelnet --group $group --kernel $kernel --seed $seed && "
    done
    flock /tmp/heavy.lock bash -c "${cmds}true"
  done
  for group in ${E3NN-SO3 O3}; do
    flock /tmp/heavy.lock "$PYTHON" -m kernels.experiments modelnet --group "$group" \
      --kernel standard --standard e3nn --seed "$seed"
  done
done

#!/usr/bin/env bash
# The N-body experiment under EGNN's published protocol (1,000 epochs, batch 100, Adam lr 5e-4,
# 3,000 training trajectories), side by side, one thread per run. On this 2-core machine it ran
# beside bench/run_nbody.sh's queue (which holds /tmp/heavy.lock), so it serialises on a lock
# of its own: /tmp/heavy2.lock.
#   bash bench/run_nbody_paper.sh egnn        # 3 seeds, ~18 min each here
#   bash bench/run_nbody_paper.sh groupkit    # seeds from $SEEDS (default "0 1 2")
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export OMP_NUM_THREADS=1
model=${1:-}
case "$model" in egnn|groupkit) ;; *) echo "usage: $0 {egnn,groupkit}" >&2; exit 2 ;; esac
for seed in ${SEEDS:-0 1 2}; do
  save=()
  if [ "$model" = groupkit ]; then save=(--save bench/results/checkpoints/nbody_groupkit_paper_seed$seed.pt); fi
  flock /tmp/heavy2.lock "$PY" -m kernels.experiments nbody --model "$model" --seed "$seed" \
    --protocol paper "${save[@]}"
done

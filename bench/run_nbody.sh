#!/usr/bin/env bash
# The N-body experiment runs recorded in bench/results/: screening of the groupkit model's
# settings on the VALIDATION set (nbody_screen.jsonl), then the default protocol, 3 seeds per
# model, side by side (experiments.jsonl), one thread each, through the machine-wide lock.
#   bash bench/run_nbody.sh screen     # ~6 min on a quiet 2-core machine
#   bash bench/run_nbody.sh default    # ~20 min
#   bash bench/run_nbody.sh v2         # ~70 min: today's groupkit model, default + paper-e300
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
export OMP_NUM_THREADS=1
run() { flock /tmp/heavy.lock "$PY" -m kernels.experiments nbody "$@"; }
# screen … screen6 ran with the groupkit defaults of their time (LEGACY_DEFAULTS in
# kernels/experiments/nbody.py; every row records its complete options): rerunning them today
# needs those options added (position_updates, node_scalars, bound_node_scalars, node_charge
# all false). v2 and the default case's groupkit runs from then on use the new defaults.
case "${1:-default}" in
  screen)
    S=bench/results/nbody_screen.jsonl
    run --model egnn --epochs 20 --results $S
    for opts in '{"length_scale": 2.0}' '{"length_scale": 4.0}' '{"length_scale": 8.0}'; do
      run --model groupkit --epochs 20 --options "$opts" --results $S
    done ;;
  screen2)  # after screen: invariant edge features built from the velocities and node fields
    S=bench/results/nbody_screen.jsonl
    for opts in '{"velocity_invariants": true}' '{"node_scalars": true}'; do
      run --model groupkit --epochs 20 --options "$opts" --results $S
    done ;;
  screen3)  # after screen2: width
    run --model groupkit --epochs 20 --options '{"width": 16}' --results bench/results/nbody_screen.jsonl ;;
  screen4)  # after screen3: node inputs (charge, position about the centroid), EGNN-style
    # position updates between blocks, equivariant normalisation, bounded node scalars, lr
    S=bench/results/nbody_screen.jsonl
    for opts in '{"node_charge": true, "centroid": true}' '{"position_updates": true}' \
                '{"norm": true}' '{"node_scalars": true, "bound_node_scalars": true}' \
                '{"node_charge": true, "centroid": true, "position_updates": true, "node_scalars": true, "bound_node_scalars": true}'; do
      run --model groupkit --epochs 20 --options "$opts" --results $S
    done
    run --model groupkit --epochs 20 --lr 5e-4 --results $S ;;
  screen5)  # after screen4: combinations of the helpful ones (position updates, bounded node
    # scalars, norm), and a larger lr
    S=bench/results/nbody_screen.jsonl
    for opts in '{"position_updates": true, "node_scalars": true, "bound_node_scalars": true}' \
                '{"position_updates": true, "node_scalars": true, "bound_node_scalars": true, "norm": true}' \
                '{"node_scalars": true, "bound_node_scalars": true, "norm": true}'; do
      run --model groupkit --epochs 20 --options "$opts" --results $S
    done
    run --model groupkit --epochs 20 --lr 2e-3 --options '{"position_updates": true, "node_scalars": true, "bound_node_scalars": true}' --results $S ;;
  screen6)  # after screen5: sizes and the node's charge on top of position updates + bounded
    # node scalars; EGNN at lr 2e-3 as the reference for screen5's lr
    S=bench/results/nbody_screen.jsonl
    B='"position_updates": true, "node_scalars": true, "bound_node_scalars": true'
    for extra in '"kernel_width": 8' '"width": 12' '"layers": 6' '"node_charge": true'; do
      run --model groupkit --epochs 20 --options "{$B, $extra}" --results $S
    done
    run --model egnn --epochs 20 --lr 2e-3 --results $S ;;
  screen7)  # cheaper kernels for today's model (issue 16's step-time lever): kernel width 2,
    # angular degree 1; options on top of DEFAULTS["groupkit"]
    S=bench/results/nbody_screen.jsonl
    for extra in '"kernel_width": 2' '"degree": 1'; do
      run --model groupkit --epochs 20 --options "{$extra}" --results $S
    done ;;
  v2)  # after screen6, with the new defaults (position updates, bounded node scalars, the
    # node's charge): the default protocol for groupkit (3 seeds, checkpoints kept), then the
    # paper protocol cut to 300 epochs (9,000 steps), groupkit and EGNN side by side, 3 seeds
    C=bench/results/checkpoints
    for seed in 0 1 2; do
      case " ${SKIP:-} " in *" default$seed "*) continue ;; esac
      run --model groupkit --seed $seed --save $C/nbody_groupkit_seed$seed.pt
    done
    for seed in 0 1 2; do
      for model in groupkit egnn; do
        case " ${SKIP:-} " in *" $model$seed "*) continue ;; esac
        save=()
        if [ $model = groupkit ]; then save=(--save $C/nbody_groupkit_paper-e300_seed$seed.pt); fi
        run --model $model --seed $seed --protocol paper --epochs 300 "${save[@]}"
      done
    done ;;
  default)  # groupkit and EGNN first, the GNN last; the trained groupkit models (and EGNN's
    # seed 0) are kept, < 1 MB each. ${SKIP:-} lists finished runs to skip, e.g. "groupkit0"
    C=bench/results/checkpoints
    for seed in 0 1 2; do
      for model in groupkit egnn; do
        case " ${SKIP:-} " in *" $model$seed "*) continue ;; esac
        save=()
        if [ $model = groupkit ] || [ $seed = 0 ]; then save=(--save $C/nbody_${model}_seed$seed.pt); fi
        run --model $model --seed $seed "${save[@]}"
      done
    done
    for seed in 0 1 2; do
      case " ${SKIP:-} " in *" gnn$seed "*) continue ;; esac
      run --model gnn --seed $seed
    done ;;
  *) echo "usage: $0 {screen,screen2,screen3,screen4,screen5,screen6,v2,default}"; exit 2 ;;
esac

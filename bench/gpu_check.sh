#!/usr/bin/env bash
# One prepared pass on a CUDA machine: the throughput benchmark on the GPU, the CUDA tests, and
# emlp's own EMLP trained at the paper's full protocol on each task in TASKS (default all three;
# seeds 1-3), so the side-by-side comparison uses the same seeds as groupkit's CPU figures in
# bench/results/train_full.json. REF_ARGS are extra options for those runs; every run, whatever
# its options, is appended to OUTDIR/ref_TASK.json (each record holds its options).
#
#   bash bench/gpu_check.sh [OUTDIR] [REF_SECONDS]
#   SEEDS="3" COMPILE_MODE=reduce-overhead BENCH_ARGS=--no-emlp bash bench/gpu_check.sh OUT 200
#   TASKS=inertia REF_ARGS="--clip 1 --weight-decay 0.1 --pool 20000" bash bench/gpu_check.sh OUT
#   REF_ARGS=--paper-data bash bench/gpu_check.sh OUT     # on the EMLP authors' own arrays
#
# Expects torch (with CUDA) and, for the emlp parts, emlp + objax + jax importable. The bench
# runs alone first so nothing else competes for the GPU while it times; then the tests and the
# emlp trainings (one process per task, seeds in turn) share the machine. REF_SECONDS bounds each
# task's training loop; every finished run is appended to OUTDIR/ref_TASK.json at once, so a
# run cut short still returns the seeds it finished.
set -u
out=${1:-bench/results/gpu}
ref_seconds=${2:-300}
seeds=${SEEDS:-1 2 3}
compile_mode=${COMPILE_MODE:+--compile-mode $COMPILE_MODE}
mkdir -p "$out"
# highest: no TF32 in emlp's float32 matmuls, as on the CPU and as in the paper's era
export JAX_DEFAULT_MATMUL_PRECISION=highest
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONPATH=${PYTHONPATH:-}:$PWD

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__)"
  python3 -c "import jax; print('jax', jax.__version__, jax.devices())" 2>&1 | tail -1
} | tee "$out/machine.txt"

echo ">> throughput (GPU alone)"
timeout 150 python3 bench/emlp_throughput.py --device cuda --compile $compile_mode --repeats 20 ${BENCH_ARGS:-} \
    --json "$out/emlp_throughput_cuda.json" 2>&1 | tail -12

echo ">> N-body-sized point convolutions against an EGNN (GPU alone)"
timeout 180 python3 bench/nbody.py --device cuda --model-from experiments --without-contraction \
    --egnn-hidden 28 --repeats 50 --json "$out/nbody_cuda.json" 2>&1 | tail -5

echo ">> emlp reference trainings (background) and CUDA tests"
tasks=${TASKS:-o5 inertia lorentz}
for task in $tasks; do
    (end=$((SECONDS + ref_seconds))
     for seed in $seeds; do
         left=$((end - SECONDS)); [ "$left" -gt 20 ] || break
         timeout "$left" python3 -m groupkit.nn.train --task "$task" --model emlp-ref --full \
             --seed "$seed" --no-progress ${REF_ARGS:-} --json "$out/ref_$task.json"
     done) > "$out/ref_$task.log" 2>&1 &
done
timeout 240 python3 -m pytest -q -p no:cacheprovider -W default tests/test_cuda.py \
    2>&1 | tee "$out/pytest_cuda.log" | tail -25
wait
for task in $tasks; do echo "-- $task"; grep "emlp-ref  test" "$out/ref_$task.log"; done

"""The seed paper's experiments, one command per task, built on :func:`groupkit.train.fit`.

    python -m kernels.experiments nbody    --model groupkit --seed 0    # N-body dynamics
    python -m kernels.experiments qm9      --model groupkit --seed 0    # QM9 (needs qm9pack)
    python -m kernels.experiments modelnet --model groupkit --seed 0    # ModelNet stand-in

Each task module (``kernels.experiments.<task>``) has a ``main(argv)``; ``--help`` lists its
models, protocols (a small ``default`` budget that finishes on a laptop CPU, the published
``paper`` protocol one flag away) and options. Every finished run appends one JSON line to
``bench/results/experiments.jsonl`` (:mod:`kernels.records`).
"""

TASKS = ("nbody", "qm9", "modelnet")

__all__ = ["TASKS"]

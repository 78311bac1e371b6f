"""EMLP forward+backward under CPU contention: groupkit against a plain torch MLP, side by side.

The EMLP paper's O(5) model (2V → 1, ch = 384, 3 layers, batch 500, float32) with the bilinear
layers off and on, and a plain ``torch.nn`` MLP of the same widths (10 → 414 → 414 → 414 → 1),
timed in three conditions:

* ``1t``: one intra-op thread;
* ``2t``: two threads;
* ``2t+busy``: two threads while another process keeps one core busy (the bench starts it: a
  pure-Python loop by default, ``--load blas`` a single-threaded numpy matmul loop, ``--load
  memory`` a loop streaming through 200 MB).

Everything is interleaved: each round visits every condition, and within it every model, in
turn (so slow drifts of the machine's load hit all of them alike); the figure per model and
condition is the median over all rounds. ``--baseline-rev REV`` also times the same models built
from groupkit as it was at git revision REV (extracted with ``git archive`` and imported under
another name), for "no slower than before" comparisons in the same run.

It prints, per condition, each model's time and its ratio to the plain MLP, and each model's
slowdown in ``2t+busy`` against its own quiet ``1t`` time, beside the plain MLP's.

    .venv/bin/python bench/load.py --rounds 5 --json bench/results/load.json
    .venv/bin/python bench/load.py --baseline-rev b1c6e9b --load blas
    .venv/bin/python bench/load.py --omp-wait-policy PASSIVE   # idle OpenMP threads sleep

``--omp-wait-policy PASSIVE`` makes idle OpenMP worker threads sleep at once instead of spinning;
on a shared machine that is what keeps two threads from collapsing beside a busy core, but on a
quiet one every parallel region then pays a wake-up. ``--omp-spincount N`` sets GNU OpenMP's
GOMP_SPINCOUNT, the number of spins an idle worker makes before it sleeps (300,000 by default):
a short spin such as 1,000 keeps workers awake between back-to-back operations and lets them
yield the core soon after.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._report import conditions, write_json  # noqa: E402

LOADS = {
    "python": "while True: pass",
    "blas": ("import os; os.environ['OMP_NUM_THREADS'] = '1'\n"
             "import numpy as np\na = np.random.rand(400, 400)\nwhile True: a @ a"),
    "memory": ("import numpy as np\na = np.ones(25_000_000)\nwhile True: a += 1.0"),
}


def start_load(kind: str) -> subprocess.Popen:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", LOADS[kind]], env=env)


def stop_load(p: subprocess.Popen | None) -> None:
    if p is not None:
        p.kill()
        p.wait()


def import_baseline(rev: str, tmp: Path):
    """groupkit at git revision ``rev``, imported as the package ``groupkit_baseline``."""
    archive = tmp / "gk.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "groupkit"], stdout=fh,
                       check=True)
    with tarfile.open(archive) as tf:
        tf.extractall(tmp, filter="data")
    (tmp / "groupkit").rename(tmp / "groupkit_baseline")
    sys.path.insert(0, str(tmp))
    return importlib.import_module("groupkit_baseline"), importlib.import_module(
        "groupkit_baseline.nn")


def build_models(args, baseline=None) -> dict:
    import torch
    from torch import nn

    import groupkit
    import groupkit.nn as gnn

    def emlp(pkg, pkg_nn, bilinear):
        G = pkg.O(5)
        torch.manual_seed(0)
        return pkg_nn.EMLP(2 * pkg.V(G), pkg.Scalar, G, ch=args.ch, num_layers=args.layers,
                           bilinear=bilinear)

    models = {}
    widths = [10] + [gnn.gated(gnn.uniform_rep(args.ch, groupkit.O(5))).size] * args.layers + [1]
    layers: list = []
    for a, b in zip(widths, widths[1:-1]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    models["plain MLP"] = nn.Sequential(*layers)
    models["groupkit, bilinear off"] = emlp(groupkit, gnn, False)
    models["groupkit, bilinear on"] = emlp(groupkit, gnn, True)
    if baseline is not None:
        models["baseline, bilinear off"] = emlp(*baseline, False)
        models["baseline, bilinear on"] = emlp(*baseline, True)
    return models, widths


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=5, help="timed calls per model per round")
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--ch", type=int, default=384)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--load", choices=sorted(LOADS), default="python")
    ap.add_argument("--conditions", default="1t,2t,2t+busy")
    ap.add_argument("--baseline-rev", default=None)
    ap.add_argument("--omp-wait-policy", choices=["default", "PASSIVE", "ACTIVE"],
                    default="default",
                    help="OMP_WAIT_POLICY for this process (set before torch is imported)")
    ap.add_argument("--omp-spincount", type=int, default=None,
                    help="GOMP_SPINCOUNT for this process (GNU OpenMP, which PyTorch's wheels "
                         "ship: how long an idle worker spins before it sleeps; set before "
                         "torch is imported)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    # OpenMP reads these when torch's runtime loads, so they must be set before the import
    if args.omp_wait_policy != "default":
        os.environ["OMP_WAIT_POLICY"] = args.omp_wait_policy
    if args.omp_spincount is not None:
        os.environ["GOMP_SPINCOUNT"] = str(args.omp_spincount)
    if "torch" in sys.modules and (args.omp_wait_policy != "default"
                                   or args.omp_spincount is not None):
        raise RuntimeError("--omp-wait-policy and --omp-spincount must be set before torch is "
                           "imported")

    import torch

    conds = args.conditions.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        baseline = import_baseline(args.baseline_rev, Path(tmp)) if args.baseline_rev else None
        models, widths = build_models(args, baseline)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 10, generator=gen)

    def step(m):
        m.zero_grad(set_to_none=True)
        m(x).sum().backward()

    times = {c: {n: [] for n in models} for c in conds}
    load_start = os.getloadavg()
    for _ in range(args.rounds):
        for c in conds:
            torch.set_num_threads(1 if c.startswith("1t") else 2)
            proc = start_load(args.load) if c.endswith("busy") else None
            try:
                if proc is not None:
                    time.sleep(0.3)  # let the load get going
                for n, m in models.items():
                    step(m)  # warm-up (and settles the thread pool after a change)
                    for _ in range(args.repeats):
                        t = time.perf_counter()
                        step(m)
                        times[c][n].append(time.perf_counter() - t)
            finally:
                stop_load(proc)
    med = {c: {n: statistics.median(v) for n, v in d.items()} for c, d in times.items()}
    res = {
        "command": "python bench/load.py " + " ".join(shlex.quote(a) for a in (
            argv if argv is not None else sys.argv[1:])),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "torch": torch.__version__, "python": platform.python_version(),
                    "loadavg_start": load_start, "loadavg_end": os.getloadavg(),
                    "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "(unset)"),
                    "GOMP_SPINCOUNT": os.environ.get("GOMP_SPINCOUNT", "(unset)")},
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "conditions": conditions(),
        "widths": widths,
        "median_s": med,
        "all_s": times,
    }
    print(f"machine: {res['machine']['platform']}, {os.cpu_count()} CPUs, torch "
          f"{torch.__version__}; load average {load_start[0]:.2f} → {os.getloadavg()[0]:.2f}")
    print(f"O(5) EMLP 2V → 1, ch {args.ch}, {args.layers} layers, batch {args.batch}; "
          f"fwd+bwd ms, median of {args.rounds}×{args.repeats}, '{args.load}' load for busy")
    ratios: dict = {}
    header = f"{'model':<26}" + "".join(f"{c:>18}" for c in conds)
    print(header)
    for n in models:
        cells = []
        for c in conds:
            ratio = med[c][n] / med[c]["plain MLP"]
            ratios.setdefault(c, {})[n] = ratio
            cells.append(f"{med[c][n] * 1e3:8.1f} ({ratio:4.2f}×)")
        print(f"{n:<26}" + "".join(f"{s:>18}" for s in cells))
    res["ratio_to_plain_mlp"] = ratios
    if "1t" in conds:
        slow = {}
        for c in conds:
            if c == "1t":
                continue
            slow[c] = {n: med[c][n] / med["1t"][n] for n in models}
            print(f"slowdown {c} / quiet 1t: " + ", ".join(
                f"{n} {v:.2f}×" for n, v in slow[c].items()))
        res["slowdown_vs_1t"] = slow
    write_json(args.json, res)
    return res


if __name__ == "__main__":
    main()

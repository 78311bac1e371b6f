"""Neighbour graphs at scale: the k-d tree path against the all-pairs path, side by side.

    python bench/graph.py                 # 20,000 points, k-NN (k = 16) and radius graphs
    python bench/graph.py --n 5000 --repeats 3

Both paths are ``kernels.knn_graph`` / ``kernels.radius_graph``: ``method="brute"`` is the
all-pairs torch implementation the library used before (kept as that option, and for GPU
tensors and indefinite metrics), ``method="kdtree"`` the scipy cKDTree path (the CPU default).
For each graph the script checks that both return the same edge_index (same edges, same order),
times each (median of ``--repeats``; the slow path ``--brute-repeats`` times), prints the ratios
and writes them with the machine to bench/results/graph.json. Points are uniform in the unit
cube; the radius is chosen for about 16 neighbours per point.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._report import cpu_name  # noqa: E402
from kernels import knn_graph, radius_graph  # noqa: E402


def machine() -> str:
    cpu = cpu_name()
    import scipy

    return (f"{cpu}; {os.cpu_count()} logical CPUs; Python {platform.python_version()}; "
            f"torch {torch.__version__}; scipy {scipy.__version__}; "
            f"torch threads {torch.get_num_threads()}")


def timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--brute-repeats", type=int, default=1)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "graph.json")
    args = ap.parse_args()
    gen = torch.Generator().manual_seed(0)
    pos = torch.rand(args.n, 3, generator=gen)
    r = (3 * args.k / (4 * math.pi * args.n)) ** (1 / 3)  # about k neighbours per point
    print(f"machine: {machine()}")
    print(f"{args.n} points uniform in [0, 1]^3, float32; k = {args.k}, r = {r:.4f}")
    results = {"machine": machine(), "n": args.n, "k": args.k, "r": r,
               "command": "python bench/graph.py " + " ".join(sys.argv[1:]), "graphs": {}}
    for name, build in (("knn", lambda m: knn_graph(pos, args.k, method=m)),
                        ("radius", lambda m: radius_graph(pos, r, method=m))):
        t_tree, all_tree, e_tree = timed(lambda b=build: b("kdtree"), args.repeats)
        t_brute, all_brute, e_brute = timed(lambda b=build: b("brute"), args.brute_repeats)
        same = bool(torch.equal(e_tree, e_brute))
        ratio = t_brute / t_tree
        print(f"{name:7s} edges {e_tree.shape[1]:8d}  brute {t_brute:8.3f} s  kdtree "
              f"{t_tree:7.4f} s  speed-up {ratio:7.1f}x  identical edge_index: {same}")
        results["graphs"][name] = {"edges": int(e_tree.shape[1]), "brute_s": t_brute,
                                   "kdtree_s": t_tree, "brute_all_s": all_brute,
                                   "kdtree_all_s": all_tree, "speedup": ratio,
                                   "identical": same}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    print(f"results written to {args.json.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

"""The solver on groups written in awkward coordinates, units and number types: the examples of
the coordinates work (dimension found, expected dimension, seconds), the exact-mode timings, and
the Sym³ of permutation groups, in one run; the machine is recorded.

    .venv/bin/python bench/coordinates.py                  # writes bench/results/coordinates.json

Every solve is cold (``cache=False``, memory caches cleared); times are the median of
``--repeat`` runs in this process.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

import groupkit as gk

ROOT = Path(__file__).resolve().parent.parent


def conj(G: gk.Group, S) -> gk.Group:
    """G written in the coordinates x' = S x."""
    S = np.asarray(S, dtype=float)
    Si = np.linalg.inv(S)
    return gk.Group([S @ h @ Si for h in G.discrete_generators],
                    [S @ A @ Si for A in G.lie_algebra], d=G.d)


def unit(d: int, i: int, j: int) -> np.ndarray:
    m = np.zeros((d, d))
    m[i, j] = 1.0
    return m


def m11() -> gk.Group:
    from sympy.combinatorics import Permutation, PermutationGroup

    return gk.from_sympy(PermutationGroup([
        Permutation([list(range(11))]), Permutation([[2, 6, 10, 7], [3, 9, 4, 5]], size=11)]),
        name="M11")


def cases():
    """(name, rep_in, rep_out, expected dimension, exact?) — built lazily."""
    heis = gk.Group([], [unit(3, 0, 1), unit(3, 1, 2), unit(3, 0, 2)], name="Heisenberg")
    sheared_so3 = conj(gk.SO(3), [[1, 100, 0], [0, 1, 100], [0, 0, 1]])
    tiny = gk.SO(3) * gk.Group([], [[[0.0, -1e-5], [1e-5, 0.0]]])
    lorentz_c = conj(gk.SO13p(), np.diag([1e4, 1.0, 1.0, 1.0]))
    units = conj(gk.SO(3), np.diag([1.0, 1.0, 1000.0]))
    defective = gk.Group([[[1.0, 1.0], [0.0, 1.0 + 1e-6]]])
    so2 = conj(gk.SO(2), [[100.0, -100.0 ** 2 - 1], [1.0, -100.0]])
    rational = gk.Group([[[Fraction(9, 7), Fraction(1, 1000)], [0, Fraction(7, 9)]]])
    sym3 = gk.Sym(gk.V(gk.SO(3)), 3)
    M = gk.Sym(gk.V(m11()), 3)
    R = gk.Sym(gk.V(gk.RubiksCube()), 3)
    return [
        ("SO(3), one axis ×1000: V⊗V → 1", gk.V(units) ** 2, gk.Scalar, 1, False),
        ("SO(3) × SO(2) at 1e-5: End(V)", gk.V(tiny), gk.V(tiny), 3, False),
        ("SO⁺(1,3), c = 1e4: V⊗V → 1", gk.V(lorentz_c) ** 2, gk.Scalar, 1, False),
        ("sheared SO(3): End(V)", gk.V(sheared_so3), gk.V(sheared_so3), 1, False),
        ("sheared SO(3): End(V), exact", gk.V(sheared_so3), gk.V(sheared_so3), 1, True),
        ("[[1,1],[0,1+1e-6]]: End(V)", gk.V(defective), gk.V(defective), 2, False),
        ("sheared SO(2), k=100: End(V⊗V)", gk.V(so2) ** 2, gk.V(so2) ** 2, 6, False),
        ("Heisenberg V⊗⁷ → 1", gk.V(heis) ** 7, gk.Scalar, 127, False),
        ("Heisenberg V⊗⁴ → V⊗⁴", gk.V(heis) ** 4, gk.V(heis) ** 4, 323, False),
        ("Sym³(V) → V of SO(3), exact", sym3, gk.V(gk.SO(3)), 1, True),
        ("[[9/7, 1/1000], [0, 7/9]]: End(V), exact", gk.V(rational), gk.V(rational), 2, True),
        ("SO(3) T(4) → 1, exact", gk.V(gk.SO(3)) ** 4, gk.Scalar, 3, True),
        ("S(6) V⊗³ → 1, exact", gk.V(gk.S(6)) ** 3, gk.Scalar, 5, True),
        ("Lorentz V⊗V → V⊗V, exact", gk.V(gk.Lorentz()) ** 2, gk.V(gk.Lorentz()) ** 2, 3, True),
        ("M11 Sym³ → Sym³", M, M, 37, False),
        ("M11 Sym³ → Sym³, exact", M, M, 37, True),
        ("Rubik's cube Sym³ → 1", R, gk.Scalar, 18, False),
        ("Rubik's cube Sym³ → 1, exact", R, gk.Scalar, 18, True),
    ]


def solve_once(rin, rout, exact: bool) -> tuple[int, float]:
    gk.clear_caches()
    t = time.perf_counter()
    if exact:
        dim = gk.equivariant_basis(rin, rout, exact=True).shape[1]
    else:
        dim = gk.solve(rin, rout, cache=False).dim
    return dim, time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="cold solves per case (median)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "coordinates.json"))
    args = ap.parse_args(argv)
    machine = {"platform": platform.platform(), "cpus": __import__("os").cpu_count(),
               "python": platform.python_version(), "numpy": np.__version__,
               "date": time.strftime("%Y-%m-%d %H:%M")}
    print("machine:", json.dumps(machine))
    rows, failures = [], []
    print(f"{'case':44s} {'expected':>8s} {'dim':>5s} {'seconds':>9s}")
    for name, rin, rout, expected, exact in cases():
        runs = [solve_once(rin, rout, exact) for _ in range(args.repeat)]
        dim, seconds = runs[0][0], statistics.median(t for _, t in runs)
        ok = all(d == expected for d, _ in runs)
        if not ok:
            failures.append(name)
        rows.append({"case": name, "expected": expected, "dim": dim, "seconds": seconds,
                     "exact": exact})
        print(f"{name:44s} {expected:8d} {dim:5d} {seconds:9.4f}{'' if ok else '  FAIL'}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the whole run: {peak:.0f} MB")
    Path(args.out).write_text(json.dumps({"machine": machine, "repeat": args.repeat,
                                          "peak_mb": peak, "cases": rows}, indent=1) + "\n")
    print("written", args.out)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

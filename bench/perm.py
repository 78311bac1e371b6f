"""Permutation symmetry at graph scale (issue 17): partition solves and structured layers,
side by side with today's enumeration path and a hand-written IGN layer, in one run.

Every measurement runs in a fresh subprocess (cold caches: GROUPKIT_CACHE=0, new groups), one
thread, and records seconds and the process's peak RSS (and its growth over the RSS just before
the measured work, which is what the work itself cost). fwd+bwd figures are medians.

    .venv/bin/python bench/perm.py              # everything (about 2–4 minutes, one core)
    .venv/bin/python bench/perm.py --quick      # skip the old dense path at n = 50

The old dense path is measured at n = 20 and 50 only: at n = 100 it needs ~23 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, resource, sys, time
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: KiB)
kind, arg = sys.argv[1], json.loads(sys.argv[2])
import numpy as np
import groupkit as gk
from groupkit import S, A, V, Scalar
out = {}
if kind in ("layer", "old_layer"):
    import torch
    torch.set_num_threads(1)
before = rss()
if kind == "solve":
    t = time.perf_counter()
    G = S(arg["n"])
    r = V(G) ** arg["k"]
    b = gk.solve(r, r, cache=False)
    out = {"seconds": time.perf_counter() - t, "dim": b.dim}
elif kind == "orbits":
    from sympy.combinatorics import Permutation, PermutationGroup

    def wreath(m, k):  # S(m) on the first block and S(k) permuting the blocks, via sympy
        n = m * k
        g1 = list(range(n)); g1[0], g1[1] = 1, 0
        g2 = list(range(n)); g2[:m] = [(i + 1) % m for i in range(m)]
        g3 = [(i + m) % n for i in range(n)]
        g4 = list(range(n)); g4[:2 * m] = list(range(m, 2 * m)) + list(range(m))
        return gk.from_sympy(PermutationGroup([Permutation(g) for g in (g1, g2, g3, g4)]))
    t = time.perf_counter()
    G = eval(arg["group"])
    rin, rout = eval(arg["rin"]), eval(arg["rout"])
    b = gk.solve(rin, rout, cache=False)
    out = {"seconds": time.perf_counter() - t, "dim": b.dim, "methods": list(b.methods)}
elif kind == "old_solve":
    from groupkit import _orbits
    from groupkit._constraint import Constraint
    from groupkit.solver import hom_space
    t = time.perf_counter()
    r = V(S(arg["n"])) ** 2
    E = _orbits.orbit_basis(Constraint.of(hom_space(r, r)))
    out = {"seconds": time.perf_counter() - t, "dim": E.shape[1]}
elif kind in ("layer", "old_layer"):
    from groupkit.nn import EquivariantLinear
    n, B = arg["n"], arg["batch"]
    r = V(S(n)) ** 2
    t = time.perf_counter()
    layer = EquivariantLinear(r, r, method="auto" if kind == "layer" else "orbit")
    out["build"] = time.perf_counter() - t
    out["type"] = type(layer).__name__
    x = torch.randn(B, n * n)

    def ours():
        layer.zero_grad(set_to_none=True)
        layer(x).square().sum().backward()

    fns = {"ours": ours}
    if kind == "layer":
        w = torch.randn(15, requires_grad=True)
        bias = torch.randn(2, requires_grad=True)
        X = x.reshape(B, n, n)

        def ign():  # the 15 operations of Maron et al.'s 2→2 layer, by hand
            w.grad = bias.grad = None
            d = X.diagonal(dim1=1, dim2=2)
            rows, cols = X.sum(2), X.sum(1)
            tr, tot = d.sum(1), rows.sum(1)
            y = (w[0] * X + w[1] * X.transpose(1, 2)
                 + (w[2] * rows + w[3] * cols + w[4] * d)[:, :, None]
                 + (w[5] * rows + w[6] * cols + w[7] * d)[:, None, :]
                 + (w[8] * tr + w[9] * tot + bias[0])[:, None, None])
            diag = w[10] * d + w[11] * rows + w[12] * cols + (w[13] * tr + w[14] * tot
                                                               + bias[1])[:, None]
            y = y + torch.diag_embed(diag)
            y.square().sum().backward()

        fns["ign"] = ign
    times = {k: [] for k in fns}
    reps = arg["reps"]
    for f in fns.values():
        f()  # warm-up
    for _ in range(reps):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    for k, v in times.items():
        out[f"fwd_bwd_{k}"] = sorted(v)[len(v) // 2]
out["peak_mb"] = rss()
out["work_mb"] = rss() - before
print(json.dumps(out))
"""


def run(kind: str, **arg) -> dict:
    env = dict(os.environ, GROUPKIT_CACHE="0", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", WORKER, kind, json.dumps(arg)], env=env,
                       capture_output=True, text=True, timeout=900)
    if p.returncode:
        return {"error": p.stderr.strip().splitlines()[-1] if p.stderr else str(p.returncode)}
    return json.loads(p.stdout.strip().splitlines()[-1])


def burnside_symmetric(n: int, k: int, alternating: bool = False) -> int:
    """Orbits of S(n) (or A(n)) on [n]^k by Burnside: (1/|G|) Σ_f #{g with f fixed points} f^k,
    counting permutations by their number of fixed points with derangement numbers (and, for
    A(n), the even derangements: (d(m) + (−1)^{m−1}(m−1)) / 2)."""
    from math import comb, factorial

    d = [1, 0]
    for m in range(2, n + 1):
        d.append((m - 1) * (d[-1] + d[-2]))
    total = 0
    for f in range(n + 1):
        m = n - f
        der = d[m]
        if alternating:
            der = (d[m] + (-1) ** (m - 1) * (m - 1)) // 2 if m else 1
        total += comb(n, f) * der * f ** k
    order = factorial(n) // (2 if alternating and n > 1 else 1)
    assert total % order == 0
    return total // order


def burnside_wreath(m: int, k: int, K: int) -> int:
    """Orbits of S(m) ≀ S(k) on K-tuples by Burnside: E[fix^K], where fix sums the fixed points
    of the independent, uniform S(m) elements on the blocks that the S(k) part fixes."""
    from fractions import Fraction
    from math import comb, factorial

    def fixed(n):
        d = [1, 0]
        for m_ in range(2, n + 1):
            d.append((m_ - 1) * (d[-1] + d[-2]))
        return [Fraction(comb(n, x) * d[n - x], factorial(n)) for x in range(n + 1)]

    pm, pk = fixed(m), fixed(k)
    one = [sum(p * x ** j for x, p in enumerate(pm)) for j in range(K + 1)]
    total, moments = Fraction(0), [Fraction(1)] + [Fraction(0)] * K
    for f in range(k + 1):
        total += pk[f] * moments[K]
        moments = [sum(comb(j, i) * moments[i] * one[j - i] for i in range(j + 1))
                   for j in range(K + 1)]
    return int(total)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="skip the old dense path at n = 50")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "perm.json"))
    args = ap.parse_args(argv)
    res: dict = {"machine": {"platform": platform.platform(), "python": sys.version.split()[0],
                             "cpus": os.cpu_count(), "threads": 1,
                             "note": "shared, loaded machine: absolute times are noisy; "
                                     "compare ratios measured in the same run"}}

    print("S(n) V⊗ᵏ → V⊗ᵏ, cold partition solve (seconds, peak / work MB, dim vs Burnside)")
    res["solve"] = []
    for k, ns in ((2, (10, 20, 50, 100, 1000, 10_000)), (3, (10, 100, 1000))):
        for n in ns:
            r = run("solve", n=n, k=k)
            r.update(n=n, k=k, burnside=burnside_symmetric(n, 2 * k) if n <= 1000 else None)
            res["solve"].append(r)
            print(f"  k={k} n={n:>6}: {r.get('seconds', float('nan')) * 1e3:7.2f} ms  "
                  f"{r.get('peak_mb', 0):6.0f} / {r.get('work_mb', 0):5.1f} MB  dim {r.get('dim')}"
                  f" (Burnside {r['burnside']})")

    print("orbits without tuples (seconds, dim vs Burnside)")
    res["orbits"] = []
    # Two factors S(1000) × S(1000) would be one group to groupkit (groups are values, and
    # factors are told apart by value), so the product is taken with S(999).
    cases = [("S(1000)×S(999) V⊗V'→V⊗V'", "(S(1000), S(999))",
              "V(G[0])*V(G[1])", "V(G[0])*V(G[1])",
              burnside_symmetric(1000, 2) * burnside_symmetric(999, 2)),
             ("A(200) V⊗³→V⊗³", "A(200)", "V(G)**3", "V(G)**3",
              burnside_symmetric(200, 6, alternating=True))]
    cases.append(("S(100)≀S(10) (sympy, degree 1000) V⊗V→V⊗V", "wreath(100, 10)",
                  "V(G)**2", "V(G)**2", burnside_wreath(100, 10, 4)))
    for name, g, rin, rout, count in cases:
        r = run("orbits", group=g, rin=rin, rout=rout)
        r.update(case=name, burnside=count)
        res["orbits"].append(r)
        print(f"  {name}: {r.get('seconds', float('nan')):.4f} s, dim {r.get('dim')} "
              f"(Burnside {count}), {r.get('methods')}")

    print("EquivariantLinear(V⊗V, V⊗V), batch 8: build and fwd+bwd")
    res["layer"] = []
    for n in (20, 50, 100, 1000):
        r = run("layer", n=n, batch=8, reps=15 if n <= 100 else 5)
        r["n"] = n
        res["layer"].append(r)
        print(f"  n={n:>5}: {r.get('type')} build {r.get('build', float('nan')):.4f} s, "
              f"fwd+bwd {r.get('fwd_bwd_ours', float('nan')) * 1e3:8.2f} ms vs hand IGN "
              f"{r.get('fwd_bwd_ign', float('nan')) * 1e3:8.2f} ms: ratio "
              f"{r.get('fwd_bwd_ours', 0) / max(r.get('fwd_bwd_ign', 1e-9), 1e-9):.2f}, "
              f"peak {r.get('peak_mb', 0):.0f} MB")

    print("today's dense path (enumeration solve; dense-assembled layer)")
    res["old"] = []
    for n in (20,) if args.quick else (20, 50):
        s = run("old_solve", n=n)
        lay = run("old_layer", n=n, batch=8, reps=5)
        res["old"].append({"n": n, "solve": s, "layer": lay})
        print(f"  n={n}: solve {s.get('seconds', float('nan')):.3f} s "
              f"({s.get('peak_mb', 0):.0f} MB), build {lay.get('build', float('nan')):.3f} s, "
              f"fwd+bwd {lay.get('fwd_bwd_ours', float('nan')) * 1e3:.1f} ms, "
              f"peak {lay.get('peak_mb', 0):.0f} MB")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(res, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

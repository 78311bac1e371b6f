"""Cold-solve benchmark: groupkit against emlp on a fixed list of cases, side by side.

Every (library, case) runs in a fresh subprocess with empty caches (groupkit: GROUPKIT_CACHE=0;
emlp: a new process, JAX already started, so its JIT compilation is included, as its users see it).
We record the dimension found, the seconds, the process's peak RSS and a residual
(‖ρ_out(g) W − W ρ_in(g)‖ / ‖W‖ for a random combination W of the basis and random g).
A dimension that disagrees with emlp is printed as a failure, with the independent count.

    .venv/bin/python bench/solver.py                 # the case list, both libraries
    .venv/bin/python bench/solver.py --growth        # also the growth curves
    .venv/bin/python bench/solver.py --no-emlp       # groupkit only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (name, rep_in, rep_out, independent count) — expressions valid in both libraries' namespaces.
CASES = [
    ("SO(3) V→V", "V(SO(3))", "V(SO(3))", 1),
    ("SO(3) V⊗V→V", "V(SO(3))**2", "V(SO(3))", 1),
    ("SO(3) T(4)→1", "V(SO(3))**4", "Scalar", 3),
    ("SO(3) T(5)→1", "V(SO(3))**5", "Scalar", 6),
    ("SO(3) 32V⊕32V²⊕32 → same", "32*V(SO(3))+32*V(SO(3))**2+32*Scalar",
     "32*V(SO(3))+32*V(SO(3))**2+32*Scalar", 9216),
    ("O(5) V⊗V→V⊗V", "V(O(5))**2", "V(O(5))**2", 3),
    ("O(5) 10V→10V", "10*V(O(5))", "10*V(O(5))", 100),
    ("Lorentz 4·V⊗V→1", "4*V(Lorentz())**2", "Scalar", 4),
    ("Sp(2) V⊗V→V⊗V", "V(Sp(2))**2", "V(Sp(2))**2", 3),
    ("S(6) V³→1", "V(S(6))**3", "Scalar", 5),
    ("S(12) V⊗V→V⊗V", "V(S(12))**2", "V(S(12))**2", 15),
    ("RubiksCube V→V", "V(RubiksCube())", "V(RubiksCube())", 9),
    ("SO(3)×S(4) V⊗V'→V⊗V'", "V(SO(3))*V(S(4))", "V(SO(3))*V(S(4))", 2),
]

# Disagreements explained elsewhere: still printed as failures, with the reason.
KNOWN_EMLP_ISSUES = {
    "RubiksCube V→V": "emlp's RubiksCube generators make a larger group than the cube's "
                      "(order ~1.9e47; see tests/test_emlp_crosscheck.py)",
}

GROWTH = {
    "S(n) V⊗V→V⊗V": [(f"V(S({n}))**2", f"V(S({n}))**2", 15, n ** 4)
                     for n in (4, 6, 8, 10, 12, 16, 20, 25, 30)],
    "SO(3) V⊗ᵏ→1": [(f"V(SO(3))**{k}", "Scalar", [1, 0, 1, 1, 3, 6, 15, 36, 91][k], 3 ** k)
                    for k in range(2, 9)],
}

WORKER = r"""
import json, resource, sys, time
import numpy as np
lib, rin, rout = sys.argv[1], sys.argv[2], sys.argv[3]
def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if lib == "groupkit":
    from groupkit import *
    from groupkit.reps import _unify
    ns = dict(globals())
    R_in, R_out = eval(rin, ns), eval(rout, ns)
    t = time.perf_counter()
    basis = solve(R_in, R_out)
    seconds = time.perf_counter() - t
    dim = basis.dim
    rng = np.random.default_rng(0)
    R_in, R_out = _unify((R_in, R_out))
    G = R_in.group or R_out.group
    W = basis.weight(rng.normal(size=dim)) if dim else None
    mem = peak_mb()
else:
    sys.path.insert(0, sys.argv[4])
    from bench._emlp_compat import patch_emlp
    patch_emlp()
    import jax.numpy as jnp
    jnp.ones(3).block_until_ready()  # JAX started before the clock, as in ANCHORS.md
    from emlp.groups import SO, O, S, Sp, Lorentz, RubiksCube
    from emlp.reps import V, Scalar
    ns = dict(globals())
    R_in, R_out = eval(rin, ns), eval(rout, ns)
    t = time.perf_counter()
    Q = (R_in >> R_out).equivariant_basis()
    seconds = time.perf_counter() - t
    dim = Q.shape[-1]
    W = None
    mem = peak_mb()
    if dim and R_in.size() * R_out.size() <= 3000:
        Qd = np.asarray(Q @ np.eye(dim)) if not isinstance(Q, np.ndarray) else Q
        W = Qd @ np.random.default_rng(0).normal(size=dim)
        G = None
res = None
if W is not None:
    W = np.asarray(W).reshape(R_out.size() if callable(R_out.size) else R_out.size, -1)
    if lib == "groupkit":
        errs = []
        for g in G.samples(5, rng=1):
            a, b = R_out.rho(g) @ W, W @ R_in.rho(g)
            errs.append(np.linalg.norm(a - b) / (0.5 * (np.linalg.norm(a) + np.linalg.norm(b))))
        res = max(errs)
    else:
        try:  # emlp's sum and product reps do not all expose their group; skip the check there
            Gs = R_in.G if getattr(R_in, "G", None) is not None else R_out.G
            errs = []
            for g in np.asarray(Gs.samples(5)):
                a = np.asarray(R_out.rho_dense(g)) @ W
                b = W @ np.asarray(R_in.rho_dense(g))
                errs.append(np.linalg.norm(a - b) / (0.5 * (np.linalg.norm(a) + np.linalg.norm(b))))
            res = float(max(errs))
        except AttributeError:
            res = None
print(json.dumps({"dim": int(dim), "seconds": seconds, "peak_mb": mem, "residual": res}))
"""


def run_case(lib: str, rin: str, rout: str, timeout: float) -> dict:
    env = dict(os.environ, GROUPKIT_CACHE="0", PYTHONPATH=str(ROOT))
    env.setdefault("OMP_NUM_THREADS", "2")
    try:
        out = subprocess.run([sys.executable, "-c", WORKER, lib, rin, rout, str(ROOT)],
                             capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout > {timeout:.0f}s"}
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["?"]
        return {"error": tail[0][:120]}
    return json.loads(lines[-1])


def have_emlp() -> bool:
    # Only look for it: importing emlp (and JAX) here would inflate every worker's peak RSS,
    # since a forked child starts with its parent's resident set.
    import importlib.util

    return importlib.util.find_spec("emlp") is not None


def machine() -> dict:
    import numpy

    return {"platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__, "date": time.strftime("%Y-%m-%d %H:%M")}


def fmt_s(x) -> str:
    return f"{x:8.3f}" if isinstance(x, float) else f"{x:>8}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--no-emlp", action="store_true", help="skip emlp even when installed")
    ap.add_argument("--growth", action="store_true", help="also print the growth curves")
    ap.add_argument("--repeat", type=int, default=1, help="cold runs per case (median reported)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per emlp solve")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "solver.json"))
    args = ap.parse_args(argv)
    use_emlp = not args.no_emlp and have_emlp()
    print("machine:", json.dumps(machine()))
    print(f"emlp: {'installed' if use_emlp else 'not run'}; every solve cold, in a fresh process\n")
    header = (f"{'case':<28} {'count':>5} {'gk dim':>6} {'emlp dim':>8} {'gk s':>8} {'emlp s':>8} "
              f"{'ratio':>7} {'gk MB':>6} {'emlp MB':>7} {'gk resid':>9}")
    print(header)
    print("-" * len(header))
    rows, ratios, failures = [], [], []
    for name, rin, rout, count in CASES:
        gk = [run_case("groupkit", rin, rout, 600) for _ in range(args.repeat)]
        em = [run_case("emlp", rin, rout, args.timeout) for _ in range(args.repeat)] \
            if use_emlp else [{}]
        g = _median_run(gk)
        e = _median_run(em)
        ratio = e["seconds"] / g["seconds"] if "seconds" in e and "seconds" in g else None
        status = ""
        if g.get("dim") != count:
            status = f"FAIL: groupkit dim {g.get('dim')} ≠ count {count}"
            failures.append(name)
        elif "dim" in e and e["dim"] != g["dim"]:
            status = f"FAIL: dims disagree (emlp {e['dim']}, independent count {count})"
            if name in KNOWN_EMLP_ISSUES:
                status += f" — {KNOWN_EMLP_ISSUES[name]}"
            failures.append(name)
        elif ratio is not None:
            ratios.append(ratio)
        e_dim = e.get("dim", e.get("error", "-"))
        print(f"{name:<28} {count:>5} {g.get('dim', '-'):>6} {e_dim!s:>8.8} "
              f"{fmt_s(g.get('seconds', '-'))} {fmt_s(e.get('seconds', '-'))} "
              f"{(f'{ratio:7.0f}×' if ratio else '-'):>8} {g.get('peak_mb', 0):6.0f} "
              f"{e.get('peak_mb', 0):7.0f} {g.get('residual') or 0:9.1e} {status}")
        rows.append({"case": name, "count": count, "groupkit": g, "emlp": e, "ratio": ratio})
    if ratios:
        print(f"\nemlp/groupkit time ratio over {len(ratios)} agreeing cases: median "
              f"{statistics.median(ratios):.0f}×, min {min(ratios):.0f}×")
    if failures:
        print(f"dimension failures: {failures}")
    extra = exact_and_cache()
    growth = {}
    if args.growth:
        for title, pts in GROWTH.items():
            print(f"\ngrowth: {title}   (seconds against number of unknowns)")
            print(f"{'unknowns':>10} {'gk dim':>6} {'gk s':>8} {'emlp dim':>8} {'emlp s':>8}")
            emlp_alive = use_emlp
            growth[title] = []
            for rin, rout, count, n in pts:
                g = run_case("groupkit", rin, rout, 600)
                e = run_case("emlp", rin, rout, args.timeout) if emlp_alive else {}
                if "error" in e:
                    emlp_alive = False  # bigger sizes will not finish either
                print(f"{n:>10} {g.get('dim', '-'):>6} {fmt_s(g.get('seconds', '-'))} "
                      f"{e.get('dim', e.get('error', '-'))!s:>8.8} {fmt_s(e.get('seconds', '-'))}"
                      + ("" if g.get("dim") == count else f"  FAIL: count {count}"))
                growth[title].append({"unknowns": n, "count": count, "groupkit": g, "emlp": e})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "cases": rows, "growth": growth, **extra},
                              indent=1))
    print(f"\nwritten {out}")
    return 1 if failures else 0


EXACT_CASES = [
    ("SO(3) T(4)→1", "V(SO(3))**4", "Scalar"),
    ("S(6) V³→1", "V(S(6))**3", "Scalar"),
    ("Lorentz V⊗V→V⊗V", "V(Lorentz())**2", "V(Lorentz())**2"),
]


def exact_and_cache() -> dict:
    """Exact solves (cold, with their exact residual) and disk-cache hits, in this process."""
    import tempfile

    import groupkit
    from groupkit.exact import exact_basis

    ns = {k: getattr(groupkit, k) for k in groupkit.__all__}
    print(f"\n{'exact solve (cold)':<28} {'dim':>4} {'seconds':>8} {'exact residual':>15}")
    out = {"exact": [], "cache_hits": []}
    os.environ["GROUPKIT_CACHE"] = "0"
    for name, rin, rout in EXACT_CASES:
        groupkit.clear_caches()
        R_in, R_out = eval(rin, ns), eval(rout, ns)
        t = time.perf_counter()
        Q = exact_basis(R_in, R_out)
        seconds = time.perf_counter() - t
        zero = _exact_residual_zero(Q, R_in, R_out)
        print(f"{name:<28} {Q.shape[1]:>4} {seconds:8.3f} {'0 (exact)' if zero else 'NONZERO':>15}")
        out["exact"].append({"case": name, "dim": Q.shape[1], "seconds": seconds, "zero": zero})
    del os.environ["GROUPKIT_CACHE"]
    with tempfile.TemporaryDirectory() as d:
        os.environ["GROUPKIT_CACHE_DIR"] = d
        print(f"\n{'disk-cache hit (fresh memory)':<36} {'miss s':>8} {'hit ms':>8} "
              f"{'identical':>9}")
        for name, rin, rout, _ in CASES:
            R_in, R_out = eval(rin, ns), eval(rout, ns)
            groupkit.clear_caches()
            t = time.perf_counter()
            a = groupkit.solve(R_in, R_out)
            miss = time.perf_counter() - t
            groupkit.clear_caches()  # forget the memory copy: the hit comes from disk
            t = time.perf_counter()
            b = groupkit.solve(R_in, R_out)
            hit = time.perf_counter() - t
            same = all((x.pair.Q != y.pair.Q).nnz == 0 if hasattr(x.pair.Q, "nnz")
                       else bool((x.pair.Q == y.pair.Q).all()) for x, y in zip(a.blocks, b.blocks))
            print(f"{name:<36} {miss:8.3f} {hit * 1e3:8.2f} {str(same):>9}")
            out["cache_hits"].append({"case": name, "miss_s": miss, "hit_ms": hit * 1e3,
                                      "identical": same})
        del os.environ["GROUPKIT_CACHE_DIR"]
    return out


def _exact_residual_zero(Q, R_in, R_out) -> bool:
    """ρ_out(h) W − W ρ_in(h) = 0 and dρ_out(A) W − W dρ_in(A) = 0 in exact arithmetic, for the
    group's generators, with the generators converted to rationals."""
    import sympy

    from groupkit.reps import _unify

    R_in, R_out = _unify((R_in, R_out))
    G = R_in.group or R_out.group
    n_out, n_in = R_out.size, R_in.size
    rat = lambda m: sympy.Matrix(m.shape[0], m.shape[1],  # noqa: E731
                                 [sympy.nsimplify(float(v), rational=True) for v in m.ravel()])
    for j in range(Q.shape[1]):
        W = Q[:, j].reshape(n_out, n_in)
        for h in G.discrete_generators:
            if (rat(R_out.rho(h)) * W - W * rat(R_in.rho(h))).is_zero_matrix is not True:
                return False
        for A in G.lie_algebra:
            if (rat(R_out.drho(A)) * W - W * rat(R_in.drho(A))).is_zero_matrix is not True:
                return False
    return True


def _median_run(runs: list[dict]) -> dict:
    ok = [r for r in runs if "seconds" in r]
    if not ok:
        return runs[0] if runs else {}
    ok.sort(key=lambda r: r["seconds"])
    return ok[len(ok) // 2]


if __name__ == "__main__":
    sys.exit(main())

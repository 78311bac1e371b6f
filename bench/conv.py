"""Point-convolution benchmark: groupkit's PointConv against e3nn (and escnn when installed).

One convolution on 2,000 random points in the unit cube, 16 nearest neighbours each (32,000
edges), SO(3) fields of 8 copies each of the l = 0, 1, 2 irreps (72 dimensions) in and out,
float32, one thread.

* groupkit: ``PointConv(SO(3), rep, rep)`` with rep = 8·1 ⊕ 8·V ⊕ 8·Y2 (Y2 = ``harmonic(V, 2)``,
  the 5-dimensional l = 2 irrep), default kernel MLP (two gated layers of 16·1 ⊕ 8·V ⊕ 8·Y2,
  angular degree 2), envelope radius = the longest edge, messages only (no self-interaction,
  like the e3nn layer).
* groupkit, per-edge kernels: the same ImplicitKernel, but K(x_ij) (E × 72 × 72) materialised and
  applied per edge — the seed paper's layout — to show what the bilinear contraction saves.
* e3nn: ``FullyConnectedTensorProduct(8x0e+8x1o+8x2e ⊗ sh(lmax 2) → 8x0e+8x1o+8x2e)`` with
  per-edge weights from a radial MLP [10 → 64 → 704] on a smooth radial basis (e3nn's
  convolution recipe), scattered with ``index_add``.
* escnn ``R3PointConv``: only when escnn imports (it needs gfortran for py3nj to install).

Time: forward+backward (loss = Σ out², gradients for parameters and input features), median of
10 after 2 warm-ups, the implementations interleaved in one process (the steadiest method on
shared machines). Peak memory: each implementation in its own fresh subprocess, the increase of
the process's peak RSS (``resource.getrusage().ru_maxrss``) over its RSS just before one
forward+backward (data and model already built). Equivariance: relative error of
conv(ρ_in(g) f, g·pos) against ρ_out(g) conv(f, pos), max over 3 random rotations, float32 as
timed (and float64 for groupkit).

The same convolution also runs on an irregular radius graph (every point within r = 0.125:
degrees from 1 to about 30 around a mean of 16), timed for groupkit and e3nn.

A third case has no counterpart in either rival: the Lorentz group O(1,3) on 2,000 space-time
events (16 Euclidean nearest neighbours define the graph; fields 8·1 ⊕ 8·V ⊕ 8·Y2, 112 dims,
Y2 = the 9-dimensional traceless symmetric tensors), with random boosts and rotations.

    .venv/bin/python bench/conv.py               # everything (about 2–3 minutes)
    .venv/bin/python bench/conv.py --repeats 5   # fewer timed repetitions
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groupkit import SO, Lorentz, Scalar, V  # noqa: E402
from groupkit.testing import relative_error  # noqa: E402

from bench._report import cpu_name  # noqa: E402
from kernels import PointConv, harmonic, knn_graph, radius_graph  # noqa: E402

N_POINTS, K_NN, MULT = 2000, 16, 8
RADIUS = 0.125  # about 16 neighbours on average inside the cube, fewer near its faces
SEED_PAPER = {"fwd+bwd s": 6.8, "peak GB": 3.2, "equivariance": "1.3e-3 to 2.6e-2"}


# -- data ---------------------------------------------------------------------------------------

def make_cloud(d: int, dim: int, dtype=torch.float32, seed: int = 0, graph: str = "knn"):
    gen = torch.Generator().manual_seed(seed)
    pos = torch.rand(N_POINTS, d, generator=gen, dtype=torch.float64)
    f = torch.randn(N_POINTS, dim, generator=gen, dtype=torch.float64)
    if graph == "knn":
        ei = knn_graph(pos, K_NN)
        r_max = float((pos[ei[0]] - pos[ei[1]]).norm(dim=1).max()) * 1.01
    else:  # irregular: every point within RADIUS (degrees from 1 to about 30)
        ei = radius_graph(pos, RADIUS)
        r_max = RADIUS * 1.01
    return pos.to(dtype), f.to(dtype), ei, r_max


def so3_rep():
    G = SO(3)
    return G, MULT * Scalar + MULT * V(G) + MULT * harmonic(V(G), 2)


# -- implementations ----------------------------------------------------------------------------

class GroupkitConv(torch.nn.Module):
    def __init__(self, r_max, dtype=torch.float32, method="auto"):
        super().__init__()
        G, rep = so3_rep()
        self.conv = PointConv(G, rep, rep, cutoff=r_max, avg_degree=K_NN,
                              self_interaction=False, bias=False, dtype=dtype, method=method)
        self.rep_in, self.rep_out = self.conv.rep_in, self.conv.rep_out

    def forward(self, f, pos, ei):
        return self.conv(f, pos, ei)

    def rotate_in(self, R):
        return self.rep_in.rho(R)

    def rotate_out(self, R):
        return self.rep_out.rho(R)


class GroupkitPerEdge(GroupkitConv):
    """The same kernel, materialised per edge (E, out, in) and applied by einsum."""

    def forward(self, f, pos, ei):
        K = self.conv.kernel(pos[ei[0]] - pos[ei[1]])
        msg = torch.einsum("eoi,ei->eo", K, f[ei[0]])
        out = f.new_zeros(f.shape[0], K.shape[1]).index_add(0, ei[1], msg)
        return out / K_NN ** 0.5


def make_e3nn(r_max):
    from e3nn import o3
    from e3nn.math import soft_one_hot_linspace
    from e3nn.nn import FullyConnectedNet

    class E3nnConv(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.irreps = o3.Irreps(f"{MULT}x0e+{MULT}x1o+{MULT}x2e")
            self.sh = o3.Irreps.spherical_harmonics(2)
            self.tp = o3.FullyConnectedTensorProduct(self.irreps, self.sh, self.irreps,
                                                     shared_weights=False,
                                                     internal_weights=False)
            self.n_basis = 10
            self.fc = FullyConnectedNet([self.n_basis, 64, self.tp.weight_numel],
                                        torch.nn.functional.silu)
            self._soft = soft_one_hot_linspace

        def forward(self, f, pos, ei):
            vec = pos[ei[0]] - pos[ei[1]]
            sh = o3.spherical_harmonics(self.sh, vec, normalize=True,
                                        normalization="component")
            emb = self._soft(vec.norm(dim=1), 0.0, r_max, self.n_basis, basis="smooth_finite",
                             cutoff=True).mul(self.n_basis ** 0.5)
            msg = self.tp(f[ei[0]], sh, self.fc(emb))
            out = f.new_zeros(f.shape[0], self.irreps.dim).index_add(0, ei[1], msg)
            return out / K_NN ** 0.5

        def rotate_in(self, R):
            return self.irreps.D_from_matrix(torch.as_tensor(R, dtype=torch.float64)).numpy()

        rotate_out = rotate_in

    return E3nnConv()


def make_escnn(r_max):  # pragma: no cover - escnn does not install here (needs gfortran)
    import escnn  # noqa: F401

    raise NotImplementedError("escnn imported, but its R3PointConv wiring is not written: "
                              "escnn could not be installed on the machines this was built on")


def build(name: str, r_max: float):
    if name == "groupkit":
        return GroupkitConv(r_max)
    if name == "groupkit per-edge":
        return GroupkitPerEdge(r_max)
    if name == "e3nn":
        return make_e3nn(r_max)
    if name == "escnn":
        return make_escnn(r_max)
    raise KeyError(name)


def available() -> list[str]:
    names = ["groupkit", "groupkit per-edge"]
    for mod in ("e3nn", "escnn"):
        try:
            __import__(mod)
            names.append(mod)
        except Exception as e:  # noqa: BLE001 - any import failure means "not available"
            print(f"  ({mod} not available: {type(e).__name__}: {str(e)[:80]})")
    return names


# -- measurements -------------------------------------------------------------------------------

def step(model, f, pos, ei):
    out = model(f, pos, ei)
    out.pow(2).sum().backward()
    return out


def time_interleaved(models: dict, f, pos, ei, repeats: int) -> dict[str, float]:
    times = {n: [] for n in models}
    for m in models.values():  # warm-up
        for _ in range(2):
            step(m, f.detach().requires_grad_(True), pos, ei)
    for _ in range(repeats):
        for n, m in models.items():
            fi = f.detach().requires_grad_(True)
            m.zero_grad(set_to_none=True)
            t0 = time.perf_counter()
            step(m, fi, pos, ei)
            times[n].append(time.perf_counter() - t0)
    return {n: statistics.median(t) for n, t in times.items()}


def equivariance(model, f, pos, ei, G, space_rho=lambda g: g, n_g: int = 3,
                 seed: int = 7) -> float:
    worst = 0.0
    dt = f.dtype
    with torch.no_grad():
        out = model(f, pos, ei).double().numpy()
        for g in G.samples(n_g, rng=seed):
            Rin = torch.as_tensor(model.rotate_in(g), dtype=dt)
            P = torch.as_tensor(space_rho(g), dtype=dt)
            out_g = model(f @ Rin.T, pos @ P.T, ei).double().numpy()
            worst = max(worst, relative_error(out_g, out @ np.asarray(model.rotate_out(g)).T))
    return worst


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def memory_worker(name: str, case: str) -> None:
    """Runs in a fresh subprocess: build, then one forward+backward; prints JSON."""
    torch.set_num_threads(1)
    if case == "so3":
        G, rep = so3_rep()
        pos, f, ei, r_max = make_cloud(3, rep.size)
        model = build(name, r_max)
    else:
        pos, f, ei, model = lorentz_setup(torch.float32)
    f.requires_grad_(True)
    before_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    before = _rss_mb()
    step(model, f, pos, ei)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"peak_delta_mb": peak - before, "rss_before_mb": before,
                      "bounded_by_setup": peak <= before_peak}))


def measure_memory(name: str, case: str = "so3") -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--memory-worker", name, case]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    if res.returncode:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr else "failed"}
    return json.loads(res.stdout.strip().splitlines()[-1])


# -- Lorentz ------------------------------------------------------------------------------------

class LorentzConv(torch.nn.Module):
    def __init__(self, cutoff, dtype):
        super().__init__()
        G = Lorentz()
        rep = MULT * Scalar + MULT * V(G) + MULT * harmonic(V(G), 2)
        self.conv = PointConv(G, rep, rep, cutoff=cutoff, avg_degree=K_NN,
                              self_interaction=False, bias=False, dtype=dtype)
        self.rep_in = self.rep_out = self.conv.rep_in

    def forward(self, f, pos, ei):
        return self.conv(f, pos, ei)

    def rotate_in(self, g):
        return self.rep_in.rho(g)

    rotate_out = rotate_in


def lorentz_setup(dtype):
    G = Lorentz()
    rep_size = (MULT * Scalar + MULT * V(G) + MULT * harmonic(V(G), 2)).size
    pos, f, ei, r_max = make_cloud(4, rep_size, dtype=dtype, seed=1)
    torch.manual_seed(0)
    return pos, f, ei, LorentzConv(cutoff=r_max, dtype=dtype)


# -- report -------------------------------------------------------------------------------------

def machine() -> str:
    cpu = cpu_name()
    return (f"{cpu}; {os.cpu_count()} logical CPUs; Python {platform.python_version()}; "
            f"torch {torch.__version__}; threads {torch.get_num_threads()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--memory-worker", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "conv.json")
    ap.add_argument("--cases", default="knn,radius,lorentz",
                    help="which cases to run, comma-separated (knn, radius, lorentz)")
    args = ap.parse_args()
    cases = set(args.cases.split(","))
    if args.memory_worker:
        memory_worker(*args.memory_worker)
        return
    torch.set_num_threads(1)
    torch.manual_seed(0)
    print(f"machine: {machine()}")
    print(f"case: {N_POINTS} points, {K_NN}-NN ({N_POINTS * K_NN} edges), SO(3) fields "
          f"{MULT}×(l=0,1,2) = 72 dims in and out, float32, fwd+bwd, median of {args.repeats}")
    names = available()
    G, rep = so3_rep()
    results: dict = {"command": "python bench/conv.py " + " ".join(sys.argv[1:]),
                     "machine": machine(), "loadavg_start": os.getloadavg()}
    models = {}
    lorentz_memory = ({} if args.no_memory or "lorentz" not in cases
                      else measure_memory("groupkit", "lorentz"))
    if "knn" in cases:
        # Memory first, while this process is still small: a child inherits its parent's peak RSS
        # high-water mark across fork+exec, so workers started later would report the parent's.
        memory = {n: ({} if args.no_memory else measure_memory(n)) for n in names}
        pos, f, ei, r_max = make_cloud(3, rep.size)
        for n in names:
            t0 = time.perf_counter()
            try:
                models[n] = build(n, r_max)
            except Exception as e:  # noqa: BLE001
                print(f"  {n}: could not build ({type(e).__name__}: {e})")
                continue
            print(f"  built {n} in {time.perf_counter() - t0:.1f} s "
                  f"({sum(p.numel() for p in models[n].parameters())} parameters)")
        times = time_interleaved(models, f, pos, ei, args.repeats)
        results["so3"] = {}
        for n, m in models.items():
            err = equivariance(m, f, pos, ei, G)
            results["so3"][n] = {"fwd+bwd s": times[n], "equivariance_f32": err, **memory[n]}
        m64 = GroupkitConv(r_max, dtype=torch.float64)
        results["so3"]["groupkit"]["equivariance_f64"] = equivariance(
            m64, f.double(), pos.double(), ei, G)

        print(f"\n{'implementation':<20} {'fwd+bwd s':>10} {'peak MB':>9} {'equiv. err':>11}")
        for n, r in results["so3"].items():
            mem = r.get("peak_delta_mb")
            mem_s = "—" if mem is None else \
                f"{mem:.0f}" + ("*" if r.get("bounded_by_setup") else "")
            print(f"{n:<20} {r['fwd+bwd s']:>10.3f} {mem_s:>9} {r['equivariance_f32']:>11.1e}")
        print(f"{'seed paper (anchor)':<20} {SEED_PAPER['fwd+bwd s']:>10.1f} "
              f"{SEED_PAPER['peak GB'] * 1024:>9.0f} {SEED_PAPER['equivariance']:>11}"
              "   (ANCHORS.md, another machine)")
        gk = results["so3"]["groupkit"]
        print(f"groupkit float64 equivariance error: {gk['equivariance_f64']:.1e}")
        print("ratios (groupkit = 1):")
        for n, r in results["so3"].items():
            if n == "groupkit":
                continue
            line = f"  {n}: time ×{r['fwd+bwd s'] / gk['fwd+bwd s']:.2f}"
            if "peak_delta_mb" in r and "peak_delta_mb" in gk:
                line += f", memory ×{r['peak_delta_mb'] / gk['peak_delta_mb']:.2f}"
            print(line)
        print("  seed paper (anchor figure): time "
              f"×{SEED_PAPER['fwd+bwd s'] / gk['fwd+bwd s']:.1f}")

    if "radius" in cases:
        # -- the same convolution on an irregular radius graph -----------------------------------
        pos_r, f_r, ei_r, r_cut = make_cloud(3, rep.size, graph="radius")
        deg = torch.bincount(ei_r[1], minlength=N_POINTS)
        print(f"\nradius graph: r = {RADIUS}, {ei_r.shape[1]} edges, degree {int(deg.min())}–"
              f"{int(deg.max())} (mean {deg.float().mean():.1f})")
        radius_models = {}
        for n in names:
            if n == "groupkit per-edge" or (models and n not in models):
                continue
            radius_models[n] = build(n, r_cut)
        # the automatic choice per degree bucket ("groupkit"), and each path alone
        for method in ("padded", "gathered"):
            radius_models[f"groupkit {method}"] = GroupkitConv(r_cut, method=method)
        t_r = time_interleaved(radius_models, f_r, pos_r, ei_r, args.repeats)
        results["so3_radius"] = {"radius": RADIUS, "edges": int(ei_r.shape[1]),
                                 "degree_min": int(deg.min()), "degree_max": int(deg.max()),
                                 "degree_mean": float(deg.float().mean())}
        for n, m in radius_models.items():
            results["so3_radius"][n] = {"fwd+bwd s": t_r[n],
                                        "equivariance_f32": equivariance(m, f_r, pos_r, ei_r, G)}
            line = f"  {n:<18} {t_r[n]:.3f} s"
            if n != "groupkit":
                line += f"   (×{t_r[n] / t_r['groupkit']:.2f} of groupkit)"
                results["so3_radius"][n]["ratio_to_groupkit"] = t_r[n] / t_r["groupkit"]
            print(line)

    if "lorentz" in cases:
        print(f"\nLorentz O(1,3): {N_POINTS} space-time events, {K_NN}-NN, fields 8×(1 ⊕ V ⊕ Y2) = "
              "112 dims (no rival supports this group)")
        pos4, f4, ei4, lconv = lorentz_setup(torch.float32)
        t = time_interleaved({"lorentz": lconv}, f4, pos4, ei4, max(3, args.repeats // 2))
        err32 = equivariance(lconv, f4, pos4, ei4, Lorentz())
        pos8, f8, ei8, lconv64 = lorentz_setup(torch.float64)
        err64 = equivariance(lconv64, f8, pos8, ei8, Lorentz())
        mem = lorentz_memory
        results["lorentz"] = {"fwd+bwd s": t["lorentz"], "equivariance_f32": err32,
                              "equivariance_f64": err64, **mem}
        peak = mem.get("peak_delta_mb", float("nan"))
        print(f"  fwd+bwd {t['lorentz']:.3f} s, peak {peak:.0f} MB,"
              f" equivariance error {err32:.1e} (float32), {err64:.1e} (float64)")
    print("\nmemory: peak RSS increase during one fwd+bwd in a fresh process, over its RSS just "
          "before (* = an earlier peak was higher, so the figure is a lower bound)")
    results["loadavg_end"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1))
    print(f"results written to {args.json}")


if __name__ == "__main__":
    main()

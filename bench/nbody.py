"""N-body-sized graphs: a training step of groupkit's SteerablePointNet beside an EGNN.

EGNN's charged-particle task sizes: 5 particles per system, fully connected (20 directed
edges), batch of 100 systems (500 nodes, 2,000 edges), float32, one thread by default.

* groupkit: ``SteerablePointNet(O(3), 1 ⊕ V → hidden → hidden → V)``, 3 point convolutions,
  hidden 16·1 ⊕ 8·V ⊕ 8·Y2 (the kernels' default hidden type), default kernel MLP (two gated
  layers of the same type, angular degree 2), one edge feature (the charge product),
  ``avg_degree=4``. Node inputs: the speed |v| and the velocity v; output: a displacement added
  to the positions.
* EGNN (bench/egnn.py, from the paper's equations): 4 layers, width chosen so that its parameter
  count is closest to groupkit's (``--egnn-hidden`` overrides).

A step is forward, MSE loss against random targets, backward and an Adam update; the two models
are interleaved, median over ``--repeats`` steps each. Only the timing is meaningful (the data
are random draws of the task's shapes, not a simulation).

    .venv/bin/python bench/nbody.py --repeats 30 --json bench/results/nbody.json
    python bench/nbody.py --device cuda --repeats 50      # on a GPU
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groupkit import O, Scalar, V  # noqa: E402

from bench.egnn import EGNN  # noqa: E402
from kernels import SteerablePointNet, harmonic  # noqa: E402

N_PARTICLES, BATCH = 5, 100


def fully_connected(n: int, batch: int) -> torch.Tensor:
    i, j = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
    keep = i != j
    src, tgt = j[keep], i[keep]  # sorted by target
    off = (torch.arange(batch) * n)[:, None]
    return torch.stack([(src[None] + off).ravel(), (tgt[None] + off).ravel()])


def data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    n = N_PARTICLES * BATCH
    pos = torch.randn(n, 3, generator=g)
    vel = 0.5 * torch.randn(n, 3, generator=g)
    charge = torch.randint(0, 2, (n, 1), generator=g).float() * 2 - 1
    target = pos + 0.3 * torch.randn(n, 3, generator=g)
    ei = fully_connected(N_PARTICLES, BATCH)
    edge_attr = charge[ei[0]] * charge[ei[1]]
    return pos, vel, charge, target, ei, edge_attr


def groupkit_model(method: str = "auto"):
    G = O(3)
    hidden = 16 * Scalar + 8 * V(G) + 8 * harmonic(V(G), 2)
    torch.manual_seed(0)
    return SteerablePointNet(G, Scalar + V(G), hidden, V(G), layers=3, edge_features=1,
                             avg_degree=N_PARTICLES - 1, length_scale=2.0, method=method)


def count(m) -> int:
    return sum(p.numel() for p in m.parameters())


def egnn_matching(n_params: int) -> tuple[EGNN, int]:
    best = min(range(16, 257, 4), key=lambda h: abs(count(EGNN(h)) - n_params))
    torch.manual_seed(0)
    return EGNN(best), best


def conditions() -> str:
    """A plain statement of how quiet the machine was (load average against CPU count)."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > 0.5 * cpus:
        return (f"shared machine: load average {load:.1f} on {cpus} CPUs while measuring; "
                "absolute times are inflated and conditions with extra load are contaminated "
                "by other processes; only ratios measured side by side are meaningful")
    return f"quiet machine: load average {load:.1f} on {cpus} CPUs"


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--egnn-hidden", type=int, default=None)
    ap.add_argument("--methods", default="auto", help="PointConv methods to time, comma-separated")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    pos, vel, charge, target, ei, edge_attr = (t.to(dev) for t in data())
    speed = vel.norm(dim=1, keepdim=True)

    models = {f"groupkit ({m})": groupkit_model(m) for m in args.methods.split(",")}
    n_gk = count(next(iter(models.values())))
    if args.egnn_hidden:
        torch.manual_seed(0)
        egnn, width = EGNN(args.egnn_hidden), args.egnn_hidden
    else:
        egnn, width = egnn_matching(n_gk)
    models["EGNN"] = egnn
    models = {n: m.to(dev) for n, m in models.items()}
    opts = {n: torch.optim.Adam(m.parameters(), lr=1e-3) for n, m in models.items()}
    feats = torch.cat([speed, vel], dim=1)

    def run(name):
        m = models[name]
        if name == "EGNN":
            out = m(speed, pos, vel, ei, edge_attr, N_PARTICLES)
        else:
            out = pos + m(feats, pos, ei, edge_attr)
        loss = (out - target).pow(2).mean()
        opts[name].zero_grad(set_to_none=True)
        loss.backward()
        opts[name].step()
        sync()

    times = {n: [] for n in models}
    for n in models:
        for _ in range(3):
            run(n)
    load0 = os.getloadavg()
    for _ in range(args.repeats):
        for n in models:
            t = time.perf_counter()
            run(n)
            times[n].append(time.perf_counter() - t)
    med = {n: statistics.median(v) for n, v in times.items()}
    res = {
        "command": "python bench/nbody.py " + " ".join(shlex.quote(a) for a in (
            argv if argv is not None else sys.argv[1:])),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "torch": torch.__version__, "threads": args.threads,
                    "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                    "loadavg_start": load0, "loadavg_end": os.getloadavg()},
        "conditions": conditions(),
        "case": {"particles": N_PARTICLES, "batch": BATCH, "nodes": N_PARTICLES * BATCH,
                 "edges": int(ei.shape[1])},
        "parameters": {n: count(m) for n, m in models.items()},
        "egnn_hidden": width,
        "median_step_s": med,
        "all_step_s": times,
    }
    print(f"machine: {res['machine']['platform']}, {os.cpu_count()} CPUs, torch "
          f"{torch.__version__}, {args.threads} thread(s), load {load0[0]:.2f} → "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{N_PARTICLES} particles × batch {BATCH}, fully connected ({ei.shape[1]} edges); "
          f"training step (fwd + bwd + Adam), median of {args.repeats}, interleaved")
    for n in models:
        print(f"  {n:<22} {med[n] * 1e3:7.1f} ms   {res['parameters'][n]:>7} parameters   "
              f"×{med[n] / med['EGNN']:.2f} of EGNN")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=1))
    return res


if __name__ == "__main__":
    main()

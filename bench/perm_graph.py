"""Graph example (issue 17): a 2-IGN against plain MLPs on the flattened, padded adjacency
matrix, learning a graph invariant of random graphs of varying size — same data, same batches,
same optimiser and step count, learning rate chosen on validation, several seeds, one run.

    .venv/bin/python bench/perm_graph.py        # 5 seeds × 3 learning rates: ~8 min, one core

Graphs: n ~ U{10, …, 30} nodes, edges independent with probability
W(u_i, u_j) = p (1 + h(2u_i − 1)) (1 + h(2u_j − 1)), u_i ~ U(0, 1) per node, p ~ U(0.05, 0.25),
h ~ U(0, 1) per graph (a rank-one graphon; h = 0 is Erdős–Rényi G(n, p); larger h spreads the
degrees). Node order is random (the u_i are i.i.d.).

Target (default ``degvar``): the variance over nodes of deg_i / (n − 1). It is not a function of
the edge density (h moves it at fixed p), and a 2-IGN expresses it exactly (row means, a
nonlinearity, a mean over nodes) — unlike the triangle count (``--target triangles``), which no
2-IGN can compute in general: it is bounded by the 2-WL test, and two triangles and a hexagon
are both 2-regular on 6 nodes.

Models: ``IGN2(1, 16, 1)`` with mean-normalised layers (one set of weights means the same
function at every n), an MLP of about the same parameter count, and a wide MLP; both MLPs see
the adjacency zero-padded to 30 × 30 and flattened, plus n/30. Training: Adam, cosine decay,
batch 32 (a batch holds graphs of one size; the MLPs get the same batches padded), targets
standardised on the training set; the reported model of each run is its epoch with the lowest
validation MSE, and the learning rate is chosen per model and seed on validation from
``--lrs``. Metric: test MSE / variance of the test targets (1 = predicting the test mean). The
IGN is also tested on n ~ U{40, …, 60} graphs, which the MLPs cannot take (their input size is
fixed at 30 × 30).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import platform
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from groupkit.nn.ign import IGN2

ROOT = Path(__file__).resolve().parent.parent
N_MAX = 30


def sample(count: int, n_range: tuple[int, int], gen: torch.Generator, target: str):
    """``count`` graphs: {n: (A (m, n, n), y (m,))}."""
    ns = torch.randint(n_range[0], n_range[1] + 1, (count,), generator=gen)
    out: dict[int, tuple[list, list]] = {}
    for n in ns.tolist():
        p = 0.05 + 0.2 * torch.rand(1, generator=gen)
        h = torch.rand(1, generator=gen)
        w = 1 + h * (2 * torch.rand(n, generator=gen) - 1)
        P = p * w[:, None] * w[None, :]
        upper = torch.triu((torch.rand(n, n, generator=gen) < P).float(), diagonal=1)
        A = upper + upper.T   # 0/1 entries: exact in float32
        out.setdefault(n, ([], []))[0].append(A)
        out[n][1].append(_target(A, target))
    return {n: (torch.stack(a), torch.tensor(y, dtype=torch.float64))
            for n, (a, y) in sorted(out.items())}


def _target(A: torch.Tensor, target: str) -> float:
    A, n = A.double(), A.shape[0]
    if target == "degvar":
        return (A.sum(1) / (n - 1)).var(unbiased=False).item()
    if target == "triangles":
        return (torch.trace(A @ A @ A) / 6 / math.comb(n, 3)).item()
    raise ValueError(target)


def padded(A: torch.Tensor) -> torch.Tensor:
    n = A.shape[-1]
    flat = F.pad(A, (0, N_MAX - n, 0, N_MAX - n)).flatten(1)
    return torch.cat([flat, flat.new_full((len(A), 1), n / N_MAX)], dim=1)


def mlp(width: int) -> nn.Module:
    return nn.Sequential(nn.Linear(N_MAX ** 2 + 1, width), nn.ReLU(), nn.Linear(width, width),
                         nn.ReLU(), nn.Linear(width, 1))


def predict(model, data, flat: bool) -> tuple[torch.Tensor, torch.Tensor]:
    preds, ys = [], []
    with torch.no_grad():
        for A, y in data.values():
            for i in range(0, len(A), 256):
                x = padded(A[i:i + 256]) if flat else A[i:i + 256]
                preds.append(model(x).reshape(-1))
                ys.append(y[i:i + 256])
    return torch.cat(preds), torch.cat(ys)


def relative_mse(model, data, flat: bool, mu: float, sd: float) -> float:
    pred, y = predict(model, data, flat)
    return ((pred * sd + mu - y).square().mean() / y.var(unbiased=False)).item()


def batches(train, gen: torch.Generator, size: int = 32):
    out = []
    for n, (A, _y) in train.items():
        perm = torch.randperm(len(A), generator=gen)
        out += [(n, perm[i:i + size]) for i in range(0, len(A), size)]
    order = torch.randperm(len(out), generator=gen).tolist()
    return [out[i] for i in order]


def fit(model, train, val, *, flat: bool, lr: float, epochs: int, seed: int, mu, sd):
    """Adam with cosine decay; returns (best validation relative MSE, that epoch's state)."""
    gen = torch.Generator().manual_seed(1000 + seed)   # the same batches for every model
    steps = epochs * len(batches(train, torch.Generator().manual_seed(0)))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1 + math.cos(math.pi * min(s, steps) / steps)))
    best, state = math.inf, None
    for _ in range(epochs):
        model.train()
        for n, idx in batches(train, gen):
            A, y = train[n]
            x = padded(A[idx]) if flat else A[idx]
            loss = (model(x).reshape(-1) - ((y[idx] - mu) / sd).float()).square().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        model.eval()
        err = relative_mse(model, val, flat, mu, sd)
        if err < best:
            best, state = err, copy.deepcopy(model.state_dict())
    model.load_state_dict(state)
    return best


MODELS = {
    "ign": (lambda: IGN2(1, 16, 1, layers=2, normalize="mean"), False),
    "mlp_small": (lambda: mlp(5), True),
    "mlp_wide": (lambda: mlp(256), True),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--train", type=int, default=1500)
    ap.add_argument("--lrs", type=float, nargs="+", default=[1e-3, 3e-3, 1e-2])
    ap.add_argument("--target", choices=("degvar", "triangles"), default="degvar")
    ap.add_argument("--models", nargs="+", choices=tuple(MODELS), default=list(MODELS))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "perm_graph.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        gen = torch.Generator().manual_seed(seed)
        train = sample(args.train, (10, N_MAX), gen, args.target)
        val = sample(500, (10, N_MAX), gen, args.target)
        test = sample(1000, (10, N_MAX), gen, args.target)
        large = sample(300, (40, 60), gen, args.target)
        ys = torch.cat([y for _, y in train.values()])
        mu, sd = ys.mean().item(), ys.std().item()
        row = {"seed": seed}
        for name in args.models:
            make, flat = MODELS[name]
            runs = []
            for lr in args.lrs:
                torch.manual_seed(seed)
                model = make()
                t = time.perf_counter()
                v = fit(model, train, val, flat=flat, lr=lr, epochs=args.epochs, seed=seed,
                        mu=mu, sd=sd)
                runs.append({"lr": lr, "val": v, "seconds": time.perf_counter() - t,
                             "test": relative_mse(model, test, flat, mu, sd),
                             "test_large": None if flat else
                             relative_mse(model, large, flat, mu, sd)})
            chosen = min(runs, key=lambda r: r["val"])
            row[name] = {**chosen, "params": sum(p.numel() for p in make().parameters()),
                         "all_lrs": runs}
            print(f"seed {seed} {name:9s} lr {chosen['lr']:.0e} (on validation)  "
                  f"val {chosen['val']:.4f}  test {chosen['test']:.4f}" +
                  ("" if chosen["test_large"] is None else
                   f"  test n∈[40,60] {chosen['test_large']:.4f}") +
                  f"  ({row[name]['params']} params, {chosen['seconds']:.0f} s)", flush=True)
        rows.append(row)
    med = {name: {k: sorted(r[name][k] for r in rows)[len(rows) // 2]
                  for k in ("test", "test_large") if rows[0][name][k] is not None}
           for name in args.models}
    print("median over seeds:", json.dumps(med))
    machine = {"platform": platform.platform(), "python": platform.python_version(),
               "torch": torch.__version__, "threads": 1}
    Path(args.out).write_text(json.dumps({"args": vars(args), "machine": machine,
                                          "rows": rows, "median": med}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Weight assembly alone: W = Σ θ_b Q_b for the README's O(5) hidden layer, forward+backward,
in each of :class:`groupkit.nn.BasisAssembler`'s modes ("sparse": one gather + one scatter-add;
"blocks": one small matmul per pair of summand types, the layout groupkit used before;
"dense" is skipped at this size). One thread, interleaved, best and median of ``--repeats``.

    .venv/bin/python bench/assembly.py        # writes bench/results/assembly.json
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import torch

from groupkit import O, Scalar, V
from groupkit.nn import EMLP, EquivariantLinear
from groupkit.nn.linear import BasisAssembler

ROOT = Path(__file__).resolve().parent.parent


def hidden_layer_basis():
    """The basis of the largest EquivariantLinear of the README's O(5) EMLP (ch = 384)."""
    G = O(5)
    model = EMLP(2 * V(G), Scalar, G, ch=384, num_layers=3)
    layers = [m for m in model.modules() if isinstance(m, EquivariantLinear)]
    big = max(layers, key=lambda m: m.rep_in.size * m.rep_out.size)
    from groupkit import solve

    return solve(big.rep_in, big.rep_out)


def step(asm: BasisAssembler, theta: torch.Tensor) -> float:
    t = time.perf_counter()
    asm(theta).sum().backward()
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "assembly.json"))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    basis = hidden_layer_basis()
    modes = ("sparse", "blocks")
    asms = {m: BasisAssembler(basis, mode=m) for m in modes}
    thetas = {m: torch.randn(basis.dim, requires_grad=True) for m in modes}
    times: dict[str, list[float]] = {m: [] for m in modes}
    for _ in range(args.repeats):
        for m in modes:  # interleaved, so load hits both alike
            times[m].append(step(asms[m], thetas[m]))
    rows = {m: {"best_ms": 1e3 * min(t), "median_ms": 1e3 * statistics.median(t)}
            for m, t in times.items()}
    shape = (basis.rep_out.size, basis.rep_in.size)
    print(f"W {shape}, {basis.dim} coefficients")
    for m, r in rows.items():
        print(f"  {m:7s} best {r['best_ms']:.3f} ms   median {r['median_ms']:.3f} ms")
    Path(args.out).write_text(json.dumps({
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__, "threads": 1,
                    "date": time.strftime("%Y-%m-%d %H:%M")},
        "shape": shape, "dim": basis.dim, "repeats": args.repeats, "modes": rows}, indent=1)
        + "\n")
    print("written", args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""N-body-sized graphs: a training step of groupkit's N-body model beside EGNN's, same size.

EGNN's charged-particle task sizes: 5 particles per system, fully connected (20 directed
edges), batch of 100 systems (500 nodes, 2,000 edges), float32, one thread by default.

* groupkit: :func:`steerable_dynamics` — the N-body experiment's kind of model
  (:mod:`kernels.experiments.nbody`): node input [|v|, v] → EquivariantLinear → ``layers``
  residual blocks x ← x + Gate(PointConv(x)) over the fully connected graph (O(3), hidden
  fields 2m·1 ⊕ m·V, kernel MLP hidden type 2k·1 ⊕ k·V ⊕ k·Y2, edge features q_i q_j and
  1 / (1 + |x_i − x_j|), ``avg_degree=4``) → EquivariantLinear → V, a displacement added to the
  positions. ``--model-from experiments`` times ``kernels.experiments.nbody.build_model
  ("groupkit")`` instead (the experiment's own model with its chosen settings), when that module
  exists. ``--variant`` adds models with other settings (``--variant kernel_width=8
  --variant kernel_layers=1,method=padded``), all timed in the same run.
* EGNN: ``kernels.baselines.EGNNDynamics`` (EGNN's own N-body model: 4 layers, velocity
  updates, edge input (q_i q_j, |x_i − x_j|²)), its width chosen so that its parameter count is
  closest to the first groupkit model's (``--egnn-hidden`` overrides).

Every model maps (pos, vel, charges, edge_index) to predicted positions. A step is forward,
MSE loss against random targets, backward and an Adam update (multi-tensor, as
``groupkit.train.fit`` makes it); the models are interleaved,
median over ``--repeats`` steps each. Only the timing is meaningful (the data are random draws
of the task's shapes, not a simulation).

    .venv/bin/python bench/nbody.py --repeats 30 --json bench/results/nbody.json
    .venv/bin/python bench/nbody.py --variant method=padded --variant kernel_width=8
    .venv/bin/python bench/nbody.py --model-from experiments
    .venv/bin/python bench/nbody.py --model-from experiments --without-contraction  # lower bound
    python bench/nbody.py --device cuda --repeats 50      # on a GPU
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groupkit import O, SO, Scalar, V  # noqa: E402
from groupkit.nn import EquivariantLinear, GatedNonlinearity, gated  # noqa: E402

from bench._report import conditions, write_json  # noqa: E402
from kernels import PointConv, harmonic  # noqa: E402

try:  # absent from groupkit revisions before it (--baseline-rev)
    from kernels import EdgePlan  # noqa: E402
except ImportError:  # pragma: no cover
    EdgePlan = None
from kernels.baselines import EGNNDynamics  # noqa: E402
from kernels.data.graphs import full_graph  # noqa: E402

N_PARTICLES, BATCH = 5, 100


class SteerableDynamics(nn.Module):
    """The N-body model timed here (see :func:`steerable_dynamics`).

    ``forward(pos (N, 3), vel (N, 3), charges (N,), edge_index (2, E))`` → positions (N, 3)."""

    def __init__(self, *, group: str = "O(3)", width: int = 8, layers: int = 4,
                 kernel_width: int = 4, kernel_layers: int = 2, degree: int = 2,
                 feature_degree: int = 1, length_scale: float = 4.0, method: str = "auto",
                 plan: bool = False):
        super().__init__()
        self.plan = plan
        G = {"O(3)": O(3), "SO(3)": SO(3)}[group]
        vec = V(G)
        rep = 2 * width * Scalar + width * vec
        if feature_degree == 2:
            rep = rep + width * harmonic(vec, 2)
        khidden = 2 * kernel_width * Scalar + kernel_width * vec
        for d in range(2, degree + 1):
            khidden = khidden + kernel_width * harmonic(vec, d)
        self.embed = EquivariantLinear(Scalar + vec, rep)
        self.convs = nn.ModuleList(
            PointConv(G, rep, gated(rep), edge_features=2, hidden=[khidden] * kernel_layers,
                      degree=degree, avg_degree=N_PARTICLES - 1, length_scale=length_scale,
                      method=method) for _ in range(layers))
        for conv in self.convs:  # far pairs are meant to see small radial features (no cutoff)
            conv.kernel._radial_warned = True
        self.gates = nn.ModuleList(GatedNonlinearity(rep) for _ in range(layers))
        self.head = EquivariantLinear(rep, vec)

    def forward(self, pos, vel, charges, edge_index):
        j, i = edge_index[0], edge_index[1]
        edge_attr = torch.stack([charges[i] * charges[j],
                                 1 / (1 + (pos[i] - pos[j]).norm(dim=-1))], dim=-1)
        x = self.embed(torch.cat([vel.norm(dim=-1, keepdim=True), vel], dim=-1))
        # plan: the graph's relative positions, buckets and edge encodings computed once
        if self.plan:
            plan = EdgePlan(pos, edge_index)
            for conv, gate in zip(self.convs, self.gates):
                x = x + gate(conv(x, pos, edge_index, edge_attr, plan=plan))
        else:
            for conv, gate in zip(self.convs, self.gates):
                x = x + gate(conv(x, pos, edge_index, edge_attr))
        return pos + self.head(x)


def steerable_dynamics(**options) -> SteerableDynamics:
    """groupkit's N-body model with the experiment's architecture; ``options``: group, width
    (m), layers, kernel_width (k), kernel_layers, degree, feature_degree, length_scale, method,
    plan (share one :class:`~kernels.EdgePlan` between the layers)."""
    torch.manual_seed(0)
    return SteerableDynamics(**options)


def experiment_model(**options) -> nn.Module:
    """``kernels.experiments.nbody.build_model("groupkit", **options)``: the experiment's own
    model with its chosen settings."""
    try:
        mod = importlib.import_module("kernels.experiments.nbody")
    except ImportError as e:
        raise SystemExit(f"--model-from experiments needs kernels.experiments.nbody ({e}).") from e
    torch.manual_seed(0)
    return mod.build_model("groupkit", **options)


def without_contraction(model: nn.Module) -> nn.Module:
    """``model`` with every PointConv's message replaced by zeros that still depend on the
    kernel's hidden features h(x) (so the edge encoders and kernel MLPs run forward and
    backward as before): what the rest of the model costs, a lower bound on its step for any
    implementation of the contraction with the source features. A diagnostic: the model no
    longer computes messages."""
    for conv in model.modules():
        if isinstance(conv, PointConv):
            def message(features, pos, edge_index, edge_attr=None, *, plan=None, conv=conv):
                rel = pos.index_select(0, edge_index[0]) - pos.index_select(0, edge_index[1])
                h = conv.kernel.hidden_features(rel, edge_attr)
                return features.new_zeros(features.shape[0], conv.rep_out.size) + 0 * h.sum()
            conv.message = message
    return model


def baseline_model(rev: str, tmp: Path, builder: str = "steerable_dynamics",
                   options: dict | None = None) -> nn.Module:
    """``builder`` (:func:`steerable_dynamics` or :func:`experiment_model`) with ``options``,
    built with groupkit and kernels at git revision ``rev``: that tree is unpacked into ``tmp``
    with this file copied in, and imported in place of the current packages just long enough to
    build the model (which keeps its own modules; a module imported lazily after that, as
    :func:`experiment_model` does, would come from the current tree, so the build happens
    inside)."""
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", rev], check=True,
                         capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=tar, check=True)
    shutil.copy(__file__, tmp / "bench" / "nbody.py")
    ours = ("groupkit", "kernels", "bench")
    saved = {k: sys.modules.pop(k) for k in list(sys.modules) if k.split(".")[0] in ours}
    sys.path.insert(0, str(tmp))
    try:
        model = getattr(importlib.import_module("bench.nbody"), builder)(**(options or {}))
        where = Path(sys.modules[type(model).__module__].__file__).resolve()
        if not where.is_relative_to(Path(tmp).resolve()):  # pragma: no cover - a guard
            raise RuntimeError(f"the baseline model was built from {where}, not from {rev}.")
        return model
    finally:
        sys.path.remove(str(tmp))
        for k in [k for k in sys.modules if k.split(".")[0] in ours]:
            del sys.modules[k]
        sys.modules.update(saved)


def count(m) -> int:
    return sum(p.numel() for p in m.parameters() if p.requires_grad)


def egnn(hidden: int) -> EGNNDynamics:
    torch.manual_seed(0)
    return EGNNDynamics(hidden=hidden, layers=4)


def egnn_matching(n_params: int) -> tuple[EGNNDynamics, int]:
    best = min(range(4, 257), key=lambda h: abs(count(EGNNDynamics(hidden=h)) - n_params))
    return egnn(best), best


def data(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    n = N_PARTICLES * BATCH
    pos = torch.randn(n, 3, generator=g)
    vel = 0.5 * torch.randn(n, 3, generator=g)
    charges = torch.randint(0, 2, (n,), generator=g).float() * 2 - 1
    target = pos + 0.3 * torch.randn(n, 3, generator=g)
    return pos, vel, charges, target, full_graph([N_PARTICLES] * BATCH)


def parse_options(text: str) -> dict:
    """'a=1,b=x' → {'a': 1, 'b': 'x'} (ints, floats, None, True/False recognised)."""
    out = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        for cast in (int, float):
            try:
                out[key] = cast(value)
                break
            except ValueError:
                continue
        else:
            out[key] = {"None": None, "True": True, "False": False}.get(value, value)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--model-from", choices=("bench", "experiments"), default="bench",
                    help="bench: steerable_dynamics() here; experiments: the experiment's "
                         "build_model('groupkit')")
    ap.add_argument("--variant", action="append", default=[],
                    help="another groupkit model: options 'key=value,…' (repeatable)")
    ap.add_argument("--without-contraction", action="store_true",
                    help="also time the first model with its contractions replaced by zeros "
                         "(kernel MLPs still run): a lower bound for any contraction")
    ap.add_argument("--egnn-hidden", type=int, default=None)
    ap.add_argument("--baseline-rev", default=None,
                    help="also time the model (as --model-from says) built with groupkit at "
                         "this git rev")
    ap.add_argument("--baseline-options", default="",
                    help="options 'key=value,…' for the --baseline-rev model")
    ap.add_argument("--clock", choices=("wall", "thread"), default="wall",
                    help="wall: elapsed time; thread: this thread's CPU time (excludes time "
                         "spent descheduled on a shared machine; CPU only)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    pos, vel, charges, target, ei = (t.to(dev) for t in data())

    build = steerable_dynamics if args.model_from == "bench" else experiment_model
    base = "steerable_dynamics" if args.model_from == "bench" else "experiments.build_model"
    models = {f"groupkit {base}()": build()}
    for v in args.variant:
        models[f"groupkit {base}({v})"] = build(**parse_options(v))
    if args.without_contraction:
        models[f"groupkit {base}() without its contractions (lower bound)"] = \
            without_contraction(build())
    if args.baseline_rev:
        with tempfile.TemporaryDirectory() as tmp:
            which = "steerable_dynamics" if args.model_from == "bench" else "experiment_model"
            opts = args.baseline_options
            models[f"groupkit at {args.baseline_rev}: {base}({opts})"] = baseline_model(
                args.baseline_rev, Path(tmp), which, parse_options(opts))
    n_gk = count(next(iter(models.values())))
    if args.egnn_hidden:
        e, width = egnn(args.egnn_hidden), args.egnn_hidden
    else:
        e, width = egnn_matching(n_gk)
    models[f"EGNN (EGNNDynamics, hidden {width})"] = e
    egnn_name = list(models)[-1]
    models = {n: m.to(dev) for n, m in models.items()}
    # the experiments' optimiser (groupkit.train.fit's "adam": one multi-tensor update on CPU
    # and CUDA), the same for every model
    opts = {n: torch.optim.Adam(m.parameters(), lr=1e-3, foreach=True)
            for n, m in models.items()}

    def run(name):
        out = models[name](pos, vel, charges, ei)
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
    clock = time.thread_time if args.clock == "thread" else time.perf_counter
    for _ in range(args.repeats):
        for n in models:
            t = clock()
            run(n)
            times[n].append(clock() - t)
    med = {n: statistics.median(v) for n, v in times.items()}
    res = {
        "command": "python bench/nbody.py " + " ".join(shlex.quote(a) for a in (
            argv if argv is not None else sys.argv[1:])),
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count(),
                    "torch": torch.__version__, "threads": args.threads,
                    "device": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
                    "loadavg_start": load0, "loadavg_end": os.getloadavg()},
        "conditions": conditions(),
        "clock": args.clock,
        "case": {"particles": N_PARTICLES, "batch": BATCH, "nodes": N_PARTICLES * BATCH,
                 "edges": int(ei.shape[1])},
        "parameters": {n: count(m) for n, m in models.items()},
        "egnn_hidden": width,
        "median_step_s": med,
        "ratio_to_egnn": {n: med[n] / med[egnn_name] for n in models},
        "all_step_s": times,
    }
    print(f"machine: {res['machine']['platform']}, {os.cpu_count()} CPUs, torch "
          f"{torch.__version__}, {args.threads} thread(s), load {load0[0]:.2f} → "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{N_PARTICLES} particles × batch {BATCH}, fully connected ({ei.shape[1]} edges); "
          f"training step (fwd + bwd + Adam), median of {args.repeats}, interleaved, "
          f"{args.clock} clock")
    for n in models:
        print(f"  {n:<58} {med[n] * 1e3:7.1f} ms  {res['parameters'][n]:>7} parameters  "
              f"×{med[n] / med[egnn_name]:.2f} of EGNN")
    write_json(args.json, res)
    return res


if __name__ == "__main__":
    main()

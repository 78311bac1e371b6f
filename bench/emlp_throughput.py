"""Throughput of the EMLP paper's O(5) model: groupkit against emlp's PyTorch EMLP, in one run.

The model: 2V → Scalar for O(5), ch = 384 (hidden 134·1 ⊕ 25V ⊕ 5V⊗V plus 30 gates), 3 layers,
batch of 500, CPU. Measured, in this order, in one process:

1. construction, cold: groupkit with its memory cache cleared and an empty temporary disk cache
   (median of ``--repeats-build`` fresh constructions); emlp's ``emlp.nn.pytorch.EMLP`` once
   (its solution caches cannot be cleared; JAX is started before the clock, its compilation is
   part of what users wait for);
2. forward+backward of a batch (median of ``--repeats``; two untimed warm-up calls first) for
   groupkit's EMLP, emlp's PyTorch EMLP, groupkit's EMLP with the bilinear layers off, and a plain
   ``torch.nn`` MLP with the same layer widths (10 → 414 → 414 → 414 → 1, SiLU); then groupkit
   and emlp once more, alternating (three groupkit calls per emlp call), for a ratio that the
   machine's drift over the run does not bias.

It prints the ratios against the targets (≥ 50× emlp fwd+bwd, ≥ 10× emlp construction, bilinear
off within 2× of the plain MLP) and records the machine: platform, CPU count, torch version and
threads, load average. ``--json PATH`` saves everything.

    .venv/bin/python bench/emlp_throughput.py                 # both libraries, 2 threads
    .venv/bin/python bench/emlp_throughput.py --no-emlp       # groupkit only
    .venv/bin/python bench/emlp_throughput.py --threads 1 --repeats 10
    .venv/bin/python bench/emlp_throughput.py --threads 1 --pin   # both libraries on one core
    python bench/emlp_throughput.py --device cuda --compile   # on a GPU, plus torch.compile

On ``--device cuda`` every model and batch lives on the GPU and each timed call ends with
``torch.cuda.synchronize()``; ``--compile`` adds groupkit's EMLP under ``torch.compile`` (default
backend) as one more row.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def machine(threads: int) -> dict:
    import numpy
    import torch

    info = {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": threads,
        "numpy": numpy.__version__,
        "loadavg_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }
    try:
        import emlp
        import jax

        info["emlp"] = getattr(emlp, "__version__", "installed")
        info["jax"] = jax.__version__
    except ImportError:
        info["emlp"] = None
    return info


def timeit(fn, repeats: int, warmup: int = 2, sync=lambda: None) -> tuple[float, list[float]]:
    """Median wall time of ``fn(); sync()`` (``sync`` waits for queued GPU work)."""
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def build_groupkit(ch: int, layers: int, *, bilinear: bool = True, device: str = "cpu"):
    from groupkit import O, V, Scalar
    from groupkit.nn import EMLP

    G = O(5)
    return EMLP(2 * V(G), Scalar, G, ch=ch, num_layers=layers, bilinear=bilinear, device=device)


def cold_groupkit_build(ch: int, layers: int) -> float:
    import groupkit

    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("GROUPKIT_CACHE_DIR")
        os.environ["GROUPKIT_CACHE_DIR"] = tmp
        try:
            groupkit.clear_caches()
            t = time.perf_counter()
            build_groupkit(ch, layers)
            return time.perf_counter() - t
        finally:
            if old is None:
                os.environ.pop("GROUPKIT_CACHE_DIR", None)
            else:
                os.environ["GROUPKIT_CACHE_DIR"] = old


def build_emlp(ch: int, layers: int):
    from bench._emlp_compat import patch_emlp

    patch_emlp()
    import jax.numpy as jnp
    from emlp.groups import O
    from emlp.nn.pytorch import EMLP
    from emlp.reps import Scalar, V

    jnp.ones(3).block_until_ready()  # start JAX before the clock
    G = O(5)
    t = time.perf_counter()
    model = EMLP(2 * V, Scalar, G, ch=ch, num_layers=layers)
    return model, time.perf_counter() - t


def plain_mlp(widths: list[int]):
    from torch import nn

    layers: list = []
    for a, b in zip(widths, widths[1:-1]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    return nn.Sequential(*layers)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5, help="timed fwd+bwd calls (median)")
    ap.add_argument("--repeats-build", type=int, default=3)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--ch", type=int, default=384)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--no-emlp", action="store_true", help="skip emlp even when installed")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (models and batches there)")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile(groupkit)")
    ap.add_argument("--compile-mode", default=None,
                    help="torch.compile mode, e.g. reduce-overhead (CUDA graphs) on a GPU")
    ap.add_argument("--pin", action="store_true",
                    help="pin the process to the first --threads CPUs, so that emlp's JAX "
                         "(which ignores torch's thread count) runs on as many cores as torch")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    if args.pin:
        # before torch and JAX start their thread pools; XLA's own thread flags are not
        # honoured by the CPU runtime of the JAX this was written against (0.9), affinity is
        cpus = sorted(os.sched_getaffinity(0))
        if args.threads > len(cpus):
            raise SystemExit(f"--pin: {args.threads} threads but only {len(cpus)} CPUs.")
        os.sched_setaffinity(0, cpus[:args.threads])

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    dev = torch.device(args.device)
    res: dict = {"machine": machine(args.threads), "config": vars(args) | {"json": str(args.json)}}
    res["machine"]["cpus_allowed"] = sorted(os.sched_getaffinity(0))
    sync = (lambda: None) if dev.type == "cpu" else torch.cuda.synchronize
    if dev.type == "cuda":
        res["machine"]["gpu"] = torch.cuda.get_device_name(dev)

    def fwd_bwd(model, x):
        def step():
            model.zero_grad(set_to_none=True)
            model(x).sum().backward()
        return step

    # -- construction ------------------------------------------------------------------------
    builds = [cold_groupkit_build(args.ch, args.layers) for _ in range(args.repeats_build)]
    res["groupkit_build_s"] = statistics.median(builds)
    res["groupkit_build_all_s"] = builds
    model = build_groupkit(args.ch, args.layers, device=args.device)
    nparams = sum(p.numel() for p in model.parameters())
    res["groupkit_parameters"] = nparams
    res["hidden"] = str(model.hidden[0])
    x = torch.randn(args.batch, model.rep_in.size, device=dev)

    # -- forward+backward ----------------------------------------------------------------------
    res["groupkit_fwd_bwd_s"], res["groupkit_fwd_bwd_all_s"] = timeit(
        fwd_bwd(model, x), args.repeats, sync=sync)
    with torch.no_grad():
        res["groupkit_fwd_s"], _ = timeit(lambda: model(x), args.repeats, sync=sync)
    if args.compile:
        t = time.perf_counter()
        compiled = torch.compile(model, mode=args.compile_mode)
        fwd_bwd(compiled, x)()
        sync()
        res["groupkit_compile_s"] = time.perf_counter() - t
        res["groupkit_compiled_fwd_bwd_s"], _ = timeit(fwd_bwd(compiled, x), args.repeats,
                                                       sync=sync)
    off = build_groupkit(args.ch, args.layers, bilinear=False, device=args.device)
    res["groupkit_nobilinear_fwd_bwd_s"], _ = timeit(fwd_bwd(off, x), max(args.repeats, 10),
                                                     sync=sync)
    widths = [model.rep_in.size] + [blk.linear.rep_out.size for blk in model.network[:-1]] + [
        model.rep_out.size]
    res["plain_mlp_widths"] = widths
    mlp = plain_mlp(widths).to(dev)
    res["plain_mlp_fwd_bwd_s"], _ = timeit(fwd_bwd(mlp, x), max(args.repeats, 10), sync=sync)

    have_emlp = False
    if not args.no_emlp:
        try:
            emodel, res["emlp_build_s"] = build_emlp(args.ch, args.layers)
            have_emlp = True
        except ImportError as e:
            res["emlp_error"] = f"emlp not importable: {e}"
    if have_emlp:
        res["emlp_parameters"] = sum(p.numel() for p in emodel.parameters())
        try:
            emodel = emodel.to(dev)
            res["emlp_fwd_bwd_s"], res["emlp_fwd_bwd_all_s"] = timeit(
                fwd_bwd(emodel, x), args.repeats, sync=sync)
            # Side by side as well: the machine's speed drifts over a run (a shared 2-core VM
            # varied by 35 % within minutes), so alternate the two, three groupkit calls per
            # emlp call, and take the ratio of those medians.
            ours, theirs = fwd_bwd(model, x), fwd_bwd(emodel, x)
            g_times, e_times = [], []
            for _ in range(args.repeats):
                for _ in range(3):
                    t = time.perf_counter()
                    ours()
                    sync()
                    g_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                theirs()
                sync()
                e_times.append(time.perf_counter() - t)
            res["interleaved_groupkit_fwd_bwd_all_s"] = g_times
            res["interleaved_emlp_fwd_bwd_all_s"] = e_times
            res["interleaved_ratio"] = statistics.median(e_times) / statistics.median(g_times)
        except Exception as e:  # emlp's torch bridge may not run on this device
            res["emlp_error"] = f"emlp forward+backward on {dev} failed: {e!r}"[:500]
            have_emlp = False
    res["machine"]["loadavg_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None

    # -- report --------------------------------------------------------------------------------
    m = res["machine"]
    print(f"machine: {m['platform']}, {m['cpu_count']} CPUs, torch {m['torch']} "
          f"({m['torch_threads']} threads), load {m['loadavg_start']} → {m['loadavg_end']}"
          + (f"; device {args.device} ({m['gpu']})" if "gpu" in m else "")
          + (f"; pinned to CPU(s) {m['cpus_allowed']}" if args.pin else ""))
    if "emlp_error" in res:
        print(res["emlp_error"])
    print(f"model: O(5) 2V → 1, hidden {res['hidden']} (+gates), {args.layers} layers, "
          f"batch {args.batch}; groupkit {nparams} parameters"
          + (f", emlp {res['emlp_parameters']}" if have_emlp else ""))
    print(f"construction (cold)        groupkit {res['groupkit_build_s']:.3f} s"
          + (f"   emlp {res['emlp_build_s']:.2f} s   ratio "
             f"{res['emlp_build_s'] / res['groupkit_build_s']:.1f}× (target ≥ 10×)"
             if have_emlp else ""))
    print(f"forward+backward           groupkit {res['groupkit_fwd_bwd_s'] * 1e3:.1f} ms"
          + (f"   emlp {res['emlp_fwd_bwd_s']:.2f} s   ratio "
             f"{res['emlp_fwd_bwd_s'] / res['groupkit_fwd_bwd_s']:.0f}× (target ≥ 50×)"
             if have_emlp else ""))
    if "interleaved_ratio" in res:
        print(f"  the same, interleaved      groupkit "
              f"{statistics.median(res['interleaved_groupkit_fwd_bwd_all_s']) * 1e3:.1f} ms   "
              f"emlp {statistics.median(res['interleaved_emlp_fwd_bwd_all_s']):.2f} s   ratio "
              f"{res['interleaved_ratio']:.0f}×")
    print(f"forward only               groupkit {res['groupkit_fwd_s'] * 1e3:.1f} ms")
    if args.compile:
        print(f"torch.compile fwd+bwd      groupkit {res['groupkit_compiled_fwd_bwd_s'] * 1e3:.2f}"
              f" ms (mode {args.compile_mode or 'default'}, compiled in "
              f"{res['groupkit_compile_s']:.1f} s)")
    ratio = res["groupkit_nobilinear_fwd_bwd_s"] / res["plain_mlp_fwd_bwd_s"]
    print(f"bilinear off vs plain MLP  groupkit {res['groupkit_nobilinear_fwd_bwd_s'] * 1e3:.1f}"
          f" ms   torch.nn {res['plain_mlp_fwd_bwd_s'] * 1e3:.1f} ms   ratio {ratio:.2f} "
          f"(target ≤ 2)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(res, indent=2, default=str))
    return res


if __name__ == "__main__":
    main()

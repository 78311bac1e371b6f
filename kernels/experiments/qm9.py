"""QM9 molecular properties (HOMO by default): the seed paper's second experiment.

    python -m kernels.experiments qm9 --model groupkit --seed 0                 # default budget
    python -m kernels.experiments qm9 --model e3nn --protocol paper --device cuda

Models (one interface, :mod:`kernels.experiments._qm9_models`): ``groupkit`` (implicit-kernel
PointConv message passing over O(3) or SO(3), the seed paper's model), ``e3nn`` (tensor-product
convolutions with a radial MLP: the paper's "standard kernel" arm), ``egnn`` (EGNN's QM9
model), ``gnn`` (a plain message-passing network, not equivariant).

Protocols (``PROTOCOLS``; every number can be overridden by a flag):

* ``paper`` — EGNN's split (100,000 train / 17,748 validation / 13,083 test), AdamW, lr 1e-3
  with a cosine schedule, batch 32, 100 epochs, the ``large`` model sizes: the seed paper's
  recipe. Days on a CPU; hours on a GPU.
* ``default`` — a CPU budget of about 10 minutes per model on one core: the first 4,000
  molecules of EGNN's training split, 4 epochs, the first 1,000 of its validation split (model
  selection) and the first 2,000 of its test split; the ``default`` model sizes (about
  120k–200k parameters each). Same data, split and number of optimiser steps for every model.
* ``smoke`` — seconds, on whatever molecules ``--data`` gives (tests use a fixture).

Data: ``--data qm9pack`` (default; the CSV files in the ``qm9pack`` wheel, ``pip install
'groupkit[qm9]'``), or paths to qm9pack-format CSV files, or a folder/archive of the release's
``.xyz`` files. Sets other than the standard 130,831 molecules are split with
:func:`~kernels.data.qm9.split_indices` (10 % test, about 10 % validation).

The target is normalised with the mean and standard deviation of the training molecules only;
training minimises the L1 loss on it (as EGNN); the model state with the best validation MAE is
kept; the test MAE is reported in the target's units (meV for energies). Every finished run
appends one record to ``--results`` (default ``bench/results/experiments.jsonl``).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np
import torch

__all__ = ["main", "build_model", "load_model", "save_model", "run", "PROTOCOLS", "MODELS",
           "SIZES", "PUBLISHED", "model_group"]

MODELS = ("groupkit", "e3nn", "egnn", "gnn")

#: data, budget and optimisation of each protocol (None: the whole split)
PROTOCOLS = {
    "smoke": dict(n_train=24, n_valid=4, n_test=4, epochs=1, batch_size=8, lr=1e-3,
                  scheduler="cosine", size="tiny"),
    "default": dict(n_train=4000, n_valid=1000, n_test=2000, epochs=4, batch_size=32, lr=1e-3,
                    scheduler="cosine", size="default"),
    "paper": dict(n_train=None, n_valid=None, n_test=None, epochs=100, batch_size=32, lr=1e-3,
                  scheduler="cosine", size="large"),
}

#: model options per size (keyword arguments of the networks in _qm9_models)
SIZES = {
    "tiny": {"groupkit": dict(scalars=8, vectors=2, tensors=1, layers=2, kernel_mult=2,
                              readout_hidden=16),
             "e3nn": dict(hidden="8x0e + 2x1o + 1x2e", layers=2, radial_hidden=8),
             "egnn": dict(hidden=16, layers=2), "gnn": dict(hidden=16, layers=2)},
    # 148k / 122k / 195k / 235k parameters
    "default": {"groupkit": dict(scalars=32, vectors=8, tensors=4, layers=4, kernel_mult=8),
                "e3nn": dict(hidden="32x0e + 4x1o + 2x2e", layers=4, radial_hidden=32),
                "egnn": dict(hidden=64, layers=7), "gnn": dict(hidden=96, layers=4)},
    # 850k / 690k / 760k / 710k parameters (EGNN's published QM9 model is the 760k one)
    "large": {"groupkit": dict(scalars=64, vectors=16, tensors=8, layers=6, kernel_mult=8,
                               readout_hidden=128),
              "e3nn": dict(hidden="64x0e + 16x1o + 8x2e", layers=6, radial_hidden=16),
              "egnn": dict(hidden=128, layers=7), "gnn": dict(hidden=128, layers=7)},
}

#: the kernels' edge features and radius (Å) of the recorded protocols; others make a "-custom" run
DEFAULT_EDGE, DEFAULT_CUTOFF = "bond+atom", 5.0

#: published test MAE (meV) on EGNN's split, full protocol — printed beside our figures
PUBLISHED = {"homo": {"EGNN (Satorras et al. 2021)": 29, "SEGNN (Brandstetter et al. 2022)": 24,
                      "PaiNN": 27, "DimeNet++": 24, "SchNet": 41,
                      "seed paper, standard kernel": 43, "seed paper, implicit kernel": 37.8,
                      "seed paper, implicit + bond features": 35.1,
                      "seed paper, implicit + bond + atom features": 30.6}}


def model_group(name: str, group: str = "O(3)") -> str:
    """The symmetry group a model respects by construction.

    >>> model_group("egnn"), model_group("groupkit", "SO(3)")
    ('E(3)', 'SO(3)')
    """
    return {"groupkit": group, "e3nn": "O(3)", "egnn": "E(3)", "gnn": "none"}[name]


def _check_name(name: str) -> None:
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {list(MODELS)}.")


def build_model(name: str, *, size: str = "default", y_mean: float = 0.0, y_std: float = 1.0,
                group: str = "O(3)", edge: str = "bond+atom", cutoff: float = 5.0,
                **options):
    """A :class:`~kernels.experiments._qm9_models.QM9Model` for ``name`` in ``MODELS``:
    ``forward(GraphBatch)`` → (B,) predictions in the target's units (``y_mean``, ``y_std``:
    the normalisation of the training targets). ``size``: one of ``SIZES``; ``group``
    ("O(3)"/"SO(3)"), ``edge`` (edge features, see ``EDGE_FEATURES``) and ``cutoff`` (Å) for
    the convolutional models; other ``options`` override the size's network options.

    >>> m = build_model("egnn", size="tiny", y_mean=-6500.0, y_std=600.0)
    >>> sum(p.numel() for p in m.parameters()) > 0, float(m.y_std)
    (True, 600.0)
    """
    from ._qm9_models import (E3nnQM9Net, EGNNQM9Net, GNNQM9Net, ImplicitQM9Net, QM9Model)

    _check_name(name)
    if size not in SIZES:
        raise ValueError(f"unknown size {size!r}; choose from {list(SIZES)}.")
    kw = {**SIZES[size][name], **options}
    if name == "groupkit":
        net = ImplicitQM9Net(group=group, edge=edge, cutoff=cutoff, **kw)
    elif name == "e3nn":
        net = E3nnQM9Net(edge=edge, cutoff=cutoff, **kw)
    elif name == "egnn":
        net = EGNNQM9Net(**kw)
    else:
        net = GNNQM9Net(**kw)
    return QM9Model(net, y_mean=y_mean, y_std=y_std)


def save_model(path, model, build: dict, **info) -> Path:
    """Write a trained model: its :func:`build_model` arguments and state, atomically.

    >>> import tempfile, pathlib
    >>> build = dict(name="gnn", size="tiny", y_mean=-6500.0, y_std=600.0)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "m.pt"
    >>> _ = save_model(path, build_model(**build), build, note="example")
    >>> model, info = load_model(path)
    >>> float(model.y_mean), info["note"]
    (-6500.0, 'example')
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save({"format": "groupkit-qm9-model/1", "build": build, "state_dict": state,
                "info": info}, tmp)
    tmp.replace(path)  # atomic: a crash never leaves half a checkpoint under the final name
    return path


def load_model(path):
    """(model, info) from a file written by :func:`save_model` (model in eval mode; example
    there)."""
    blob = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(blob, dict) or blob.get("format") != "groupkit-qm9-model/1":
        raise ValueError(f"{path}: not a QM9 model file written by save_model.")
    model = build_model(**blob["build"])
    model.load_state_dict(blob["state_dict"])
    return model.eval(), blob.get("info", {})


# ------------------------------------------------------------------------------ data
def _read(data):
    from ..data.qm9 import read_qm9_csv, read_qm9_xyz

    if data == ["qm9pack"]:
        return read_qm9_csv()
    paths = [Path(p) for p in data]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"--data: no such file or folder: {missing}.")
    if all(p.suffix == ".csv" for p in paths):
        return read_qm9_csv(paths)
    if len(paths) == 1:
        return read_qm9_xyz(paths[0])
    raise ValueError("--data takes 'qm9pack', qm9pack-format .csv files, or one folder/archive "
                     "of the release's .xyz files.")


def _splits(mols):
    from ..data.qm9 import QM9_SIZE, egnn_split, split_indices

    if len(mols) == QM9_SIZE:
        return egnn_split(mols)
    n_test = int(0.1 * len(mols))
    if n_test < 1:
        raise ValueError(f"{len(mols)} molecules are too few to split (need ≥ 10).")
    idx = split_indices(len(mols), n_train=len(mols) - 2 * n_test)
    mols = mols.sorted()
    return {k: mols.subset(v) for k, v in idx.items()}


def _head(mols, n, what):
    if n is None:
        return mols
    if n > len(mols):
        raise ValueError(f"--n-{what} {n} exceeds the {len(mols)} molecules of the {what} split.")
    return mols.subset(np.arange(n))


# ------------------------------------------------------------------------------ run
def _forward(model, batch):
    """Training pairs on the normalised scale (L1 there = MAE / std)."""
    return model.normalised(batch), (batch.y.reshape(-1) - model.y_mean) / model.y_std


@torch.no_grad()
def evaluate(model, dataset, collate, *, batch_size: int = 128, device=None) -> float:
    """Mean absolute error of ``model`` on ``dataset`` (batched by ``collate``), in the
    target's units.

    >>> import torch
    >>> from kernels.data.graphs import GraphDataset, GraphCollate
    >>> ds = GraphDataset([torch.zeros(2, 3)], [torch.eye(5)[:2]], [[3.0]])
    >>> evaluate(build_model("gnn", size="tiny", y_mean=1.0, y_std=1e-9), ds, GraphCollate())
    2.0
    """
    model.eval()
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False,
                                         collate_fn=collate)
    err, n = 0.0, 0
    for b in loader:
        if device is not None:
            b = b.to(device=device)
        err += float((model(b) - b.y.reshape(-1)).abs().sum())
        n += b.num_graphs
    return err / max(n, 1)


def _collate(name, cutoff):
    from ..data.graphs import GraphCollate

    # EGNN and the GNN use every pair (as EGNN does on QM9); the convolutions the radius graph
    # their kernels are supported on (their envelopes vanish at the cutoff)
    return GraphCollate("full" if name in ("egnn", "gnn") else ("radius", cutoff))


def run(args) -> dict:
    """One training run from parsed options (``args``: the namespace :func:`main` parses, with
    ``command`` added); returns the record it appended. Use :func:`main` (example there)."""
    from groupkit.train import fit

    from ..data.graphs import GraphDataset
    from ..data.qm9 import UNITS
    from ..records import record_run

    prot = dict(PROTOCOLS[args.protocol])
    for k in ("n_train", "n_valid", "n_test", "epochs", "batch_size", "lr", "size"):
        if getattr(args, k, None) is not None:
            prot[k] = getattr(args, k)
    # a run whose budget or kernel settings differ from its protocol's is recorded as such,
    # never as the protocol
    same = (prot == PROTOCOLS[args.protocol] and args.edge == DEFAULT_EDGE
            and args.cutoff == DEFAULT_CUTOFF)
    protocol = args.protocol if same else f"{args.protocol}-custom"
    device = torch.device(args.device) if args.device else (
        torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu"))
    splits = _splits(_read(args.data))
    train, valid, test = (_head(splits[s], prot[f"n_{s}"], s)
                          for s in ("train", "valid", "test"))
    sets = {s: GraphDataset.from_molecules(m, args.target)
            for s, m in (("train", train), ("valid", valid), ("test", test))}
    y = train.target(args.target)
    y_mean, y_std = float(y.mean()), float(y.std()) if len(y) > 1 else 1.0
    build = dict(name=args.model, size=prot["size"], y_mean=y_mean, y_std=y_std or 1.0,
                 group=args.group, edge=args.edge, cutoff=args.cutoff)
    torch.manual_seed(args.seed)
    model = build_model(**build)
    params = sum(p.numel() for p in model.parameters())
    collate = _collate(args.model, args.cutoff)
    # outputs of mean 0, std 1 at the start, for every model alike (QM9Model.calibrate)
    model.calibrate(collate([sets["train"][i]
                             for i in range(min(len(train), 4 * prot["batch_size"]))]))
    print(f"qm9 {args.target}: {args.model} ({model_group(args.model, args.group)}, "
          f"{params:,} parameters), protocol {protocol}: {len(train):,} train / "
          f"{len(valid):,} valid / {len(test):,} test, {prot['epochs']} epochs, batch "
          f"{prot['batch_size']}, device {device}", flush=True)
    t0 = time.perf_counter()
    result = fit(model, sets["train"], sets["valid"], loss="l1", epochs=prot["epochs"],
                 batch_size=prot["batch_size"], optimizer="adamw", lr=prot["lr"],
                 scheduler=prot["scheduler"], warmup=min(100, len(train) // prot["batch_size"]),
                 collate_fn=collate, forward=_forward, seed=args.seed, progress=args.progress,
                 checkpoint_dir=args.out, resume=bool(args.out and args.resume),
                 eval_every=args.eval_every, device=device)
    seconds = time.perf_counter() - t0
    model = result.model
    val_mae = evaluate(model, sets["valid"], collate, device=device)
    test_mae = evaluate(model, sets["test"], collate, device=device)
    unit = UNITS[args.target]
    metric = "test_mae_mev" if unit == "meV" else "test_mae"
    rec = record_run(args.results, task="qm9", target=args.target, model=args.model,
                     group=model_group(args.model, args.group), protocol=protocol,
                     seed=args.seed, metric=metric, value=test_mae, train_seconds=seconds,
                     params=params, val_mae=val_mae, best_val_l1=result.best_loss,
                     n_train=len(train), n_valid=len(valid),
                     n_test=len(test), epochs=prot["epochs"], batch_size=prot["batch_size"],
                     steps=result.step, size=prot["size"],
                     edge=args.edge if args.model in ("groupkit", "e3nn") else None,
                     cutoff=args.cutoff if args.model in ("groupkit", "e3nn") else None,
                     command=args.command)
    if args.save:
        save_model(args.save, model, build, record=rec)
    print(f"test MAE {test_mae:.2f} {unit} (validation {val_mae:.2f}); {seconds:.0f} s of "
          f"training, {result.step} steps")
    if args.target in PUBLISHED:
        print("published test MAE (full protocol: 100k training molecules, EGNN's split):")
        for k, v in PUBLISHED[args.target].items():
            print(f"  {k:45s} {v:6.1f} meV")
    return rec


def _parser() -> argparse.ArgumentParser:
    from ..data.qm9 import TARGETS
    from ._qm9_models import EDGE_FEATURES

    p = argparse.ArgumentParser(prog="python -m kernels.experiments qm9",
                                description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=MODELS, default="groupkit")
    p.add_argument("--target", choices=list(TARGETS), default="homo")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--protocol", choices=list(PROTOCOLS), default="default")
    p.add_argument("--data", nargs="+", default=["qm9pack"],
                   help="'qm9pack' (default), qm9pack-format CSV files, or an .xyz folder")
    p.add_argument("--n-train", type=int, help="training molecules (the split's first n)")
    p.add_argument("--n-valid", type=int, help="validation molecules")
    p.add_argument("--n-test", type=int, help="test molecules")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--size", choices=list(SIZES), help="model size (default: the protocol's)")
    p.add_argument("--group", choices=["O(3)", "SO(3)"], default="O(3)",
                   help="groupkit model's group")
    p.add_argument("--edge", choices=list(EDGE_FEATURES), default=DEFAULT_EDGE,
                   help="invariant edge features of the groupkit and e3nn kernels")
    p.add_argument("--cutoff", type=float, default=DEFAULT_CUTOFF, help="kernel radius, Å")
    p.add_argument("--eval-every", type=int, help="validate every n steps (default: epoch)")
    p.add_argument("--results", default=None,
                   help="records file (default bench/results/experiments.jsonl)")
    p.add_argument("--out", default=None, help="folder for checkpoints and metrics")
    p.add_argument("--resume", action="store_true", help="continue the run in --out")
    p.add_argument("--save", default=None, help="write the trained model to this file")
    p.add_argument("--device", default=None, help="cpu, cuda, … (default: cuda if present)")
    p.add_argument("--progress", action="store_true", help="show a progress bar")
    return p


def _validate(p, args) -> None:
    for k in ("n_train", "n_valid", "n_test", "epochs", "batch_size"):
        v = getattr(args, k)
        if v is not None and v < 1:
            p.error(f"--{k.replace('_', '-')} must be a positive integer; got {v}.")
    if args.lr is not None and not args.lr > 0:
        p.error(f"--lr must be positive; got {args.lr}.")
    if not args.cutoff > 0:
        p.error(f"--cutoff must be positive; got {args.cutoff}.")
    if args.resume and not args.out:
        p.error("--resume needs --out (the folder of the run to continue).")
    if args.group != "O(3)" and args.model != "groupkit":
        p.error(f"--group applies to the groupkit model only ({args.model} is "
                f"{model_group(args.model)}).")


def main(argv=None) -> int:
    """Command line: ``python -m kernels.experiments qm9 [options]`` (``--help``); returns 0.

    >>> import tempfile, pathlib
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> main(["--help"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    SystemExit: 0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    p = _parser()
    args = p.parse_args(argv)
    _validate(p, args)
    args.command = "python -m kernels.experiments qm9 " + shlex.join(argv)
    run(args)
    return 0

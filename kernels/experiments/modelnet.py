"""Rotated ModelNet-style classification, per symmetry group, implicit vs standard kernels.

    python -m kernels.experiments modelnet --group SO3 --kernel implicit --seed 0
    python -m kernels.experiments modelnet --group SO3 --kernel standard --seed 0
    python -m kernels.experiments modelnet --group SO3 --kernel standard --standard e3nn
    python -m kernels.experiments modelnet --group O2 --protocol paper --data-dir PATH

The seed paper's experiment (its Figure: ModelNet-40 test accuracy per subgroup G of O(3), with
analytic vs implicit steerable kernels). A G-steerable point-convolution classifier
(:class:`~kernels.experiments._modelnet_models.ModelNetClassifier`: 3 PointConv layers on a
k-NN graph, gated nonlinearities, mean pooling, invariant readout) is trained **without
augmentation** on shapes in their canonical orientation, and tested on the test set with every
shape transformed by a random element of G (``test_acc``, recorded), and also by a random
rotation of SO(3) (``test_acc_so3``, an extra field of the record) and untransformed
(``test_acc_aligned``). Validation (choice of the best epoch) uses the G-transformed validation
set; the test set is never used for any choice.

Groups (``--group``): SO2 (rotations about z), O2 (= SO(2)⋊M: with the mirror x ↦ −x), SO3,
O3, M (the mirror alone), none (no symmetry). Kernels (``--kernel``): ``implicit`` (an
equivariant MLP of the relative position, :class:`~kernels.ImplicitKernel`) or ``standard``:
by default the same network with the kernel MLP removed — K(x) a learned combination of the
fixed steerable basis (radial functions × the group's angular harmonics,
:class:`~kernels.experiments._modelnet_models.SteerableBasisKernel`), recorded as model
"groupkit-standard"; with ``--standard e3nn`` (SO3/O3 only) e3nn's tensor-product convolution
(:class:`~kernels.baselines.E3nnNet`), recorded as "e3nn".

Protocols (``--protocol``):

* ``smoke``   — 4 classes, tiny clouds, one epoch: checks the pipeline (seconds).
* ``default`` — the generated stand-in (:func:`kernels.data.modelnet.synthetic_shapes`: 12
  classes of trimesh solids with random proportions; 40 / 10 / 25 shapes per class for
  train / validation / test, 256 points with normals), 12 epochs: about 1–2 min per run on
  one CPU thread. Needs ``trimesh`` (the ``modelnet`` extra).
* ``paper``   — ModelNet-40 from ``--data-dir`` (either standard format), 1,024 points, 100
  epochs, batch 32, AdamW with lr 1e-3 and a cosine schedule (the seed paper's exact recipe is
  not available here; this is the usual one for the benchmark). For a GPU.

Every finished run appends one record to ``--results`` (default
``bench/results/experiments.jsonl``): task "modelnet", target None, model, group, protocol,
seed, metric "test_acc" (percent), value, train_seconds, params, and the extra test figures.
``--out`` keeps the checkpoint (``best.pt``) and the metrics of the run.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ._modelnet_models import (GROUPS, KERNELS, E3nnClassifier, ModelNetClassifier,
                               group_elements, make_group)

__all__ = ["main", "build_model", "PROTOCOLS", "Protocol", "load_data", "evaluate",
           "GROUPS", "KERNELS"]


@dataclass(frozen=True)
class Protocol:
    """A data set and training budget (see the module docstring).

    >>> PROTOCOLS["default"].n_points, PROTOCOLS["default"].epochs
    (128, 10)
    """

    name: str
    n_classes: int | None  # None: all classes of the data
    per_class: tuple[int, int, int]  # train / val / test shapes per class (stand-in)
    n_points: int
    k: int
    epochs: int
    batch_size: int
    lr: float
    width: int
    layers: int
    n_radial: int  # radial functions of the standard basis = multiplicity of the kernel MLP


PROTOCOLS = {
    "smoke": Protocol("smoke", 4, (3, 2, 2), 48, 6, 1, 4, 3e-3, 1, 2, 2),
    "default": Protocol("default", 12, (40, 10, 25), 128, 12, 10, 16, 3e-3, 4, 3, 4),
    "paper": Protocol("paper", None, (0, 0, 0), 1024, 16, 100, 32, 1e-3, 8, 3, 8),
}


# ---------------------------------------------------------------- data
def _transform(points: np.ndarray, normals: np.ndarray, R: np.ndarray):
    return (np.einsum("sij,spj->spi", R, points), np.einsum("sij,spj->spi", R, normals))


def _dataset(points, normals, labels):
    from groupkit.train import PointClouds

    return PointClouds(list(points), x=list(normals), y=np.asarray(labels, dtype=np.int64),
                       dtype=torch.float32)


def load_data(protocol: Protocol, *, seed: int, data_dir=None):
    """(train, val, test, classes): train/val/test as (points (S, P, 3), normals (S, P, 3),
    labels (S,)) arrays in canonical orientation (the stand-in needs trimesh).

    >>> import pytest; _ = pytest.importorskip("trimesh")
    >>> train, val, test, classes = load_data(PROTOCOLS["smoke"], seed=0)
    >>> train[0].shape, len(classes)
    ((12, 48, 3), 4)
    """
    from kernels.data.modelnet import synthetic_shapes

    if protocol.name.split("-")[0] == "paper":  # "paper" or "paper-custom"
        train, test = _read_modelnet(data_dir, protocol.n_points)
        # validation: a fixed 10% of the training shapes (ModelNet-40 has no validation split)
        g = np.random.default_rng(seed)
        idx = g.permutation(len(train[2]))
        n_val = max(1, len(idx) // 10)
        val = tuple(a[idx[:n_val]] for a in train[:3])
        train = tuple(a[idx[n_val:]] for a in train[:3])
        return train, val, test[:3], test[3]
    from kernels.data.modelnet import SYNTHETIC_CLASSES

    classes = SYNTHETIC_CLASSES[:protocol.n_classes]
    out = []
    for split, n in enumerate(protocol.per_class):  # a different seed stream per split
        pc = synthetic_shapes(n, n_points=protocol.n_points, rng=[seed, split], classes=classes)
        out.append((pc.points, pc.normals, pc.labels))
    return out[0], out[1], out[2], tuple(classes)


def _read_modelnet(data_dir, n_points):
    from kernels.data.modelnet import read_modelnet_h5, read_modelnet_resampled

    if data_dir is None:
        raise SystemExit("modelnet: --protocol paper needs --data-dir, the folder of "
                         "modelnet40_normal_resampled or modelnet40_ply_hdf5_2048.")
    root = Path(data_dir)
    if not root.is_dir():
        raise SystemExit(f"modelnet: --data-dir {root} is not a directory.")
    if list(root.glob("ply_data_*.h5")):
        parts = [read_modelnet_h5(root, s) for s in ("train", "test")]
    elif (root / "modelnet40_shape_names.txt").exists():
        parts = [read_modelnet_resampled(root, s, n_points=n_points) for s in ("train", "test")]
    else:
        raise SystemExit(f"modelnet: {root} holds neither ply_data_*.h5 shards nor "
                         "modelnet40_shape_names.txt.")
    out = []
    for pc in parts:
        pts = pc.points[:, :n_points]
        if pc.normals is None:
            raise SystemExit(f"modelnet: {root} has no normals; the models take them as input.")
        nrm = pc.normals[:, :n_points]
        pts = pts - pts.mean(axis=1, keepdims=True)
        pts = pts / np.linalg.norm(pts, axis=2).max(axis=1)[:, None, None]
        out.append((pts, nrm, pc.labels, pc.classes))
    return out[0], out[1]


# ---------------------------------------------------------------- models
def build_model(group: str, kernel: str = "implicit", n_classes: int = 12, *,
                standard: str = "basis", width: int = 4, layers: int = 3, n_radial: int = 4,
                seed: int = 0, k: int = 12) -> torch.nn.Module:
    """The classifier of one arm, seeded.

    ``group`` in GROUPS, ``kernel`` "implicit" or "standard"; for the standard arm,
    ``standard="basis"`` (the fixed steerable basis, any group) or "e3nn" (SO3/O3 only).
    Logits (B, n_classes) from ``model(batch)`` (a GraphBatch with pos, x = normals,
    edge_index, batch).

    >>> m = build_model("SO2", "standard", 5, width=1, layers=2)
    >>> any(type(x).__name__ == "GatedMLP" for x in m.modules())   # no kernel MLP
    False
    """
    if group not in GROUPS:
        raise ValueError(f"unknown group {group!r}; choose from {', '.join(GROUPS)}.")
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose from {', '.join(KERNELS)}.")
    if standard not in ("basis", "e3nn"):
        raise ValueError(f"standard must be 'basis' or 'e3nn'; got {standard!r}.")
    torch.manual_seed(seed)
    if kernel == "standard" and standard == "e3nn":
        if group not in ("SO3", "O3"):
            raise ValueError(f"the e3nn standard arm is for SO3 and O3 only (e3nn's irreps are "
                             f"those of O(3)); got group {group!r}. Use standard='basis'.")
        m = width  # hidden irreps of about the size of the groupkit field (2m·1 ⊕ m·V ⊕ m·Y2)
        hidden = (f"{2 * m}x0e + {m}x1o + {m}x2e" if group == "O3" else
                  f"{2 * m}x0e + {m // 2 or 1}x1o + {m // 2 or 1}x1e"
                  f" + {m // 2 or 1}x2e + {m // 2 or 1}x2o")  # both parities: SO(3) only
        return E3nnClassifier(group, n_classes, hidden=hidden, layers=layers, avg_degree=k)
    return ModelNetClassifier(make_group(group), n_classes, kernel=kernel, layers=layers,
                              width=width, n_radial=n_radial, avg_degree=float(k))


def model_name(kernel: str, standard: str) -> str:
    if kernel == "implicit":
        return "groupkit"
    return "e3nn" if standard == "e3nn" else "groupkit-standard"


def _loader(ds, batch_size, k):
    from groupkit.train import PointCloudCollate
    from kernels import knn_graph

    return torch.utils.data.DataLoader(
        ds, batch_size=batch_size,
        collate_fn=PointCloudCollate(functools.partial(knn_graph, k=k)))


@torch.no_grad()
def evaluate(model, points, normals, labels, *, k: int, batch_size: int = 32) -> float:
    """Accuracy (%) of ``model`` on the clouds (no transformation applied here); the k-NN
    graph (``k``) is built per batch.

    >>> pts = np.random.default_rng(0).standard_normal((2, 20, 3))
    >>> m = build_model("SO3", "implicit", 3, width=1, layers=2, n_radial=2)
    >>> 0 <= evaluate(m, pts, pts, np.array([0, 1]), k=4) <= 100
    True
    """
    model.eval()
    loader = _loader(_dataset(points, normals, labels), batch_size, k)
    correct = 0
    for b in loader:
        correct += int((model(b).argmax(1) == b.y).sum())
    return 100.0 * correct / len(labels)


# ---------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m kernels.experiments modelnet",
                                description=__doc__.split("\n\n")[1],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--group", choices=GROUPS, default="SO3",
                   help="symmetry group of the model and of the test transformations")
    p.add_argument("--kernel", choices=KERNELS, default="implicit")
    p.add_argument("--standard", choices=("basis", "e3nn"), default="basis",
                   help="the standard arm: the fixed steerable basis (any group) or e3nn")
    p.add_argument("--protocol", choices=tuple(PROTOCOLS), default="default")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=None, help="override the protocol's epochs")
    p.add_argument("--points", type=int, default=None,
                   help="override the protocol's points per shape")
    p.add_argument("--data-dir", default=None, help="ModelNet-40 folder (--protocol paper)")
    p.add_argument("--results", default=None,
                   help="JSON-lines file the run is appended to (default "
                        "bench/results/experiments.jsonl)")
    p.add_argument("--out", default=None,
                   help="folder for the checkpoints and metrics (default: a temporary one)")
    p.add_argument("--no-record", action="store_true", help="do not append a record")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    for opt, v in (("--epochs", args.epochs), ("--points", args.points)):
        if v is not None and v < 1:
            raise SystemExit(f"modelnet: {opt} must be ≥ 1.")
    if args.standard == "e3nn" and args.kernel != "standard":
        raise SystemExit("modelnet: --standard e3nn goes with --kernel standard.")
    if args.standard == "e3nn" and args.group not in ("SO3", "O3"):
        raise SystemExit(f"modelnet: the e3nn standard arm is for SO3 and O3 only; got "
                         f"--group {args.group}. Use --standard basis (the default).")
    if args.data_dir is not None and args.protocol != "paper":
        raise SystemExit("modelnet: --data-dir is read only with --protocol paper.")
    proto = PROTOCOLS[args.protocol]
    if args.points is not None and args.points != proto.n_points:
        proto = dataclasses.replace(proto, n_points=args.points)
    if args.epochs is not None and args.epochs != proto.epochs:
        proto = dataclasses.replace(proto, epochs=args.epochs)
    if proto != PROTOCOLS[args.protocol]:
        # a run whose budget differs from its protocol's is recorded as such, never as it
        proto = dataclasses.replace(proto, name=f"{proto.name}-custom")
    if args.protocol != "paper":
        try:
            import trimesh  # noqa: F401
        except ImportError:
            raise SystemExit("modelnet: the stand-in data need trimesh: pip install trimesh "
                             "(or pip install 'groupkit[modelnet]').") from None
    epochs = proto.epochs
    from groupkit.train import fit
    from kernels.records import record_run

    from kernels.data import DataFormatError

    try:
        train, val, test, classes = load_data(proto, seed=args.seed, data_dir=args.data_dir)
    except (DataFormatError, FileNotFoundError) as e:  # names the file and line
        raise SystemExit(f"modelnet: {e}") from None
    g = np.random.default_rng([args.seed, 99])
    val_g = _transform(val[0], val[1], group_elements(args.group, len(val[2]), rng=g))
    tests = {"G": group_elements(args.group, len(test[2]), rng=g),
             "SO3": group_elements("SO3", len(test[2]), rng=g)}
    model = build_model(args.group, args.kernel, len(classes), standard=args.standard,
                        width=proto.width, layers=proto.layers, n_radial=proto.n_radial,
                        seed=args.seed, k=proto.k)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    steps = epochs * math.ceil(len(train[2]) / proto.batch_size)
    name = model_name(args.kernel, args.standard)
    print(f"modelnet: {name} G={args.group} protocol={proto.name} seed={args.seed}: "
          f"{len(train[2])}/{len(val[2])}/{len(test[2])} shapes, {len(classes)} classes, "
          f"{params} parameters, {epochs} epochs ({steps} steps)", flush=True)
    tmp = None
    out = args.out
    if out is None:
        tmp = tempfile.TemporaryDirectory(prefix="modelnet-")
        out = tmp.name
    knn = functools.partial
    from groupkit.train import PointCloudCollate
    from kernels import knn_graph

    t0 = time.perf_counter()
    fit(model, _dataset(*train), _dataset(val_g[0], val_g[1], val[2]), loss="cross_entropy",
        epochs=epochs, batch_size=proto.batch_size, optimizer="adamw", lr=proto.lr,
        weight_decay=1e-4, scheduler="cosine", seed=args.seed,
        collate_fn=PointCloudCollate(knn(knn_graph, k=proto.k)), checkpoint_dir=out,
        progress=False, log_every=max(1, steps // 20))
    seconds = time.perf_counter() - t0
    acc = {key: evaluate(model, *_transform(test[0], test[1], R), test[2], k=proto.k)
           for key, R in tests.items()}
    acc["aligned"] = evaluate(model, *test, k=proto.k)
    print(f"modelnet: test accuracy {acc['G']:.1f}% (G-transformed), {acc['SO3']:.1f}% "
          f"(SO(3)-rotated), {acc['aligned']:.1f}% (aligned); trained {seconds:.0f} s")
    if not args.no_record:
        record_run(args.results, task="modelnet", target=None, model=name, group=args.group,
                   protocol=proto.name, seed=args.seed, metric="test_acc", value=acc["G"],
                   train_seconds=round(seconds, 2), params=params,
                   test_acc_so3=acc["SO3"], test_acc_aligned=acc["aligned"],
                   kernel=args.kernel, epochs=epochs, n_train=len(train[2]),
                   n_classes=len(classes), augmentation="none",
                   test_transform=f"random elements of {args.group}")
    if tmp is not None:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())

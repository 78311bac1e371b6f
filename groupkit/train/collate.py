"""Batches for training: arrays as datasets, and point clouds of varying size as graph batches.

A batch of point clouds is one :class:`GraphBatch` — the clouds' points concatenated, with the
conventions of ``kernels.graph`` (and PyTorch Geometric): ``pos`` (N, d), ``x`` (N, c) point
features, ``batch`` (N,) the cloud of each point, ``ptr`` (B+1,) the clouds' offsets,
``edge_index`` (2, E) long (source; target) when a graph builder is given, and ``y`` the
targets (B, …) stacked, or (N, …) concatenated for per-point targets).

>>> import numpy as np
>>> clouds = PointClouds([np.zeros((3, 2)), np.ones((5, 2))], y=np.array([0.5, 1.5]))
>>> b = collate_point_clouds([clouds[0], clouds[1]])
>>> b.pos.shape, b.batch.tolist(), b.y.shape, b.num_graphs
(torch.Size([8, 2]), [0, 0, 0, 1, 1, 1, 1, 1], torch.Size([2]), 2)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

__all__ = ["GraphBatch", "PointClouds", "collate_point_clouds", "PointCloudCollate",
           "as_dataset"]


def _tensor(a, dtype=None) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(a) if not isinstance(a, torch.Tensor) else a)
    if dtype is not None and t.is_floating_point():
        t = t.to(dtype)
    return t


def as_dataset(data, *, dtype: torch.dtype | None = None) -> Dataset:
    """A torch Dataset from ``data``: a Dataset (returned as is), or a tuple of arrays/tensors
    with equal first dimension, e.g. (X, Y) (floating arrays converted to ``dtype``)."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (tuple, list)) and data and all(
            isinstance(a, (np.ndarray, torch.Tensor)) for a in data):
        ts = [_tensor(a, dtype) for a in data]
        n = {t.shape[0] if t.ndim else None for t in ts}
        if len(n) != 1 or None in n:
            raise ValueError(f"the arrays of a dataset must share their first dimension (one row "
                             f"per sample); got shapes {[tuple(t.shape) for t in ts]}.")
        return TensorDataset(*ts)
    raise TypeError(f"training data must be a torch Dataset, a DataLoader or a tuple of arrays "
                    f"(X, Y); got {type(data).__name__}.")


@dataclass
class GraphBatch:
    """Point clouds batched as one graph (see the module docstring)."""

    pos: torch.Tensor
    batch: torch.Tensor
    ptr: torch.Tensor
    x: torch.Tensor | None = None
    y: torch.Tensor | None = None
    edge_index: torch.Tensor | None = None

    @property
    def num_graphs(self) -> int:
        return len(self.ptr) - 1

    def __len__(self) -> int:  # samples in the batch (for weighting losses)
        return self.num_graphs

    def to(self, *args, **kwargs) -> GraphBatch:
        """Move every tensor (floating ones also cast when a dtype is given)."""
        out = {}
        for f in fields(self):
            t = getattr(self, f.name)
            if t is None:
                out[f.name] = None
            elif t.is_floating_point():
                out[f.name] = t.to(*args, **kwargs)
            else:  # index tensors keep their integer dtype
                dev = kwargs.get("device", next((a for a in args if not isinstance(
                    a, torch.dtype)), None))
                out[f.name] = t.to(dev) if dev is not None else t
        return replace(self, **out)


class PointClouds(Dataset):
    """Clouds of varying size as a Dataset: ``pos`` a sequence of (n_i, d) arrays, ``x`` an
    optional sequence of (n_i, c) features, ``y`` targets (one row per cloud, or a sequence of
    (n_i, …) per-point targets). Items are dicts {"pos", "x", "y"} of tensors; floating arrays
    are converted to ``dtype`` (default torch's)."""

    def __init__(self, pos: Sequence, *, x: Sequence | None = None, y=None,
                 dtype: torch.dtype | None = None):
        dtype = dtype or torch.get_default_dtype()
        self.pos = [_tensor(p, dtype) for p in pos]
        for i, p in enumerate(self.pos):
            if p.ndim != 2:
                raise ValueError(f"cloud {i}: positions must have shape (n, d); got "
                                 f"{tuple(p.shape)}.")
        self.x = None if x is None else [_tensor(f, dtype) for f in x]
        if self.x is not None:
            if len(self.x) != len(self.pos):
                raise ValueError(f"{len(self.x)} feature arrays for {len(self.pos)} clouds.")
            for i, (p, f) in enumerate(zip(self.pos, self.x)):
                if f.ndim != 2 or f.shape[0] != p.shape[0]:
                    raise ValueError(f"cloud {i}: features must have shape ({p.shape[0]}, c); "
                                     f"got {tuple(f.shape)}.")
        self.y = None if y is None else [_tensor(t, dtype) for t in y]
        if self.y is not None and len(self.y) != len(self.pos):
            raise ValueError(f"{len(self.y)} targets for {len(self.pos)} clouds.")

    def __len__(self) -> int:
        return len(self.pos)

    def __getitem__(self, i: int) -> dict:
        return {"pos": self.pos[i], "x": None if self.x is None else self.x[i],
                "y": None if self.y is None else self.y[i]}


def collate_point_clouds(samples: Sequence, graph: Callable | None = None, *,
                         per_point: bool = False) -> GraphBatch:
    """One :class:`GraphBatch` from samples (dicts with "pos" and optional "x", "y", or tuples
    (pos, x, y)). ``graph(pos, batch) → edge_index``, e.g.
    ``functools.partial(kernels.knn_graph, k=16)`` (called with ``batch=``), builds the edges
    of every cloud, never joining two clouds. Targets are stacked (B, …), or concatenated
    (N, …) with ``per_point=True``."""
    if not samples:
        raise ValueError("cannot collate an empty list of point clouds.")
    items = [s if isinstance(s, dict) else dict(zip(("pos", "x", "y"), s)) for s in samples]
    pos = [torch.as_tensor(s["pos"]) for s in items]
    sizes = torch.tensor([len(p) for p in pos])
    ptr = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(sizes, 0)])
    batch = torch.repeat_interleave(torch.arange(len(pos)), sizes)
    P = torch.cat(pos)
    xs = [s.get("x") for s in items]
    x = None if all(f is None for f in xs) else torch.cat([torch.as_tensor(f) for f in xs])
    ys = [s.get("y") for s in items]
    y = None
    if not all(t is None for t in ys):
        if any(t is None for t in ys):
            raise ValueError("some point clouds of the batch have targets and some do not.")
        ys = [torch.as_tensor(t) for t in ys]
        if per_point:
            bad = [i for i, (t, n) in enumerate(zip(ys, sizes.tolist()))
                   if t.ndim < 1 or t.shape[0] != n]
            if bad:
                raise ValueError(f"per_point=True needs one target row per point; cloud {bad[0]}"
                                 f" has {len(pos[bad[0]])} points and targets of shape "
                                 f"{tuple(ys[bad[0]].shape)}.")
            y = torch.cat(ys)
        else:
            shapes = {tuple(t.shape) for t in ys}
            if len(shapes) > 1:
                raise ValueError(f"per-cloud targets must share one shape; got {sorted(shapes)} "
                                 f"(per-point targets need per_point=True).")
            y = torch.stack(ys)
    edge_index = graph(P, batch=batch) if graph is not None else None
    return GraphBatch(pos=P, batch=batch, ptr=ptr, x=x, y=y, edge_index=edge_index)


class PointCloudCollate:
    """``collate_fn`` for a DataLoader of point clouds: :func:`collate_point_clouds` with a
    fixed graph builder (picklable when the builder is, so it works with worker processes)."""

    def __init__(self, graph: Callable | None = None, *, per_point: bool = False):
        self.graph, self.per_point = graph, per_point

    def __call__(self, samples) -> GraphBatch:
        return collate_point_clouds(samples, self.graph, per_point=self.per_point)

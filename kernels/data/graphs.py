"""Point clouds and molecules as graph batches for message-passing models.

A sample is (positions (n, d), features (n, F), target); :class:`GraphDataset` holds samples
of varying n, and :class:`GraphCollate` joins a list of them into one :class:`GraphBatch`
(:class:`groupkit.train.GraphBatch`, the batches :func:`groupkit.train.fit` takes: positions
and features concatenated, a ``batch`` vector of graph ids, an edge list in the
convention of :mod:`kernels.graph`: row 0 source j, row 1 target i, no edges between graphs).
Targets are stacked (one per graph) or, with ``node_target=True``, concatenated (one per node).

>>> ds = GraphDataset([np.zeros((2, 3)), np.ones((3, 3))], [np.zeros((2, 1)), np.ones((3, 1))],
...                   [0.0, 1.0])
>>> b = ds.collate()([ds[0], ds[1]])
>>> b.pos.shape, b.batch.tolist(), b.edge_index.shape, b.y.tolist()
(torch.Size([5, 3]), [0, 0, 1, 1, 1], torch.Size([2, 8]), [0.0, 1.0])
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from groupkit.train.collate import GraphBatch, collate_point_clouds

from ..graph import knn_graph, radius_graph

__all__ = ["GraphDataset", "GraphBatch", "GraphCollate", "full_graph"]


def full_graph(sizes) -> torch.Tensor:
    """Every ordered pair (j, i), j ≠ i, within each graph of the given sizes; graph by graph,
    by target i, then by source j.

    >>> full_graph([2, 1]).tolist()
    [[1, 0], [0, 1]]
    >>> full_graph([3]).tolist()
    [[1, 2, 0, 2, 0, 1], [0, 0, 1, 1, 2, 2]]
    """
    sizes = np.asarray([int(s) for s in sizes], dtype=np.int64)
    counts = sizes * (sizes - 1)
    out = np.empty((2, int(counts.sum())), dtype=np.int64)
    node_start = np.cumsum(sizes) - sizes
    edge_start = np.cumsum(counts) - counts
    # one template per distinct size, shifted to every graph of that size at once: a batch
    # of 100 equal graphs costs a few array operations, not 100 meshgrids
    for n in np.unique(sizes[sizes > 1]):
        i, j = np.divmod(np.arange(n * n), n)
        keep = i != j
        template = np.stack([j[keep], i[keep]])                              # (2, m)
        which = np.flatnonzero(sizes == n)
        cols = edge_start[which, None] + np.arange(template.shape[1])       # (g, m)
        out[:, cols] = template[:, None, :] + node_start[which, None]
    return torch.from_numpy(out)


class GraphCollate:
    """Collate function: ``edges`` "full" (all pairs), ("radius", r), ("knn", k) or None."""

    def __init__(self, edges="full", *, node_target: bool = False):
        if not (edges in ("full", None) or (isinstance(edges, tuple) and len(edges) == 2
                                            and edges[0] in ("radius", "knn"))):
            raise ValueError(f"edges must be 'full', None, ('radius', r) or ('knn', k); got "
                             f"{edges!r}.")
        self.edges, self.node_target = edges, node_target

    def __call__(self, samples) -> GraphBatch:
        # one batching code path for the whole project: groupkit.train's, so these batches are
        # what groupkit.train.fit expects
        if self.edges == "full":
            graph = _full_edges
        elif self.edges is None:
            graph = _no_edges
        else:
            build = radius_graph if self.edges[0] == "radius" else knn_graph
            graph = functools.partial(build, **{"radius": {"r": self.edges[1]},
                                                "knn": {"k": self.edges[1]}}[self.edges[0]])
        return collate_point_clouds(samples, graph, per_point=self.node_target)


def _full_edges(pos: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
    return full_graph(torch.bincount(batch).tolist())


def _no_edges(pos: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
    return torch.zeros(2, 0, dtype=torch.long)


class GraphDataset(torch.utils.data.Dataset):
    """Samples (positions (n, d), features (n, F), target) as tensors of ``dtype`` (integer
    targets, class labels, stay long). Inputs are sequences (or stacked arrays) of equal
    length; ``node_target``: targets are per node (n, …), else per graph."""

    def __init__(self, positions, features, targets, *, node_target: bool = False,
                 dtype=torch.float32):
        if not len(positions) == len(features) == len(targets):
            raise ValueError(f"positions, features and targets must have one entry per sample; "
                             f"got {len(positions)}, {len(features)}, {len(targets)}.")
        self.node_target = node_target
        self.pos = [torch.as_tensor(np.asarray(p), dtype=dtype) for p in positions]
        self.x = [torch.as_tensor(np.asarray(f), dtype=dtype) for f in features]
        self.y = [_target(t, dtype) for t in targets]
        for k, (p, f) in enumerate(zip(self.pos, self.x)):
            if p.ndim != 2 or f.ndim != 2 or len(p) != len(f):
                raise ValueError(f"sample {k}: positions must be (n, d) and features (n, F) with "
                                 f"the same n; got {tuple(p.shape)} and {tuple(f.shape)}.")
            if node_target and len(self.y[k]) != len(p):
                raise ValueError(f"sample {k}: node targets need one row per node.")

    def __len__(self) -> int:
        return len(self.pos)

    def __getitem__(self, i):
        return self.pos[i], self.x[i], self.y[i]

    def collate(self, edges="full") -> GraphCollate:
        """The collate function for this data set (pass as a DataLoader's ``collate_fn``)."""
        return GraphCollate(edges, node_target=self.node_target)

    @classmethod
    def from_nbody(cls, split, **kw) -> GraphDataset:
        """From a :class:`~kernels.data.NBodySplit`: features [q, v], target positions."""
        pos, feats, target = split.arrays()
        return cls(pos, feats, target, node_target=True, **kw)

    @classmethod
    def from_molecules(cls, mols, target: str, *, charge_power: int | None = None,
                       **kw) -> GraphDataset:
        """From :class:`~kernels.data.qm9.Molecules`: features one-hot H, C, N, O, F (or, with
        ``charge_power``, EGNN's 15 = 5·3 features, :meth:`Molecules.egnn_features`); target
        ``mols.target(target)`` (paper units, atom references subtracted)."""
        o, y = mols.offsets, mols.target(target)
        oh = mols.one_hot() if charge_power is None else mols.egnn_features(charge_power)
        return cls([mols.pos[a:b] for a, b in zip(o[:-1], o[1:])],
                   [oh[a:b] for a, b in zip(o[:-1], o[1:])], y[:, None], **kw)


def _target(t, dtype):
    t = torch.as_tensor(np.asarray(t))
    return t.long() if not (t.is_floating_point() or t.is_complex()) else t.to(dtype)

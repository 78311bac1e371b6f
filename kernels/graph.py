"""Graphs on point clouds, in batches of graphs: radius and k-nearest-neighbour edge lists.

Conventions (as in PyTorch Geometric): a batch of point clouds is one tensor of positions
(N, d) with a ``batch`` vector (N,) of graph ids in 0..B−1 (points of a graph need not be
contiguous); an edge list ``edge_index`` (2, E) of dtype long holds (source j, target i) in rows
0 and 1, and messages flow from j to i. Builders return edges sorted by target, then by source,
never joining points of different graphs.

Two paths with the same edges in the same order (``method=``):

* ``"kdtree"`` — ``scipy.spatial.cKDTree`` per graph, O(N log N) (plus the edges): the
  default for CPU positions with the Euclidean metric or a positive-definite ``metric`` (the
  points are mapped to coordinates where it is Euclidean). The tree proposes candidates within
  r·(1 + 10⁻⁶); the brute-force formula below decides, so the boundary r is treated identically.
* ``"brute"`` — pure torch all pairs, O(N_b²) per graph b, in chunks of target rows so that
  memory stays O(chunk · N_b): the path for GPU tensors and indefinite metrics (Minkowski).

``method="auto"`` takes the tree where it applies. A ``metric`` M (d, d) replaces the squared
distance |x_j − x_i|² by |(x_j − x_i)ᵀ M (x_j − x_i)|; with the Minkowski metric this is the
absolute interval, which the Lorentz group preserves (the graph is then Lorentz invariant, but
the neighbourhood {|interval| ≤ r²} is unbounded). Pass ``space=`` (a groupkit Rep) to be warned
(:class:`groupkit.MetricWarning`) when its invariant form is not the identity and no metric is
given — the Euclidean graph of such a space is not invariant.

>>> pos = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
>>> radius_graph(pos, 1.5).tolist()
[[1, 0], [0, 1]]
>>> knn_graph(pos, 1, method="brute").tolist() == knn_graph(pos, 1).tolist()
True
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from groupkit.warnings import MetricWarning

try:  # scipy is a base dependency; the guard keeps the brute path usable without it
    from scipy.spatial import cKDTree
except ImportError:  # pragma: no cover - depends on the environment
    cKDTree = None

__all__ = ["radius_graph", "knn_graph", "batch_vector", "check_edge_index", "check_batch"]

# The tree proposes pairs within r·(1 + _SLACK); the brute-force distance formula decides.
_SLACK = 1e-6


def batch_vector(sizes, *, device=None) -> torch.Tensor:
    """The batch vector (N,) for graphs of the given sizes: [0]*s0 + [1]*s1 + ….

    >>> batch_vector([2, 3])
    tensor([0, 0, 1, 1, 1])
    """
    sizes = torch.as_tensor(sizes, dtype=torch.long, device=device)
    if sizes.ndim != 1 or (sizes < 0).any():
        raise ValueError(f"sizes must be a 1-d sequence of non-negative integers; got {sizes}.")
    return torch.repeat_interleave(torch.arange(len(sizes), device=device), sizes)


def check_batch(batch: torch.Tensor | None, n: int, device) -> torch.Tensor:
    if batch is None:
        return torch.zeros(n, dtype=torch.long, device=device)
    if not isinstance(batch, torch.Tensor) or batch.shape != (n,) or batch.dtype != torch.long:
        raise ValueError(f"batch must be a long tensor of shape ({n},) (one graph id per point); "
                         f"got {getattr(batch, 'dtype', type(batch))} of shape "
                         f"{tuple(getattr(batch, 'shape', ()))}.")
    if n and int(batch.min()) < 0:
        raise ValueError("batch holds negative graph ids.")
    return batch


def check_edge_index(edge_index: torch.Tensor, n: int) -> torch.Tensor:
    """Validate an edge list for n points: shape (2, E), integer dtype, entries in [0, n).

    >>> import torch
    >>> check_edge_index(torch.tensor([[0, 1], [1, 0]]), 2).shape
    torch.Size([2, 2])
    >>> try:
    ...     check_edge_index(torch.tensor([[0, 5], [1, 0]]), 2)
    ... except IndexError as e:
    ...     print(e)
    edge_index refers to point 5, but there are only 2 points (valid indices 0..1).
    """
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"edge_index must be a torch.Tensor of shape (2, E); got "
                        f"{type(edge_index).__name__}.")
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, E) (rows: source, target); got "
                         f"{tuple(edge_index.shape)}.")
    if edge_index.dtype.is_floating_point or edge_index.dtype.is_complex \
            or edge_index.dtype == torch.bool:
        raise TypeError(f"edge_index must hold integers (torch.long); got {edge_index.dtype}.")
    if edge_index.numel():
        lo, hi = int(edge_index.min()), int(edge_index.max())
        if lo < 0 or hi >= n:
            raise IndexError(f"edge_index refers to point {lo if lo < 0 else hi}, but there are "
                             f"only {n} points (valid indices 0..{n - 1}).")
    return edge_index.long()


def _check_pos(pos: torch.Tensor, metric, space=None) -> torch.Tensor | None:
    if not isinstance(pos, torch.Tensor) or pos.ndim != 2:
        raise ValueError(f"pos must be a tensor of shape (N, d); got "
                         f"{tuple(getattr(pos, 'shape', ()))}.")
    if not torch.isfinite(pos).all():
        raise ValueError("pos contains NaN or inf.")
    if metric is None:
        if space is not None:
            _warn_if_not_euclidean(space, pos.shape[1])
        return None
    M = torch.as_tensor(metric, dtype=pos.dtype, device=pos.device)
    if M.shape != (pos.shape[1], pos.shape[1]):
        raise ValueError(f"metric must be ({pos.shape[1]}, {pos.shape[1]}); got {tuple(M.shape)}.")
    return M


def _warn_if_not_euclidean(space, d: int) -> None:
    from .geometry import space_geometry

    if space.size != d:
        raise ValueError(f"space {space} has dimension {space.size} but pos has {d} columns.")
    M = space_geometry(space).radius_form
    if M is None or not np.allclose(M, np.eye(d)):
        form = "no invariant form" if M is None else f"the invariant form\n{np.round(M, 6)}"
        warnings.warn(
            f"{space} of {space.group} has {form}, not the identity: a Euclidean graph is not "
            "invariant under the group. Pass metric=kernels.space_geometry(space).radius_form "
            "(or your own metric=) to build an invariant graph.", MetricWarning, stacklevel=3)


def _check_method(method: str) -> None:
    if method not in ("auto", "kdtree", "brute"):
        raise ValueError(f"method must be 'auto', 'kdtree' or 'brute'; got {method!r}.")


def _tree_frame(pos: torch.Tensor, M: torch.Tensor | None, method: str):
    """float64 coordinates in which the squared distance is Euclidean, for the k-d tree; None
    for the brute-force path (method='brute', GPU tensors, indefinite metrics)."""
    _check_method(method)
    usable = pos.device.type == "cpu" and cKDTree is not None
    P = None
    if usable and method != "brute":
        P = pos.detach().to(torch.float64).numpy()
        if M is not None:
            Mn = M.detach().to(torch.float64).cpu().numpy()
            try:  # xᵀMx = |Lᵀx|² when M is positive definite
                P = P @ np.linalg.cholesky((Mn + Mn.T) / 2)
            except np.linalg.LinAlgError:
                P = None
    if P is None and method == "kdtree":
        raise ValueError("method='kdtree' needs CPU positions and a positive-definite metric (or "
                         "none); use method='auto' or method='brute'.")
    return P


def _sq_dist(a: torch.Tensor, b: torch.Tensor, M: torch.Tensor | None) -> torch.Tensor:
    """(|a_i − b_j|² or |(b_j − a_i)ᵀ M (b_j − a_i)|), shape (len(a), len(b)), from differences
    (not the |a|² + |b|² − 2ab expansion, which cancels badly for close points)."""
    diff = b[None, :, :] - a[:, None, :]
    if M is None:
        return (diff * diff).sum(-1)
    return torch.einsum("ijk,kl,ijl->ij", diff, M, diff).abs()


def _pair_sq_dist(pos: torch.Tensor, src: torch.Tensor, tgt: torch.Tensor,
                  M: torch.Tensor | None) -> torch.Tensor:
    """The squared distances of the pairs (src, tgt), by :func:`_sq_dist`'s formula."""
    diff = pos[src] - pos[tgt]
    if M is None:
        return (diff * diff).sum(-1)
    return torch.einsum("ek,kl,el->e", diff, M, diff).abs()


def _graphs(batch: torch.Tensor):
    """Point indices of each graph (in increasing order)."""
    if batch.numel() == 0:
        return
    order = torch.argsort(batch, stable=True)
    counts = torch.bincount(batch)
    for idx in torch.split(order, counts.tolist()):
        if idx.numel():
            yield idx


def radius_graph(pos: torch.Tensor, r: float, *, batch: torch.Tensor | None = None,
                 loop: bool = False, max_neighbors: int | None = None, metric=None,
                 chunk_size: int = 512, method: str = "auto", space=None) -> torch.Tensor:
    """All pairs (j, i) in the same graph with distance ≤ r (edge_index (2, E), sorted by target,
    then source).

    ``loop``: include i → i. ``max_neighbors``: keep only the nearest that many sources per
    target. ``metric``, ``method`` ("auto", "kdtree", "brute"), ``space``: see the module
    docstring. ``chunk_size``: target rows per block of the brute-force path.

    >>> import torch
    >>> pos = torch.tensor([[0.0, 0.0], [0.5, 0.0], [3.0, 0.0]])
    >>> radius_graph(pos, r=1.0)                  # (source; target)
    tensor([[1, 0],
            [0, 1]])
    """
    M = _check_pos(pos, metric, space)
    if not r >= 0:
        raise ValueError(f"r must be non-negative; got {r!r}.")
    if max_neighbors is not None and (not isinstance(max_neighbors, int) or max_neighbors < 1):
        raise ValueError(f"max_neighbors must be a positive integer or None; got "
                         f"{max_neighbors!r}.")
    batch = check_batch(batch, pos.shape[0], pos.device)
    frame = _tree_frame(pos, M, method)
    r2 = float(r) ** 2
    srcs, tgts = [], []
    for idx in _graphs(batch):
        if frame is not None:
            s, t = _radius_tree(pos, frame, idx, r, r2, loop, max_neighbors, M)
        else:
            s, t = _radius_brute(pos[idx], r2, loop, max_neighbors, M, chunk_size)
        srcs.append(idx[s])
        tgts.append(idx[t])
    return _assemble(srcs, tgts, pos.device)


def _radius_tree(pos, frame, idx, r, r2, loop, max_neighbors, M):
    ids = idx.numpy()
    pairs = cKDTree(frame[ids]).query_pairs(float(r) * (1 + _SLACK), output_type="ndarray")
    a, b = torch.as_tensor(pairs[:, 0]), torch.as_tensor(pairs[:, 1])
    s, t = torch.cat([a, b]), torch.cat([b, a])
    if loop:
        own = torch.arange(len(ids))
        s, t = torch.cat([s, own]), torch.cat([t, own])
    d2 = _pair_sq_dist(pos, idx[s], idx[t], M)
    keep = d2 <= r2
    s, t, d2 = s[keep], t[keep], d2[keep]
    if max_neighbors is not None and len(s):
        # per target, the max_neighbors nearest: order by (target, distance), rank within target
        order = torch.argsort(d2, stable=True)
        order = order[torch.argsort(t[order], stable=True)]
        s, t = s[order], t[order]
        counts = torch.bincount(t, minlength=len(ids))
        rank = torch.arange(len(t)) - (torch.cumsum(counts, 0) - counts)[t]
        s, t = s[rank < max_neighbors], t[rank < max_neighbors]
    return s, t


def _radius_brute(p, r2, loop, max_neighbors, M, chunk_size):
    srcs, tgts = [], []
    for start in range(0, len(p), chunk_size):
        d2 = _sq_dist(p[start:start + chunk_size], p, M)
        ok = d2 <= r2
        if not loop:
            rows = torch.arange(ok.shape[0], device=p.device)
            ok[rows, rows + start] = False
        if max_neighbors is not None:
            d2 = d2.masked_fill(~ok, float("inf"))
            k = min(max_neighbors, d2.shape[1])
            vals, cols = torch.topk(d2, k, dim=1, largest=False)
            keep = torch.isfinite(vals)
            t = torch.arange(ok.shape[0], device=p.device)[:, None].expand_as(cols)[keep]
            s = cols[keep]
        else:
            t, s = ok.nonzero(as_tuple=True)
        tgts.append(t + start)
        srcs.append(s)
    return torch.cat(srcs), torch.cat(tgts)


def knn_graph(pos: torch.Tensor, k: int, *, batch: torch.Tensor | None = None,
              loop: bool = False, metric=None, chunk_size: int = 512, method: str = "auto",
              space=None) -> torch.Tensor:
    """Each point i receives edges from its k nearest points j of the same graph (fewer when
    the graph has fewer points). Returns edge_index (2, E), sorted by target, then source.
    ``metric``, ``method``, ``space``: see the module docstring.

    >>> import torch
    >>> pos = torch.tensor([[0.0], [1.0], [3.0]])
    >>> knn_graph(pos, k=1)                       # (source; target): each point's nearest
    tensor([[1, 0, 1],
            [0, 1, 2]])
    """
    M = _check_pos(pos, metric, space)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    batch = check_batch(batch, pos.shape[0], pos.device)
    frame = _tree_frame(pos, M, method)
    srcs, tgts = [], []
    for idx in _graphs(batch):
        kk = min(k, len(idx) - (0 if loop else 1))
        if kk <= 0:
            continue
        if frame is not None:
            s, t = _knn_tree(frame[idx.numpy()], kk, loop)
        else:
            s, t = _knn_brute(pos[idx], kk, loop, M, chunk_size)
        srcs.append(idx[s])
        tgts.append(idx[t])
    return _assemble(srcs, tgts, pos.device)


def _knn_tree(P, kk, loop):
    n = len(P)
    m = kk if loop else kk + 1
    _, nb = cKDTree(P).query(P, k=list(range(1, m + 1)))
    nb = np.asarray(nb, dtype=np.int64).reshape(n, m)
    if not loop:
        # drop the point itself; where k+1 points coincide it may be missing: drop the last
        keep = nb != np.arange(n)[:, None]
        keep[keep.all(axis=1), -1] = False
        nb = nb[keep].reshape(n, kk)
    t = np.repeat(np.arange(n), kk)
    return torch.as_tensor(nb.reshape(-1)), torch.as_tensor(t)


def _knn_brute(p, kk, loop, M, chunk_size):
    srcs, tgts = [], []
    for start in range(0, len(p), chunk_size):
        d2 = _sq_dist(p[start:start + chunk_size], p, M)
        if not loop:
            rows = torch.arange(d2.shape[0], device=p.device)
            d2[rows, rows + start] = float("inf")
        cols = torch.topk(d2, kk, dim=1, largest=False).indices
        t = torch.arange(d2.shape[0], device=p.device)[:, None].expand_as(cols)
        tgts.append(t.reshape(-1) + start)
        srcs.append(cols.reshape(-1))
    return torch.cat(srcs), torch.cat(tgts)


def _assemble(srcs, tgts, device) -> torch.Tensor:
    if not srcs:
        return torch.zeros(2, 0, dtype=torch.long, device=device)
    src, tgt = torch.cat(srcs).to(device), torch.cat(tgts).to(device)
    order = torch.argsort(tgt * (int(src.max()) + 1 if src.numel() else 1) + src, stable=True)
    return torch.stack([src[order], tgt[order]])

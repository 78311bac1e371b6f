"""Graphs on point clouds, in batches of graphs: radius and k-nearest-neighbour edge lists.

Conventions (as in PyTorch Geometric): a batch of point clouds is one tensor of positions
(N, d) with a ``batch`` vector (N,) of graph ids in 0..B−1 (points of a graph need not be
contiguous); an edge list ``edge_index`` (2, E) of dtype long holds (source j, target i) in rows
0 and 1, and messages flow from j to i. Builders return edges sorted by target, never joining
points of different graphs.

Pure torch, O(N_b²) per graph b, computed in chunks of target rows so that memory stays
O(chunk · N_b). Fine for a few thousand points per graph.

A ``metric`` M (d, d) replaces the squared distance |x_j − x_i|² by |(x_j − x_i)ᵀ M (x_j − x_i)|;
with the Minkowski metric this is the absolute interval, which the Lorentz group preserves (the
graph is then Lorentz invariant, but the neighbourhood {|interval| ≤ r²} is unbounded).

>>> pos = torch.tensor([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0]])
>>> radius_graph(pos, 1.5).tolist()
[[1, 0], [0, 1]]
"""

from __future__ import annotations

import torch

__all__ = ["radius_graph", "knn_graph", "batch_vector", "check_edge_index", "check_batch"]


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


def _check_pos(pos: torch.Tensor, metric) -> torch.Tensor | None:
    if not isinstance(pos, torch.Tensor) or pos.ndim != 2:
        raise ValueError(f"pos must be a tensor of shape (N, d); got "
                         f"{tuple(getattr(pos, 'shape', ()))}.")
    if not torch.isfinite(pos).all():
        raise ValueError("pos contains NaN or inf.")
    if metric is None:
        return None
    M = torch.as_tensor(metric, dtype=pos.dtype, device=pos.device)
    if M.shape != (pos.shape[1], pos.shape[1]):
        raise ValueError(f"metric must be ({pos.shape[1]}, {pos.shape[1]}); got {tuple(M.shape)}.")
    return M


def _sq_dist(a: torch.Tensor, b: torch.Tensor, M: torch.Tensor | None) -> torch.Tensor:
    """(|a_i − b_j|² or |(b_j − a_i)ᵀ M (b_j − a_i)|), shape (len(a), len(b)), from differences
    (not the |a|² + |b|² − 2ab expansion, which cancels badly for close points)."""
    diff = b[None, :, :] - a[:, None, :]
    if M is None:
        return (diff * diff).sum(-1)
    return torch.einsum("ijk,kl,ijl->ij", diff, M, diff).abs()


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
                 chunk_size: int = 512) -> torch.Tensor:
    """All pairs (j, i) in the same graph with distance ≤ r (edge_index (2, E), by target).

    ``loop``: include i → i. ``max_neighbors``: keep only the nearest that many sources per
    target. ``metric``: see the module docstring.

    >>> import torch
    >>> pos = torch.tensor([[0.0, 0.0], [0.5, 0.0], [3.0, 0.0]])
    >>> radius_graph(pos, r=1.0)                  # (source; target)
    tensor([[1, 0],
            [0, 1]])
    """
    M = _check_pos(pos, metric)
    if not r >= 0:
        raise ValueError(f"r must be non-negative; got {r!r}.")
    batch = check_batch(batch, pos.shape[0], pos.device)
    r2 = float(r) ** 2
    srcs, tgts = [], []
    for idx in _graphs(batch):
        p = pos[idx]
        for start in range(0, len(idx), chunk_size):
            d2 = _sq_dist(p[start:start + chunk_size], p, M)
            ok = d2 <= r2
            if not loop:
                rows = torch.arange(ok.shape[0], device=pos.device)
                ok[rows, rows + start] = False
            if max_neighbors is not None:
                d2 = d2.masked_fill(~ok, float("inf"))
                k = min(max_neighbors, d2.shape[1])
                vals, cols = torch.topk(d2, k, dim=1, largest=False)
                keep = torch.isfinite(vals)
                t = torch.arange(ok.shape[0], device=pos.device)[:, None].expand_as(cols)[keep]
                s = cols[keep]
            else:
                t, s = ok.nonzero(as_tuple=True)
            tgts.append(idx[t + start])
            srcs.append(idx[s])
    return _assemble(srcs, tgts, pos.device)


def knn_graph(pos: torch.Tensor, k: int, *, batch: torch.Tensor | None = None,
              loop: bool = False, metric=None, chunk_size: int = 512) -> torch.Tensor:
    """Each point i receives edges from its k nearest points j of the same graph (fewer when
    the graph has fewer points). Returns edge_index (2, E), sorted by target.

    >>> import torch
    >>> pos = torch.tensor([[0.0], [1.0], [3.0]])
    >>> knn_graph(pos, k=1)                       # (source; target): each point's nearest
    tensor([[1, 0, 1],
            [0, 1, 2]])
    """
    M = _check_pos(pos, metric)
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError(f"k must be a positive integer; got {k!r}.")
    batch = check_batch(batch, pos.shape[0], pos.device)
    srcs, tgts = [], []
    for idx in _graphs(batch):
        p = pos[idx]
        kk = min(k, len(idx) - (0 if loop else 1))
        if kk <= 0:
            continue
        for start in range(0, len(idx), chunk_size):
            d2 = _sq_dist(p[start:start + chunk_size], p, M)
            if not loop:
                rows = torch.arange(d2.shape[0], device=pos.device)
                d2[rows, rows + start] = float("inf")
            cols = torch.topk(d2, kk, dim=1, largest=False).indices
            t = torch.arange(d2.shape[0], device=pos.device)[:, None].expand_as(cols)
            tgts.append(idx[t.reshape(-1) + start])
            srcs.append(idx[cols.reshape(-1)])
    return _assemble(srcs, tgts, pos.device)


def _assemble(srcs, tgts, device) -> torch.Tensor:
    if not srcs:
        return torch.zeros(2, 0, dtype=torch.long, device=device)
    src, tgt = torch.cat(srcs), torch.cat(tgts)
    order = torch.argsort(tgt * (int(src.max()) + 1 if src.numel() else 1) + src, stable=True)
    return torch.stack([src[order], tgt[order]])

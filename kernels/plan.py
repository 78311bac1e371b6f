"""Per-graph work shared by every layer of a network that runs on one graph: :class:`EdgePlan`.

A stack of :class:`~kernels.PointConv` layers on the same points and edges repeats, per layer,
work that depends on the graph alone: the relative positions x_j − x_i, the in-degrees, the
degree buckets and their gather indices (:func:`bucket_layout`), and the geometric part of each
kernel's edge encoding (radial basis, invariant forms, x̂ and its symmetric powers: the same for
every kernel with the same encoder settings). An :class:`EdgePlan` computes each of these once,
on first use, and hands the same tensors to every layer. Results are identical to the layers'
own computation (the same operations on the same inputs); only the repetition goes.

Build one plan per forward pass (its tensors belong to that pass's autograd graph) and pass it
to every layer: ``conv(x, pos, edge_index, edge_attr, plan=plan)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .graph import check_edge_index

__all__ = ["EdgePlan", "BucketLayout", "bucket_layout", "EdgePairing", "edge_pairing"]


@dataclass(frozen=True)
class BucketLayout:
    """How the in-edges of every target are laid out as padded tables (see
    :func:`bucket_layout`). ``regular``: every node has ``width`` in-edges and the edges are in
    target order, so the tables are views. Otherwise ``rows[b]`` (count_b, width_b) indexes the
    hidden-feature table with one zero row appended (index E: padding), ``sources[b]`` the
    source rows (index n: padding, the zero row of an extended feature table), and ``order`` is
    the node order of the buckets' rows."""

    regular: bool
    width: int
    rows: tuple = ()
    sources: tuple = ()
    order: torch.Tensor | None = None


def bucket_layout(src: torch.Tensor, tgt: torch.Tensor, deg: torch.Tensor, n: int
                  ) -> BucketLayout:
    """Bucket the targets by in-degree (0, 1, 2, 3–4, 5–8, …) so that padding wastes less than
    half of each table; the in-edges of each target are gathered into its bucket's row.

    >>> import torch
    >>> src, tgt = torch.tensor([1, 2, 0]), torch.tensor([0, 0, 1])
    >>> lay = bucket_layout(src, tgt, torch.bincount(tgt, minlength=3), 3)
    >>> lay.regular, [s.tolist() for s in lay.sources], lay.order.tolist()
    (False, [[[3]], [[0]], [[1, 2]]], [2, 1, 0])
    """
    E = src.shape[0]
    max_deg = int(deg.max())
    sorted_ = E < 2 or bool((tgt[1:] >= tgt[:-1]).all())
    if sorted_ and E == n * max_deg:  # regular (k-NN, fully connected) in target order: views
        return BucketLayout(True, max_deg)
    # row e of the target-sorted edges is row perm[e] of the caller's; E is the zero row
    perm = (torch.arange(E, device=src.device) if sorted_
            else torch.argsort(tgt, stable=True))
    perm_ext = torch.cat([perm, perm.new_full((1,), E)])
    s_ext = torch.cat([src[perm], src.new_full((1,), n)])
    start = torch.cumsum(deg, 0) - deg
    bucket = torch.ceil(torch.log2(deg.clamp_min(1).double())).long() + (deg > 0).long()
    order = torch.argsort(bucket, stable=True)
    counts = torch.bincount(bucket, minlength=1).tolist()
    rows, sources, at = [], [], 0
    for b, count in enumerate(counts):
        if count == 0:
            continue
        nodes = order[at:at + count]
        at += count
        width = max(1, min(2 ** (b - 1), max_deg))  # isolated points: one padding slot
        k = torch.arange(width, device=src.device)
        idx = start[nodes, None] + k
        idx = torch.where(k < deg[nodes, None], idx, torch.full_like(idx, E))
        rows.append(perm_ext[idx])
        sources.append(s_ext[idx])
    return BucketLayout(False, max_deg, tuple(rows), tuple(sources), order)


@dataclass(frozen=True)
class EdgePairing:
    """A symmetric graph's edges in reverse pairs: ``rev`` (E,) the index of each edge's reverse,
    ``half`` (K,) one edge of each pair (source ≤ target; self-loops once), and ``index`` (E,)
    such that a per-edge quantity is ``cat([q_half, q_half_reversed])[index]``."""

    rev: torch.Tensor
    half: torch.Tensor
    index: torch.Tensor


def edge_pairing(src: torch.Tensor, tgt: torch.Tensor, n: int) -> EdgePairing | None:
    """The :class:`EdgePairing` of a graph, or None when an edge lacks its reverse or repeats.

    >>> import torch
    >>> p = edge_pairing(torch.tensor([0, 1, 2, 1]), torch.tensor([1, 0, 1, 2]), 3)
    >>> p.rev.tolist(), p.half.tolist(), p.index.tolist()
    ([1, 0, 3, 2], [0, 3], [0, 2, 3, 1])
    """
    E = src.shape[0]
    if E == 0:
        return None
    key, rkey = src * n + tgt, tgt * n + src
    skey, order = torch.sort(key)
    if bool((skey[1:] == skey[:-1]).any()):
        return None
    at = torch.searchsorted(skey, rkey).clamp_(max=E - 1)
    if not bool((skey[at] == rkey).all()):
        return None
    rev = order[at]
    keep = src <= tgt
    half = keep.nonzero().squeeze(1)
    slot = torch.full_like(src, -1)
    slot[half] = torch.arange(half.shape[0], device=src.device)
    index = torch.where(keep, slot, slot[rev] + half.shape[0])
    return EdgePairing(rev, half, index)


class EdgePlan:
    """The per-graph work of a point convolution, done once and shared by its layers (see the
    module docstring).

    ``EdgePlan(pos (N, d), edge_index (2, E) [source; target])``. Attributes: ``n``, ``src``,
    ``tgt``, ``rel`` (E, d) = pos[src] − pos[tgt]; ``deg`` (N,) and :meth:`layout` on first
    use; :meth:`geometric` per encoder setting.

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> from kernels import PointConv, knn_graph
    >>> G = SO(3)
    >>> pos = torch.randn(20, 3)
    >>> ei = knn_graph(pos, k=4)
    >>> plan = EdgePlan(pos, ei)
    >>> convs = [PointConv(G, Scalar + V(G), Scalar + V(G), cutoff=2.0) for _ in range(2)]
    >>> x = torch.randn(20, 4)
    >>> for conv in convs:
    ...     x = conv(x, pos, ei, plan=plan)
    >>> x.shape
    torch.Size([20, 4])
    """

    def __init__(self, pos: torch.Tensor, edge_index: torch.Tensor):
        if not isinstance(pos, torch.Tensor) or pos.ndim != 2:
            raise ValueError(f"pos must be a tensor of shape (N, d); got "
                             f"{tuple(getattr(pos, 'shape', ()))}.")
        self.pos, self.n = pos, pos.shape[0]
        self._given = edge_index
        self.edge_index = check_edge_index(edge_index, self.n)
        self.src, self.tgt = self.edge_index[0], self.edge_index[1]
        self.rel = pos.index_select(0, self.src) - pos.index_select(0, self.tgt)
        self._deg: torch.Tensor | None = None
        self._layout: BucketLayout | None = None
        self._geometric: dict = {}
        self._pairing_done = False
        self._pairing: EdgePairing | None = None

    def matches(self, pos: torch.Tensor, edge_index: torch.Tensor) -> bool:
        """Whether the plan was built from these very tensors (identity, not values: a check
        that costs nothing)."""
        return pos is self.pos and (edge_index is self._given or edge_index is self.edge_index)

    @property
    def deg(self) -> torch.Tensor:
        """In-degree of every node (N,)."""
        if self._deg is None:
            self._deg = torch.bincount(self.tgt, minlength=self.n)
        return self._deg

    def layout(self) -> BucketLayout:
        """:func:`bucket_layout` of the graph (computed once)."""
        if self._layout is None:
            self._layout = bucket_layout(self.src, self.tgt, self.deg, self.n)
        return self._layout

    def geometric(self, encoder, *, half: bool = False):
        """``encoder.geometric(rel)`` (:class:`~kernels.embedding.EdgeEncoder`), computed once
        per distinct encoder setting; with ``half``, of the edges ``pairing().half`` only."""
        key = (encoder.cache_key(), half)
        hit = self._geometric.get(key)
        if hit is None:
            rel = self.rel[self.pairing().half] if half else self.rel
            encoder._check_x(rel)
            hit = self._geometric[key] = encoder.geometric(rel)
        return hit

    def pairing(self) -> EdgePairing | None:
        """When every edge j → i has its reverse i → j (a symmetric graph without repeated
        edges: radius graphs, fully connected systems), the :class:`EdgePairing`; else None."""
        if not self._pairing_done:
            self._pairing = edge_pairing(self.src, self.tgt, self.n)
            self._pairing_done = True
        return self._pairing

    def __repr__(self) -> str:
        return f"EdgePlan(n={self.n}, edges={self.src.shape[0]})"

"""Steerable point convolution (message passing) with an implicit kernel.

    out_i = c · [ A_i Σ_{j → i} K(x_j − x_i, e_ij) f_j  +  S f_i + b ]

with K an :class:`~kernels.ImplicitKernel`, S an optional equivariant self-interaction (and
invariant bias b), A_i = 1 (``aggregation="sum"``, divided by sqrt(avg_degree) when given) or
1/deg_i (``"mean"``), and c = 1/√2 when both terms are present (so each contributes half the
variance). Only differences of positions enter, so the layer is translation invariant; it is
G-equivariant when positions and features are transformed together.

Memory: the per-edge kernel matrices (E · out · in numbers, 5,184 per edge for 72 → 72 fields)
are never formed. The kernel's last layer is bilinear, K(x) f = Σ_{h,i} W[o,h,i] h(x)_h f_i, so
the sum over the neighbours of i is taken *before* W is applied:

    T_i = Σ_{j → i} h(x_ij) ⊗ f_j   (N, H, in),      out_i = W · vec(T_i)   (one GEMM).

* ``method="padded"``: the targets are bucketed by degree (1, 2, 3–4, 5–8, …); in each
  bucket the neighbours are gathered into an (n_b, width_b) table and T is one batched matrix
  product; the outputs are put back in node order at the end. Padding at most doubles the edge
  storage, and regular graphs sorted by target (k-NN, fully connected systems) need no copy at
  all. Memory O(E · (H + in) + N · H · in).
* ``method="gathered"``: the same buckets, but T is never formed. With the two-stage
  contraction (:mod:`kernels.contract`), stage 1's basis is applied to the *source* features
  once per node, F_j = B(·, f_j), and each target sums h_ij · F_j over its in-edges in one
  batched product per hidden type; its result is stage 1's output directly. Per edge it
  gathers Σ |P|·a·X numbers instead of adding H · in to T: the cheaper path at small degrees
  (the N-body systems' 4 neighbours: 1.5× faster per training step than "padded").
* ``method="edge"``: the edge-side contraction (:mod:`kernels.edge_contract`): the
  Clebsch–Gordan part of W applied to every edge's h (one GEMM per input type), the source
  features contracted per target (one batched product), the coefficients last (one GEMM):
  no T, and fewer multiply-adds than the dense W on small graphs with many copies per type
  (an N-body layer: 29 against 42 million; 1.15× faster per training step).
* ``method="auto"`` (the default): on graphs large enough for the two-stage contraction,
  "gathered" when the widest bucket's width · (gathered numbers per edge) is at most H · in,
  else "padded" (one path for all buckets: the source tables cost a pass over all nodes, which
  a radius graph's few low-degree nodes do not repay); below that size, "edge" when it counts
  fewer multiply-adds than the dense W, else the dense W.
* ``method="scatter"``: T accumulates h ⊗ f over chunks of edges with ``index_add_``. Memory
  O(E · (H + in) + N · H · in + chunk · H · in); slower (about 4× on the benchmark), kept as an
  independent second implementation.

Autograd keeps h (E · H), the gathered features (E · in) and T (N · H · in): with the benchmark's
sizes (E = 32,000, N = 2,000, H = 80, in = out = 72) about 65 MB in float32, against 660 MB for
the per-edge kernels alone (bench/conv.py measures 180 MB peak for a whole forward+backward,
e3nn's tensor-product convolution 420 MB, the per-edge layout 1.4 GB).

Degenerate graphs: no edges, or isolated points, give a zero message (the output is then the
self-interaction term); coincident points (x = 0) use K(0), which is finite (see
:mod:`kernels.embedding`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from groupkit import Group, Rep, Scalar, solve
from groupkit.nn import EquivariantLinear
from groupkit.nn._checks import expected_degenerate

from .contract import bmm
from .graph import check_edge_index
from .kernel import ImplicitKernel
from .plan import BucketLayout, EdgePlan, bucket_layout

__all__ = ["PointConv", "CHUNK_ELEMENTS"]

METHODS = ("auto", "padded", "gathered", "scatter", "edge")
CHUNK_ELEMENTS = 2 ** 22  # per-chunk outer-product size of the scatter path (16 MB in float32)


class PointConv(nn.Module):
    """G-steerable point convolution rep_in → rep_out over positions in ``space``.

    Kernel options (``space``, ``edge_features``, ``hidden``, ``degree``, ``cutoff``,
    ``length_scale``, ``n_radial``, ``normalize``) are those of :class:`ImplicitKernel`.
    Layer options: ``aggregation`` ("sum" or "mean"), ``avg_degree`` (sum is divided by its
    square root), ``self_interaction``, ``bias`` (invariant part of rep_out), ``method``
    ("auto", "padded", "gathered", "scatter", "edge": see the module docstring; all give the
    same result), ``chunk_size`` (edges per scatter chunk), ``dtype``.

    ``forward(features (N, rep_in.size), pos (N, space.size), edge_index (2, E) long
    [source; target], edge_attr (E, edge_features) or None)`` → (N, rep_out.size).

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> from kernels import knn_graph
    >>> G = SO(3)
    >>> conv = PointConv(G, Scalar + V(G), V(G), cutoff=2.0)
    >>> pos = torch.randn(20, 3)
    >>> conv(torch.randn(20, 4), pos, knn_graph(pos, k=5)).shape
    torch.Size([20, 3])
    """

    def __init__(self, G: Group, rep_in: Rep, rep_out: Rep, *, space: Rep | None = None,
                 edge_features: int = 0, hidden=None, degree: int = 2,
                 cutoff: float | None = None, length_scale: float | None = None,
                 n_radial: int = 8, normalize: bool | None = None, aggregation: str = "sum",
                 avg_degree: float | None = None, self_interaction: bool = True,
                 bias: bool = True, method: str = "auto", chunk_size: int | None = None,
                 dtype: torch.dtype | None = None):
        super().__init__()
        self.kernel = ImplicitKernel(G, rep_in, rep_out, space=space,
                                     edge_features=edge_features, hidden=hidden, degree=degree,
                                     cutoff=cutoff, length_scale=length_scale,
                                     n_radial=n_radial, normalize=normalize, dtype=dtype)
        self.rep_in, self.rep_out, self.space = (self.kernel.rep_in, self.kernel.rep_out,
                                                 self.kernel.space)
        if aggregation not in ("sum", "mean"):
            raise ValueError(f"aggregation must be 'sum' or 'mean'; got {aggregation!r}.")
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
        if avg_degree is not None and not avg_degree > 0:
            raise ValueError(f"avg_degree must be positive; got {avg_degree!r}.")
        self.aggregation, self.method, self.chunk_size = aggregation, method, chunk_size
        self.avg_degree = avg_degree
        with expected_degenerate():  # an empty self-interaction is fine: the kernel carries
            self.self_interaction = (EquivariantLinear(self.rep_in, self.rep_out, bias=bias,
                                                       dtype=dtype)
                                     if self_interaction else None)
        self.bias = None
        if bias and not self_interaction:
            Q = solve(Scalar, self.rep_out).dense()  # (out, k): the invariant vectors
            if Q.shape[1]:
                self.register_buffer("bias_basis", torch.as_tensor(Q), persistent=False)
                self.bias = nn.Parameter(torch.zeros(Q.shape[1], dtype=dtype))
        self.scale = 1 / math.sqrt(2) if self_interaction else 1.0

    # -- checks -------------------------------------------------------------------------------
    def _check(self, features, pos, edge_index, edge_attr, plan=None):
        if not isinstance(features, torch.Tensor) or features.ndim != 2 \
                or features.shape[1] != self.rep_in.size:
            raise ValueError(f"features must have shape (N, {self.rep_in.size}) (rep_in = "
                             f"{self.rep_in}); got {tuple(getattr(features, 'shape', ()))}.")
        n = features.shape[0]
        if not isinstance(pos, torch.Tensor) or pos.shape != (n, self.space.size):
            raise ValueError(
                f"pos must have shape ({n}, {self.space.size}): one point of {self.space} (a "
                f"{self.space.size}-dimensional space of {self.kernel.group}) per feature row; "
                f"got {tuple(getattr(pos, 'shape', ()))}.")
        p = self.kernel.bilinear.weight
        for name, t in (("features", features), ("pos", pos)):
            if t.dtype != p.dtype:
                raise TypeError(f"PointConv: {name} has dtype {t.dtype} but the layer has "
                                f"{p.dtype}; convert with .to({p.dtype}) or layer.to({t.dtype}).")
            if t.device != p.device:
                raise ValueError(f"PointConv: {name} is on {t.device} but the layer is on "
                                 f"{p.device}.")
        if plan is None:
            edge_index = check_edge_index(edge_index, n)
        elif not isinstance(plan, EdgePlan) or not plan.matches(pos, edge_index):
            raise ValueError("plan must be an EdgePlan built from these very pos and edge_index "
                             "tensors (EdgePlan(pos, edge_index)); build one per forward pass.")
        else:
            edge_index = plan.edge_index
        if edge_attr is not None and (edge_attr.ndim != 2
                                      or edge_attr.shape[0] != edge_index.shape[1]):
            raise ValueError(f"edge_attr must have shape (E, edge_features) with E = "
                             f"{edge_index.shape[1]}; got {tuple(edge_attr.shape)}.")
        return edge_index

    # -- aggregation --------------------------------------------------------------------------
    @staticmethod
    def _buckets(h, src, layout: BucketLayout, n):
        """The targets' in-edges as padded tables, one per degree bucket of ``layout``:
        [(hp (count, w, H), sp (count, w))] with sp the source rows (n where a slot is padding:
        the zero row of an extended feature table), and the node order the buckets are in
        (None: the nodes' own order, no padding)."""
        if layout.regular:  # in target order, every node of degree w: views
            w = layout.width
            return [(h.view(n, w, h.shape[1]), src.view(n, w))], None
        h_ext = torch.cat([h, h.new_zeros(1, h.shape[1])])
        return [(h_ext[rows], sp) for rows, sp in zip(layout.rows, layout.sources)], \
            layout.order

    def _gathered(self, width: int, n: int | None = None) -> bool:
        """Whether a bucket of this width takes the source-side stage 1 (no T) in a layer call
        on n nodes: when the two-stage contraction is used and the gathered per-edge tables
        are no larger than T."""
        bil = self.kernel.bilinear
        two_stage = bil.two_stage if n is None else bil.uses_two_stage(n)
        if self.method == "padded" or not two_stage:
            return False
        if self.method == "gathered":
            return True
        return width * bil.contraction.gathered_size() <= bil.rep_h.size * bil.rep_in.size

    def _edge_side(self, tables, n: int) -> bool:
        """Whether the edge-side contraction (:mod:`kernels.edge_contract`) replaces the dense W
        on these bucket tables: always for ``method="edge"``; for "auto" when it counts fewer
        multiply-adds (small graphs, where the two-stage contraction is not used)."""
        if self.method == "edge":
            return True
        if self.method != "auto":
            return False
        bil = self.kernel.bilinear
        edges = sum(hp.shape[0] * hp.shape[1] for hp, _ in tables)
        dense = edges * bil.rep_h.size * bil.rep_in.size \
            + n * bil.rep_out.size * bil.rep_h.size * bil.rep_in.size
        return bil.edge_side_cost(n, edges) < dense

    def _padded(self, h, features, src, layout, n, two_stage=None):
        """out (N', rep_out.size) and the node order its rows are in (None: the nodes' own)."""
        bil = self.kernel.bilinear
        tables, order = self._buckets(h, src, layout, n)
        f_ext = features if order is None else torch.cat([features,
                                                          features.new_zeros(1, features.shape[1])])
        if two_stage is None:
            two_stage = bil.uses_two_stage(n)
        if not two_stage and self._edge_side(tables, n):
            E = bil.edge_side()
            parts, weights = E.sources(f_ext), E.weights(bil.weight)
            outs = [E(hp, sp, parts, weights) for hp, sp in tables]
            return (outs[0] if len(outs) == 1 else torch.cat(outs)), order
        if not two_stage:  # the dense GEMM with W on T
            Ts = [bmm(hp.transpose(1, 2), f_ext[sp]) for hp, sp in tables]
            return bil.apply_dense(Ts[0] if len(Ts) == 1 else torch.cat(Ts)), order
        C = bil.contraction
        # One path for all buckets: the source tables cost a pass over every node, which only
        # pays when all targets use them (a radius graph's few low-degree nodes do not).
        gathered = self._gathered(max(hp.shape[1] for hp, _ in tables), n)
        src_tables = C.source_tables(f_ext) if gathered else None
        outs = []
        for hp, sp in tables:
            if gathered:
                Y = C.stage1_gathered(hp, src_tables, sp)
            else:
                fp = f_ext[sp]
                Y = C.stage1([bmm(x.transpose(1, 2), fp)
                              for x in hp.split(C.row_block_sizes(), dim=2)])
            # stage 2 per bucket: concatenating outputs (N · out) instead of the buckets' Y
            # (N · Σ c·a·X, often as large as T) saves a full copy of Y and its gradient
            outs.append(C.stage2(Y, bil.weight))
        return (outs[0] if len(outs) == 1 else torch.cat(outs)), order

    def _scatter(self, h, features, src, tgt, n):
        E, H = h.shape
        c_in = features.shape[1]
        T = h.new_zeros(n, H * c_in)
        chunk = self.chunk_size or max(1, CHUNK_ELEMENTS // max(H * c_in, 1))
        for a in range(0, E, chunk):
            outer = h[a:a + chunk, :, None] * features[src[a:a + chunk]][:, None, :]
            T.index_add_(0, tgt[a:a + chunk], outer.reshape(-1, H * c_in))
        return T.reshape(n, H, c_in)

    def message(self, features, pos, edge_index, edge_attr=None, *,
                plan: EdgePlan | None = None) -> torch.Tensor:
        """A_i Σ_{j → i} K(x_j − x_i, e_ij) f_j, shape (N, rep_out.size). ``plan``: an
        :class:`~kernels.plan.EdgePlan` built from these ``pos`` and ``edge_index``."""
        n, E = features.shape[0], edge_index.shape[1]
        if E == 0:
            return features.new_zeros(n, self.rep_out.size) + 0 * self.kernel.bilinear.weight.sum()
        if plan is None:
            src, tgt = edge_index[0], edge_index[1]
            # index_select: its backward is one index_add (advanced indexing's is a slow index_put)
            rel = pos.index_select(0, src) - pos.index_select(0, tgt)
            h = self.kernel.hidden_features(rel, edge_attr)  # (E, H)
            deg = torch.bincount(tgt, minlength=n)
        else:
            src, tgt, deg = plan.src, plan.tgt, plan.deg
            if isinstance(self.kernel, ImplicitKernel):
                h = self.kernel.hidden_features(plan.rel, edge_attr, plan=plan)
            else:  # kernels with their own encoding take the shared relative positions
                h = self.kernel.hidden_features(plan.rel, edge_attr)
        bil = self.kernel.bilinear
        two_stage = bil.uses_two_stage(n) and self.method != "edge"
        if two_stage:  # the two-stage contraction takes type-major coordinates
            C = bil.contraction
            h, features = h.index_select(1, C.perm_h), features.index_select(1, C.perm_in)
        order = None
        if self.method == "scatter":
            T = self._scatter(h, features, src, tgt, n)
            out = bil.contraction(T, bil.weight) if two_stage else bil.apply_dense(T)
        else:
            layout = bucket_layout(src, tgt, deg, n) if plan is None else plan.layout()
            out, order = self._padded(h, features, src, layout, n, two_stage)
        if order is not None:  # rows of T were in bucket order
            inv = torch.empty_like(order)
            inv[order] = torch.arange(n, device=order.device)
            out = out.index_select(0, inv)
        if self.aggregation == "mean":
            out = out / deg.clamp_min(1).to(out.dtype)[:, None]
        elif self.avg_degree is not None:
            out = out / math.sqrt(self.avg_degree)
        return out

    def forward(self, features: torch.Tensor, pos: torch.Tensor, edge_index: torch.Tensor,
                edge_attr: torch.Tensor | None = None, *,
                plan: EdgePlan | None = None) -> torch.Tensor:
        """``plan`` (optional): an :class:`~kernels.plan.EdgePlan` built from these very
        ``pos`` and ``edge_index``; the per-graph work is then shared with the other layers
        given the same plan (same result)."""
        edge_index = self._check(features, pos, edge_index, edge_attr, plan)
        out = self.message(features, pos, edge_index, edge_attr, plan=plan)
        if self.self_interaction is not None:
            out = out + self.self_interaction(features)
        elif self.bias is not None:
            out = out + self.bias_basis.to(out.dtype) @ self.bias
        return out * self.scale

    def extra_repr(self) -> str:
        return (f"{self.rep_in} → {self.rep_out}, aggregation={self.aggregation}, "
                f"method={self.method}")

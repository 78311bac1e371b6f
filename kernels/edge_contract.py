"""The kernel's last layer applied edge-side: for small graphs, fewer multiply-adds than dense W.

A point convolution computes out_i = Σ_{e → i} B(h_e, f_src(e)) with B = Σ θ ⊗ Q the kernel's
bilinear last layer (:mod:`kernels.bilinear`). Below a few hundred nodes the two-stage
contraction (:mod:`kernels.contract`) costs more in operations than it saves, and PointConv
applies the dense W (out, H, in) to T_i = Σ_e h_e ⊗ f_e: N·out·H·in multiply-adds (38 million
for an N-body layer, 40 → 48 fields over a 40-dim hidden layer, on 500 nodes). This module
splits B differently, per input type R (a copies of an R-dimensional summand):

1. the Clebsch–Gordan part on the hidden features of every edge, one GEMM per R:
   hB_e[r, (g, c, k, s)] = Σ_p h_e[c, p] Q_k[s, p, r]   for every triple g = (S, P, R);
2. the contraction with the source features, one batched product per R over each target's
   in-edges: Z_i[a, (g, c, k, s)] = Σ_{e → i, r} f_src(e)[a, r] hB_e[r, (g, c, k, s)];
3. the coefficients, one GEMM per R with the (a · rows, out) matrix Θ_R holding
   θ[b, c, a, k] at (a, (g, c, k, s)), (b, s) — one gather of θ: out_i = Σ_R Z_i Θ_R.

Costs E·H·Σ_R |R|·rows_R + E·Σ_R |R|·rows_R·a + N·Σ_R a·rows_R·out multiply-adds (29 million
on the N-body layer) in about a dozen operations, and never forms T (N·H·in numbers). Θ_R and
the first GEMM's matrix keep zeros where copies do not mix (c ≠ c′ in step 1, s ≠ s′ in step
3): those dense products are faster than the sparse ones they replace. PointConv takes this
path (``method="edge"``, or ``"auto"`` when it counts fewer multiply-adds than the dense W).
"""

from __future__ import annotations

import numpy as np
import torch

from groupkit.nn._assemble import MasteredBuffers

from .contract import TwoStageContraction, bmm

__all__ = ["EdgeSideContraction", "edge_side_shapes", "edge_side_cost"]


def _groups(C: TwoStageContraction) -> dict[int, list]:
    """Per input type R, the triples (i_p, basis name, column offset, k, i_s, slot) through it."""
    groups: dict[int, list] = {}
    for i_p, i_r, name, outs in C.pairs:
        for i_s, col, k, slot in outs:
            groups.setdefault(i_r, []).append((i_p, name, col, k, i_s, slot))
    return groups


def edge_side_shapes(C: TwoStageContraction) -> list[tuple[int, int, int, int]]:
    """(i_r, a, r, rows) per input type R with a triple: rows = Σ c·k·|S| over its triples."""
    out = []
    for i_r, items in sorted(_groups(C).items()):
        _, a, r = C.in_spans[i_r]
        out.append((i_r, a, r, sum(C.h_spans[i_p][1] * k * C.out_spans[i_s][2]
                                   for i_p, _, _, k, i_s, _ in items)))
    return out


def edge_side_cost(shapes, n_h: int, n_out: int, n: int, edges: int) -> int:
    """Multiply-adds of :class:`EdgeSideContraction` for n targets with ``edges`` (padded)
    in-edges in all, from :func:`edge_side_shapes` (without building the tables)."""
    return sum(edges * r * rows * (n_h + a) + n * a * rows * n_out for _, a, r, rows in shapes)


class EdgeSideContraction(MasteredBuffers):
    """out (n, rep_out.size) = Σ over each target's (padded) in-edges of B(h_e, f_src(e)), in
    the representations' own coordinates, from θ; built from a
    :class:`~kernels.contract.TwoStageContraction`'s tables (see the module docstring).

    ``n_h``, ``n_in``, ``n_out``: the sizes of rep_h, rep_in, rep_out; ``dim``: len(θ).
    :meth:`~kernels.bilinear.BilinearWeight.edge_side` builds one for a layer.

    >>> import torch
    >>> from groupkit import O, V, Scalar
    >>> from kernels.bilinear import BilinearWeight
    >>> G = O(3)
    >>> bil = BilinearWeight(2 * Scalar + V(G), 3 * Scalar + 2 * V(G), Scalar + V(G),
    ...                      dtype=torch.float64)
    >>> E = bil.edge_side()
    >>> hp = torch.randn(6, 4, 5, dtype=torch.float64)        # 6 targets, 4 in-edges each
    >>> f = torch.randn(10, 9, dtype=torch.float64)           # 10 source nodes
    >>> sp = torch.randint(0, 10, (6, 4))
    >>> out = E(hp, sp, E.sources(f), E.weights(bil.weight))
    >>> dense = torch.einsum("ohi,nwh,nwi->no", bil(), hp, f[sp])
    >>> bool(torch.allclose(out, dense))
    True
    """

    def __init__(self, C: TwoStageContraction, n_h: int, n_in: int, n_out: int, dim: int, *,
                 dtype=None, device=None):
        super().__init__()
        dtype = dtype or torch.get_default_dtype()
        perm_h, perm_in, perm_out = C._perm_arrays
        self.n_h, self.n_out, self.dim = n_h, n_out, dim
        groups = _groups(C)
        self.inputs = []  # (i_r, a, r, rows)
        for i_r, a, r, rows in edge_side_shapes(C):
            s_in = C.in_spans[i_r][0]
            M = np.zeros((n_h, r, rows))
            table = np.full((a, rows, n_out), dim, dtype=np.int64)  # dim: θ's appended zero
            row0 = 0
            for i_p, name, col, k, i_s, slot in groups[i_r]:
                B = C._masters[name]
                h0, c, p = C.h_spans[i_p]
                o0, b, S = C.out_spans[i_s]
                start = C._pieces[i_s][slot][0]
                Bk = B.reshape(p, r, -1)[:, :, col:col + k * S]  # (p, r, (k, s))
                for cc in range(c):  # rows (c, k, s) of this triple
                    h_rows = perm_h[h0 + cc * p + np.arange(p)]
                    M[h_rows, :, row0 + cc * k * S:row0 + (cc + 1) * k * S] = Bk
                A_, C_, K_, S_, B_ = np.ix_(np.arange(a), np.arange(c), np.arange(k),
                                            np.arange(S), np.arange(b))
                row = row0 + (C_ * k + K_) * S + S_
                table[A_, row, perm_out[o0 + B_ * S + S_]] = \
                    start + ((B_ * c + C_) * a + A_) * k + K_
                row0 += c * k * S
            # f's coordinates of this type in (r, a) order: the batched product's operand
            f_idx = perm_in[s_in + np.arange(a)[None, :] * r + np.arange(r)[:, None]].ravel()
            self._register_master(f"edge_basis{i_r}", M.reshape(n_h, r * rows), dtype, device)
            self.register_buffer(f"theta_table{i_r}", torch.as_tensor(table.ravel(),
                                                                      device=device),
                                 persistent=False)
            self.register_buffer(f"f_index{i_r}", torch.as_tensor(f_idx, device=device),
                                 persistent=False)
            self.inputs.append((i_r, a, r, rows))

    def weights(self, theta: torch.Tensor) -> list[torch.Tensor]:
        """Θ_R (a·rows, out) per input type: one gather of θ each (zeros where no θ lands)."""
        ext = torch.cat([theta, theta.new_zeros(1)])
        return [ext.index_select(0, getattr(self, f"theta_table{i_r}")).view(a * rows,
                                                                              self.n_out)
                for i_r, a, _, rows in self.inputs]

    def sources(self, f: torch.Tensor) -> list[torch.Tensor]:
        """Per input type, f's coordinates in (r, a) order (N, r·a)."""
        return [f.index_select(1, getattr(self, f"f_index{i_r}")) for i_r, *_ in self.inputs]

    def forward(self, hp: torch.Tensor, sp: torch.Tensor, sources, weights) -> torch.Tensor:
        """hp (n, w, H) hidden features of each target's w (padded) in-edges, sp (n, w) their
        source rows into :meth:`sources`' tables, ``weights`` from :meth:`weights` →
        (n, rep_out.size)."""
        n, w, H = hp.shape
        h2 = hp.reshape(n * w, H)
        idx = sp.reshape(-1)
        out = None
        for (i_r, a, r, rows), fr, Th in zip(self.inputs, sources, weights):
            hB = (h2 @ getattr(self, f"edge_basis{i_r}").to(h2.dtype)).view(n, w * r, rows)
            fs = fr.index_select(0, idx).view(n, w * r, a)
            # (n, a, rows): the wide side last, where CPU bmm is fastest
            Z = bmm(fs.transpose(1, 2), hB).reshape(n, a * rows)
            out = Z @ Th if out is None else torch.addmm(out, Z, Th)
        if out is None:  # no input type reaches the output
            return hp.new_zeros(n, self.n_out)
        return out

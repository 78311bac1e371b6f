"""The last layer of an implicit kernel: an equivariant bilinear map B: H × rep_in → rep_out.

The kernel is linear in the MLP's last hidden features h: K(x) = L h(x) with L an equivariant
linear map H → Hom(rep_in, rep_out) = rep_out ⊗ rep_in*. Equivalently K(x) f = B(h(x), f) with
B ∈ Hom(H ⊗ rep_in, rep_out). :class:`BilinearWeight` holds B as one small basis per distinct
triple of summands (P of H, R of rep_in, S of rep_out) — the solver's Hom(P ⊗ R, S) — with one
learnable coefficient per basis element and per copy of P, R and S, and assembles the dense
tensor W (rep_out.size, H.size, rep_in.size), so that

    K(x)[o, i] = Σ_h W[o, h, i] h[h],        B(h, f)[o] = Σ_{h,i} W[o, h, i] h[h] f[i].

W is assembled in one operation: the non-zero entries of every triple's basis, flattened once at
construction, make W one gather of θ and one scatter-add (:class:`groupkit.nn._assemble.
CooOperator`), whatever the number of triples; only when those entries would far outnumber W's
does it fall back to one einsum per triple and one index_put.

Solving triples of summands keeps every solve small (a 72 → 72 SO(3) layer over an 80-dim H is
27 solves of at most 5·5·5 unknowns), instead of one solve of the 5,184 × 80 Hom space.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from groupkit import Rep, solve, tensor
from groupkit.nn._fingerprint import attach_fingerprint
from groupkit.nn._assemble import AssemblyCache, CooOperator
from groupkit.solver import _summand_table

from .contract import TwoStageContraction
from .edge_contract import EdgeSideContraction, edge_side_cost, edge_side_shapes

__all__ = ["BilinearWeight"]

# One-operation (sparse) assembly while the triples' bases have at most this many non-zero
# entries per entry of W (plus a constant); beyond, the per-triple einsums store less.
_SPARSE_FILL = 8
# Multiply-adds one operation of the two-stage contraction costs in time (forward and backward,
# measured on the N-body benchmark's layers: the crossover with the dense GEMM lies between
# 33 and 66 million multiply-adds saved for 12 operations).
TWO_STAGE_OP_COST = 4_000_000


def _copies_index(offsets: list[int], size: int) -> np.ndarray:
    """Coordinates (copies, size) of every copy of a summand."""
    return np.asarray(offsets)[:, None] + np.arange(size)[None, :]


class BilinearWeight(nn.Module):
    """Learnable equivariant W (rep_out.size, rep_h.size, rep_in.size); see the module docstring.

    ``forward()`` returns W; ``dim`` is the number of coefficients. ``state_dict`` holds only the
    coefficients ``weight`` (dim,); the bases are non-persistent buffers.
    """

    def __init__(self, rep_h: Rep, rep_in: Rep, rep_out: Rep, *,
                 dtype: torch.dtype | None = None):
        super().__init__()
        self.rep_h, self.rep_in, self.rep_out = rep_h, rep_in, rep_out
        self._specs: list[tuple[int, int, tuple[int, int, int, int]]] = []
        dtype = dtype or torch.get_default_dtype()
        n_h, n_in = rep_h.size, rep_in.size
        triples, dim, nnz = [], 0, 0
        typed = []  # (Q4, i_s, i_p, i_r, start) for the two-stage contraction
        for i_s, (S, s_off) in enumerate(_summand_table(rep_out)):
            for i_p, (P, p_off) in enumerate(_summand_table(rep_h)):
                for i_r, (R, r_off) in enumerate(_summand_table(rep_in)):
                    Q = solve(tensor(P, R), S).dense()  # (S·P·R, k), orthonormal columns
                    k = Q.shape[1]
                    if k == 0:
                        continue
                    if np.iscomplexobj(Q):
                        raise ValueError("implicit kernels support real groups only.")
                    Q4 = Q.reshape(S.size, P.size, R.size, k)
                    shape = (len(s_off), len(p_off), len(r_off), k)
                    triples.append((Q4, s_off, p_off, r_off, dim, shape))
                    typed.append((Q4, i_s, i_p, i_r, dim))
                    nnz += int(np.count_nonzero(Q4)) * math.prod(shape[:3])
                    dim += math.prod(shape)
        self.dim = dim
        size = rep_out.size * n_h * n_in
        self.mode = "sparse" if nnz <= _SPARSE_FILL * size + (1 << 16) else "triples"
        if self.mode == "sparse":
            rows, cols, vals = [], [], []
            for Q4, s_off, p_off, r_off, start, (b, c, a, k) in triples:
                s, p, r, kk = np.nonzero(Q4)
                o = _copies_index(s_off, Q4.shape[0])[:, s]  # (b, nnz): rows of W
                h = _copies_index(p_off, Q4.shape[1])[:, p]  # (c, nnz)
                i = _copies_index(r_off, Q4.shape[2])[:, r]  # (a, nnz)
                rows.append(((o[:, None, None] * n_h + h[None, :, None]) * n_in
                             + i[None, None, :]).ravel())
                copy = np.arange(b * c * a).reshape(b, c, a)[..., None]
                cols.append((start + copy * k + kk).ravel())
                vals.append(np.broadcast_to(Q4[s, p, r, kk], (b, c, a, len(s))).ravel())
            cat = (lambda xs, t: np.concatenate(xs) if xs else np.zeros(0, t))  # noqa: E731
            self.assembly = CooOperator(cat(rows, np.int64), cat(cols, np.int64),
                                        cat(vals, np.float64), size, dim, dtype=dtype)
        else:
            for i, (Q4, s_off, p_off, r_off, start, shape) in enumerate(triples):
                self.register_buffer(f"Q{i}", torch.as_tensor(Q4), persistent=False)
                # Flat positions in W of this triple's entries, in the einsum's
                # (b, s, c, p, a, r) order, so forward needs one index_put for all triples.
                o = _copies_index(s_off, Q4.shape[0])[:, :, None, None, None, None]
                h = _copies_index(p_off, Q4.shape[1])[None, None, :, :, None, None]
                r = _copies_index(r_off, Q4.shape[2])[None, None, None, None, :, :]
                pos = (o * n_h + h) * n_in + r
                self.register_buffer(f"pos{i}", torch.as_tensor(pos.ravel()), persistent=False)
                self._specs.append((i, start, shape))
        self.contraction = TwoStageContraction(rep_h, rep_in, rep_out, typed, dtype=dtype)
        # The two stages pay for their extra operations once they save half the multiply-adds
        # and, per call, enough of them in all to outweigh their operation count: the dense GEMM
        # is one operation, the two stages a few per (P, R) pair, per piece and per output type.
        # On a small graph (an N-body batch: 500 nodes, a 40 → 48 layer) the dense GEMM wins.
        C = self.contraction
        self.two_stage = 2 * C.flops <= C.dense_flops
        n_ops = len(C.pairs) + sum(len(outs) for *_, outs in C.pairs) + len(C.outs)
        saving = max(C.dense_flops - C.flops, 1)
        self.min_two_stage_nodes = math.ceil(TWO_STAGE_OP_COST * n_ops / saving)
        self._cache = AssemblyCache()
        self._edge_sides: dict = {}  # (dtype, device) → EdgeSideContraction; not a submodule
        self._edge_side_shapes = None
        self.weight = nn.Parameter(torch.empty(dim, dtype=dtype))
        self.reset_parameters()
        attach_fingerprint(self)  # state dicts carry (and check) the basis they were saved with

    def reset_parameters(self) -> None:
        """θ ~ N(0, rep_out.size / dim): ‖W‖_F² ≈ rep_out.size, as in EquivariantLinear."""
        with torch.no_grad():
            self.weight.normal_(0.0, math.sqrt(self.rep_out.size / max(self.dim, 1)))

    def forward(self) -> torch.Tensor:
        return self._cache.get("W", self.weight, self._assemble)

    def _apply(self, fn, *args, **kwargs):
        self._cache.clear()
        return super()._apply(fn, *args, **kwargs)

    def uses_two_stage(self, n: int) -> bool:
        """Whether a contraction over n rows should take the two stages: when they save half the
        multiply-adds (:attr:`two_stage`) and n ≥ :attr:`min_two_stage_nodes` (below, the
        dense GEMM's single operation is faster). :class:`~kernels.PointConv` decides with it
        per call; :meth:`apply` follows :attr:`two_stage` alone."""
        return self.two_stage and n >= self.min_two_stage_nodes

    def edge_side(self):
        """The :class:`~kernels.edge_contract.EdgeSideContraction` of this layer, built on first
        use (its tables are only worth their memory on small graphs) and rebuilt after a
        change of the coefficients' dtype or device."""
        key = (self.weight.dtype, self.weight.device)
        hit = self._edge_sides.get(key)
        if hit is None:
            hit = EdgeSideContraction(self.contraction, self.rep_h.size, self.rep_in.size,
                                      self.rep_out.size, self.dim, dtype=key[0], device=key[1])
            self._edge_sides = {key: hit}
        return hit

    def edge_side_cost(self, n: int, edges: int) -> int:
        """Multiply-adds of :meth:`edge_side` on n targets with ``edges`` (padded) in-edges."""
        if self._edge_side_shapes is None:
            self._edge_side_shapes = edge_side_shapes(self.contraction)
        return edge_side_cost(self._edge_side_shapes, self.rep_h.size, self.rep_out.size, n,
                              edges)

    def input_permutations(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """(perm_h, perm_in) that :meth:`apply` expects T's axes in (type-major), or None when
        it takes them in the representations' own order."""
        if not self.two_stage:
            return None
        return self.contraction.perm_h, self.contraction.perm_in

    def apply(self, T: torch.Tensor) -> torch.Tensor:
        """out (N, rep_out.size) with out[n, o] = Σ_{h,i} W[o, h, i] T[n, h, i], for T (N, H, in)
        with axes permuted by :meth:`input_permutations` (when not None). Uses the two-stage
        contraction (:mod:`kernels.contract`) when it is cheaper (:attr:`two_stage`), else one
        GEMM with W (:meth:`apply_dense`)."""
        if self.two_stage:
            return self.contraction(T, self.weight)
        return self.apply_dense(T)

    def apply_dense(self, T: torch.Tensor) -> torch.Tensor:
        """The same as :meth:`apply` with one GEMM with the dense W, for T (N, H, in) (or its
        row blocks) in the representations' own order."""
        if not isinstance(T, torch.Tensor):
            T = torch.cat(list(T), dim=1)
        W = self()
        return T.reshape(T.shape[0], -1) @ W.reshape(W.shape[0], -1).T

    def _assemble(self) -> torch.Tensor:
        theta = self.weight
        if self.mode == "sparse":
            return self.assembly(theta).view(self.rep_out.size, self.rep_h.size,
                                             self.rep_in.size)
        vals, positions = [], []
        for i, start, (b, c, a, k) in self._specs:
            th = theta[start:start + b * c * a * k].reshape(b, c, a, k)
            Q = getattr(self, f"Q{i}").to(theta.dtype)
            vals.append(torch.einsum("sprk,bcak->bscpar", Q, th).reshape(-1))
            positions.append(getattr(self, f"pos{i}"))
        W = theta.new_zeros(self.rep_out.size * self.rep_h.size * self.rep_in.size)
        if vals:
            # Different triples write disjoint entries, so plain assignment is exact.
            W = W.index_put((torch.cat(positions),), torch.cat(vals))
        return W.reshape(self.rep_out.size, self.rep_h.size, self.rep_in.size)

    def extra_repr(self) -> str:
        return f"{self.rep_h} × {self.rep_in} → {self.rep_out}, dim={self.dim}"

"""Applying the kernel's last layer to aggregated features without its dense tensor.

A point convolution ends with out_i = W · vec(T_i), T_i = Σ_j h(x_ij) ⊗ f_j (N, H, in), and the
dense W (out, H, in) makes that one GEMM of N·out·H·in multiply-adds. But W is
Σ_triples Σ_k θ[b, c, a, k] Q_k[s, p, r] over triples of summand types (S of rep_out, P of the
hidden features, R of rep_in) with b, c, a copies: most of its entries repeat the same few
basis maps across copies. Contracting in two stages,

    U[c, a, k, s] = Σ_{p, r} Q_k[s, p, r] T[c, p, a, r]         (one matmul per pair (P, R))
    out[b, s]     = Σ_{c, a, k} θ[b, c, a, k] U[c, a, k, s]     (one matmul per output type S)

costs N·Σ c·a·|P||R|·Σ_S k_S|S| + N·Σ_S |S|·b·Σ c·a·k — typically 5–10× fewer than the dense
GEMM when types have several copies (the saving is b/k in the first stage). Both stages are a
dozen matmuls per layer whatever the number of triples (types are grouped by input pair and by
output type), on the T of type-major hidden and input coordinates.

On small degrees T itself is the waste (N·H·in numbers from E·(H + in) inputs: 6,400 per node
from 4 neighbours on the N-body systems). :meth:`TwoStageContraction.stage1_gathered` computes
stage 1's output without it: the basis is applied to the *source* features once per node,
F_j[p, (a, x)] = Σ_r f_j[a, r] B[(p, r), x] (one GEMM per input type), and each target sums
h_ij[c, p] F_j[p, (a, x)] over its in-edges and p in one batched product per hidden type.

:class:`TwoStageContraction` holds the index tables; :class:`~kernels.bilinear.BilinearWeight`
builds one and :class:`~kernels.PointConv` uses it when it saves half the dense GEMM's
multiply-adds and, on the call's N nodes, enough of them to pay for its extra operations.
"""

from __future__ import annotations

import numpy as np
import torch

from groupkit.nn._assemble import MasteredBuffers
from groupkit.solver import _summand_table

__all__ = ["TwoStageContraction", "bmm"]


class _Bmm(torch.autograd.Function):
    """torch.bmm whose backward computes each gradient in the orientation with the wider output:
    a point convolution's neighbourhood products have a short side (the degree, 4 on the N-body
    systems), and CPU bmm is several times slower when that side is the output's last axis
    ((500, 40, 40) @ (500, 40, 4): 0.74 ms, against 0.17 ms for the same product computed as
    (500, 4, 40) @ (500, 40, 40) and read transposed). Operands stay views: copying them to
    contiguous memory first cost more than it saved (1.7× slower on the N-body layers, 1.1–2×
    on the k-NN benchmark's)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return torch.bmm(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = gb = None
        gt = g.transpose(1, 2)
        if ctx.needs_input_grad[0]:  # ga (n, i, k) = g (n, i, j) @ bᵀ (n, j, k)
            ga = (torch.bmm(b, gt).transpose(1, 2) if a.shape[2] < a.shape[1]
                  else torch.bmm(g, b.transpose(1, 2)))
        if ctx.needs_input_grad[1]:  # gb (n, k, j) = aᵀ (n, k, i) @ g (n, i, j)
            gb = (torch.bmm(gt, a).transpose(1, 2) if b.shape[2] < b.shape[1]
                  else torch.bmm(a.transpose(1, 2), g))
        return ga, gb


def bmm(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a (n, i, k) @ b (n, k, j) per batch, with a backward that picks the faster orientation
    for each gradient (see :class:`_Bmm`). Same values as torch.bmm.

    >>> a, b = torch.randn(3, 2, 4), torch.randn(3, 4, 5)
    >>> torch.equal(bmm(a, b), torch.bmm(a, b))
    True
    """
    return _Bmm.apply(a, b)


def _type_major(rep) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """perm (x[..., perm] is type-major) and, per type, (start, copies, size) in that order."""
    perm, spans, pos = [], [], 0
    for R, offs in _summand_table(rep):
        idx = (np.asarray(offs)[:, None] + np.arange(R.size)[None, :]).ravel()
        perm.append(idx)
        spans.append((pos, len(offs), R.size))
        pos += idx.size
    return (np.concatenate(perm) if perm else np.zeros(0, np.int64)), spans


class TwoStageContraction(MasteredBuffers):
    """out (N, rep_out.size) = W · vec(T) for T (N, H, in) in *type-major* hidden and input
    coordinates (``perm_h``, ``perm_in``), from θ without forming W.

    ``triples``: (Q4 (|S|, |P|, |R|, k), i_s, i_p, i_r, start) with type indices into the
    summand tables of rep_out, rep_h, rep_in and θ[start:…] laid out (b, c, a, k).
    """

    def __init__(self, rep_h, rep_in, rep_out, triples, *, dtype=None):
        super().__init__()
        dtype = dtype or torch.get_default_dtype()
        perm_h, self.h_spans = _type_major(rep_h)
        perm_in, self.in_spans = _type_major(rep_in)
        perm_out, self.out_spans = _type_major(rep_out)
        self.register_buffer("perm_h", torch.as_tensor(perm_h), persistent=False)
        self.register_buffer("perm_in", torch.as_tensor(perm_in), persistent=False)
        ident = np.array_equal(perm_out, np.arange(perm_out.size))
        self.permute_out = not ident
        self.register_buffer("inv_out", torch.as_tensor(np.argsort(perm_out)), persistent=False)
        self.out_size = rep_out.size
        # Stage 1: per input pair (P, R), the basis maps of every S side by side.
        pairs: dict[tuple[int, int], list] = {}
        for Q4, i_s, i_p, i_r, start in triples:
            pairs.setdefault((i_p, i_r), []).append((i_s, Q4, start))
        self.pairs = []   # (i_p, i_r, buffer name, [(i_s, column offset, k, slot)])
        # Stage 2: per output type S, the (P, R) pieces in order and θ's index table.
        pieces: dict[int, list] = {}
        flops1 = 0
        for n, ((i_p, i_r), items) in enumerate(sorted(pairs.items())):
            _, c, p = self.h_spans[i_p]
            _, a, r = self.in_spans[i_r]
            cols, col, outs = [], 0, []
            for i_s, Q4, start in items:
                s, k = Q4.shape[0], Q4.shape[3]
                # (|P|·|R|, k·|S|): columns ordered (k, s)
                cols.append(Q4.transpose(1, 2, 3, 0).reshape(p * r, k * s))
                outs.append((i_s, col, k, len(pieces.get(i_s, []))))
                pieces.setdefault(i_s, []).append((start, c, a, k))
                col += k * s
            basis = np.concatenate(cols, 1)
            self._register_master(f"basis{n}", basis, dtype, None)  # float64 master kept
            self.pairs.append((i_p, i_r, f"basis{n}", outs))
            flops1 += c * a * p * r * col
        # The source-side stage 1: per input type R, [B_PR as (r, |P|·X)] side by side for
        # every hidden type P paired with R (pairs in :attr:`pairs` order within each R).
        by_input: dict[int, list] = {}
        for i_p, i_r, name, _ in self.pairs:
            p, r = self.h_spans[i_p][2], self.in_spans[i_r][2]
            B = self._masters[name]
            X = B.shape[1]
            by_input.setdefault(i_r, []).append(
                (i_p, X, B.reshape(p, r, X).transpose(1, 0, 2).reshape(r, p * X)))
        self.by_input = []  # (i_r, [(i_p, X)])
        for i_r in sorted(by_input):
            items = by_input[i_r]
            self._register_master(f"source_basis{i_r}",
                                  np.concatenate([m for _, _, m in items], axis=1), dtype, None)
            self.by_input.append((i_r, [(i_p, X) for i_p, X, _ in items]))
        self.outs = []    # (i_s, buffer name of θ's index (b, Σ c·a·k))
        flops2 = 0
        for i_s in sorted(pieces):
            _, b, _ = self.out_spans[i_s]
            idx = [start + np.arange(b * c * a * k).reshape(b, c * a * k)
                   for start, c, a, k in pieces[i_s]]
            idx = np.concatenate(idx, axis=1)
            self.register_buffer(f"theta_index{i_s}", torch.as_tensor(idx), persistent=False)
            self.outs.append((i_s, f"theta_index{i_s}"))
            flops2 += self.out_spans[i_s][2] * idx.size
        self.flops = flops1 + flops2  # multiply-adds per node
        # kept for the edge-side contraction (kernels.edge_contract), built from these tables
        self._pieces, self._perm_arrays = pieces, (perm_h, perm_in, perm_out)
        self.dense_flops = rep_out.size * rep_h.size * rep_in.size

    def row_block_sizes(self) -> list[int]:
        """Sizes of T's row blocks, one per hidden type (copies × size), in type-major order."""
        return [c * p for _, c, p in self.h_spans]

    def stage1(self, T) -> list[torch.Tensor]:
        """Stage 1 on T: one Y (n, c, a, X) per input pair (:attr:`pairs` order), X the pair's
        columns (k, s) per output type. T is (N, H, in) type-major, or its row blocks."""
        if isinstance(T, torch.Tensor):
            # split, not slices: a split's backward is one cat, a slice's a full-size zero fill
            T = T.split(self.row_block_sizes(), dim=1)
        n = T[0].shape[0]
        blocks = [b.split([c * p for _, c, p in self.in_spans], dim=2) for b in T]
        Ys = []
        for i_p, i_r, name, _ in self.pairs:
            _, c, p = self.h_spans[i_p]
            _, a, r = self.in_spans[i_r]
            X = blocks[i_p][i_r].reshape(n, c, p, a, r)
            X = X.transpose(2, 3).reshape(n * c * a, p * r)
            Ys.append((X @ getattr(self, name)).view(n, c, a, -1))
        return Ys

    # -- the source-side path: no T ------------------------------------------------------------
    def gathered_size(self) -> int:
        """Numbers per edge that :meth:`stage1_gathered` gathers (Σ over pairs |P|·a·X)."""
        return sum(self.h_spans[i_p][2] * self.in_spans[i_r][1] * getattr(self, name).shape[1]
                   for i_p, i_r, name, _ in self.pairs)

    def source_tables(self, f: torch.Tensor) -> list[torch.Tensor | None]:
        """Per hidden type P, F_P (N, |P|, Σ_R a·X) with F_P[j, p, (a, x)] =
        Σ_r f_j[a, r] B_PR[(p, r), x]: stage 1's basis applied to the source features once per
        node (f (N, in) type-major). None for a hidden type no pair uses."""
        n = f.shape[0]
        parts: list[list[torch.Tensor]] = [[] for _ in self.h_spans]
        for i_r, items in self.by_input:
            s_in, a, r = self.in_spans[i_r]
            # one GEMM per input type for every hidden type paired with it
            Fq = f[:, s_in:s_in + a * r].reshape(n * a, r) @ getattr(self, f"source_basis{i_r}")
            sizes = [self.h_spans[i_p][2] * X for i_p, X in items]
            for (i_p, X), F in zip(items, Fq.split(sizes, dim=1) if len(items) > 1 else (Fq,)):
                p = self.h_spans[i_p][2]
                parts[i_p].append(F.reshape(n, a, p, X).transpose(1, 2).reshape(n, p, a * X))
        return [None if not ps else ps[0] if len(ps) == 1 else torch.cat(ps, dim=2)
                for ps in parts]

    def stage1_gathered(self, hp: torch.Tensor, tables, sp: torch.Tensor) -> list[torch.Tensor]:
        """Stage 1 without T, for small degrees: hp (n, w, H) type-major hidden features of each
        target's w (padded) in-edges, ``tables`` from :meth:`source_tables` (rows: nodes, the
        last one may be the zero row padding points at), sp (n, w) their source rows. Per hidden
        type one batched product over the targets,

            U_P[i, c, (a, x)] = Σ_{e ∈ in(i), p} h_e[c, p] F_P[src(e), p, (a, x)],

        whose column blocks are the Y of :meth:`stage1` (same values, T never formed)."""
        n, w, _ = hp.shape
        idx = sp.reshape(-1)
        # split, not slices, wherever the pieces cover the tensor: a split's backward is one
        # cat, each slice's a full-size zero fill
        hb = hp.split(self.row_block_sizes(), dim=2)
        widths: list[list[int]] = [[] for _ in self.h_spans]
        for i_p, i_r, name, _ in self.pairs:
            widths[i_p].append(self.in_spans[i_r][1] * getattr(self, name).shape[1])
        pieces = []
        for (_, c, p), F, x, ws in zip(self.h_spans, tables, hb, widths):
            if F is None:
                pieces.append(None)
                continue
            lhs = x.reshape(n, w, c, p).transpose(1, 2).reshape(n, c, w * p)
            # gathered as rows of a 2-d table: index_select's fast path (3-d is ~5× slower)
            rhs = F.reshape(F.shape[0], -1).index_select(0, idx).view(n, w * p, F.shape[2])
            U = bmm(lhs, rhs)  # (n, c, Σ_R a·X)
            pieces.append(iter(U.split(ws, dim=2) if len(ws) > 1 else (U,)))
        Ys = []
        for i_p, i_r, _, _ in self.pairs:
            Ys.append(next(pieces[i_p]).unflatten(2, (self.in_spans[i_r][1], -1)))
        return Ys

    # -- stage 2 ---------------------------------------------------------------------------------
    def stage2(self, Ys: list[torch.Tensor], theta: torch.Tensor) -> torch.Tensor:
        """out (n, rep_out.size) from the pairs' Y (n, c, a, X) and θ (dim,)."""
        n = Ys[0].shape[0]
        pieces: dict[int, list] = {i_s: [] for i_s, _ in self.outs}
        for (_, _, _, outs), Y in zip(self.pairs, Ys):
            sizes = [k * self.out_spans[i_s][2] for i_s, _, k, _ in outs]
            for (i_s, _, k, _), Yk in zip(outs, Y.split(sizes, dim=3) if len(outs) > 1 else (Y,)):
                s = self.out_spans[i_s][2]
                # (n, c, a, k, s) → (n, s, c·a·k): one copy per piece
                Z = Yk.unflatten(3, (k, s)).permute(0, 4, 1, 2, 3)
                pieces[i_s].append(Z.reshape(n, s, -1))
        parts = []
        for i_s, name in self.outs:
            _, b, s = self.out_spans[i_s]
            Z = pieces[i_s][0] if len(pieces[i_s]) == 1 else torch.cat(pieces[i_s], dim=2)
            Th = theta[getattr(self, name)]  # (b, Σ c·a·k)
            parts.append((Z.reshape(n * s, -1) @ Th.T).view(n, s, b).transpose(1, 2)
                         .reshape(n, b * s))
        missing = [i for i in range(len(self.out_spans)) if i not in pieces]
        if missing:  # output types no triple reaches are zero
            full = []
            it = iter(parts)
            for i in range(len(self.out_spans)):
                _, b, s = self.out_spans[i]
                full.append(theta.new_zeros(n, b * s) if i in missing else next(it))
            parts = full
        out = parts[0] if len(parts) == 1 else torch.cat(parts, dim=1)
        return out.index_select(1, self.inv_out) if self.permute_out else out

    def forward(self, T, theta: torch.Tensor) -> torch.Tensor:
        """T (N, H, in), type-major in both axes — or the list of its row blocks, one per
        hidden type (:meth:`row_block_sizes`) — and θ (dim,) → (N, rep_out.size)."""
        return self.stage2(self.stage1(T), theta)

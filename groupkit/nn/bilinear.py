"""An equivariant bilinear layer (rep ⊗ rep → rep), computed block by block.

The EMLP paper adds to each layer a bilinear term B(x, x) equivariant from rep ⊗ rep to rep. The
space of all such maps is huge (it grows with the cube of the multiplicities), so every practical
layer keeps a subset; emlp keeps the terms in which a part of x acts as a linear map on another
part, and pays for it by building a (size × size) matrix for every sample.

This layer works on summand *types* instead. For every triple (T, R, S) — T and R types of the
input, S a type of the output — it keeps equivariant bilinear maps T × R → S:

* by default (``products="contract"``, emlp's set), the contraction when T ≅ S ⊗ R* up to a
  permutation of tensor factors: a copy of T *is* a linear map R → S and is applied to the copies
  of R. Inner products, scalar × tensor, matrix × vector and trace-of-product terms are of this
  kind. No solve is needed.
* with ``products="all"``, also every map of Hom(T ⊗ R, S) found by the solver when the triple is
  small (|T|·|R|·|S| ≤ ``max_size``): outer products, traces, ε-tensors and whatever else the
  group allows.

Each side's copies are first mixed into a few learnable channels (``channels``; by default as
many as the type has dimensions, the number of raw copies emlp uses, and all copies of scalar
types), then every left channel is paired with every right channel through every basis map, and
the results are mixed linearly into the copies of S:

    out_S[b] = Σ_{l, p, m} θ[b, l, p, m] · B_p( Σ_c A_T[l, c] x_T[c], Σ_c C_R[m, c] x_R[c] ).

Mixing copies commutes with the group action and each B_p is equivariant, so the layer is exactly
equivariant. Everything is batched matmuls over types, never a (size × size) matrix per sample;
the cheapest of four evaluation orders is chosen per triple at construction (and when the side
applied last has size 1, its mixing is folded into θ at run time). Bases are non-persistent
buffers (kept even where the forward no longer reads them, since the basis fingerprint of saved
state dicts lists them); ``state_dict`` holds the mixing matrices ``mix_left.<k>``,
``mix_right.<k>`` and coefficients ``coef.<k>`` only, so a reloaded layer predicts identically.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..reps import Rep, Scalar, dual, tensor
from ..solver import solve
from ._checks import warn_if_no_products
from ._fingerprint import attach_fingerprint
from ._assemble import MasteredBuffers
from ._layout import complex_dtype_of, summand_types, type_major_permutation, type_runs
from .linear import check_input

__all__ = ["EquivariantBilinear", "DEFAULT_MAX_SIZE"]

log = logging.getLogger("groupkit.nn")

# Triples (T, R, S) with |T|·|R|·|S| up to this are solved; 5⁴ keeps rank-4 tensors of five
# dimensions (all the O(5) EMLP needs) and keeps construction well under a second.
DEFAULT_MAX_SIZE = 625


@dataclass(frozen=True)
class _Triple:
    left: int        # index of T among the input types
    right: int       # index of R among the input types
    out: int         # index of S among the output types
    r: int           # number of basis maps
    kind: str        # "dense" (solver basis) or "contract" (a permutation of T's coordinates)
    first: str       # "left" or "right": the side multiplied by the basis first
    order: str       # "features" (pair with the other side, then mix) or "mix" (the reverse)
    index: int       # names its coefficients coef.<index> and its buffer basis<index>


# A batched matmul of many tiny per-sample matrices runs several times slower per
# multiply-add than one large matmul; the plan below weighs them accordingly.
_BMM_WEIGHT = 6


def _plan(C1, n1, r, nS, n2, C2, b) -> tuple[float, str]:
    """Cost and order of one triple when the side with C1 channels of size n1 goes first."""
    u = C1 * n1 * r * nS * n2
    features = _BMM_WEIGHT * C1 * r * nS * n2 * C2 + nS * C1 * r * C2 * b
    mix = n2 * C2 * b * C1 * r + _BMM_WEIGHT * nS * C1 * r * n2 * b
    return (u + features, "features") if features <= mix else (u + mix, "mix")


def _factors(rep: Rep) -> list[Rep]:
    return [f for f in rep.factors() if f != Scalar]


def contraction_index(T: Rep, R: Rep, S: Rep) -> np.ndarray | None:
    """If the tensor factors of T are those of S ⊗ R* in some order, the index array idx of
    length |S|·|R| with M[s, r] = t[idx[s·|R| + r]] the linear map R → S that t ∈ T represents
    (an equivariant identification); otherwise None."""
    target = _factors(S) + _factors(dual(R))
    have = _factors(T)
    if len(target) != len(have) or T.size != S.size * R.size:
        return None
    used = [False] * len(have)
    axes = []
    for f in target:
        j = next((j for j, h in enumerate(have) if not used[j] and h == f), None)
        if j is None:
            return None
        used[j] = True
        axes.append(j)
    if not have:  # T, R and S are all scalars
        return np.zeros(1, dtype=np.int64)
    dims = [h.size for h in have]
    return np.arange(T.size).reshape(dims).transpose(axes).ravel()


class EquivariantBilinear(MasteredBuffers):
    """Equivariant bilinear map B(x, y) from rep_in × rep_in to rep_out; ``forward(x)`` is the
    quadratic B(x, x) used by EMLP layers.

    Input (..., rep_in.size) (and optionally y of the same shape) → (..., rep_out.size).

    Options (keyword-only):

    * ``max_size``: with ``products="all"``, the largest |T|·|R|·|S| solved for; larger triples
      use only the contraction.
    * ``products``: ``"contract"`` (default) keeps emlp's products, those in which a part of x
      acts as a linear map on another part (T ≅ S ⊗ R*), and needs no solve; ``"all"`` also keeps
      every equivariant bilinear map the solver finds for triples up to ``max_size`` (outer
      products, traces, ε-tensors, …): more expressive, slower, and on the paper's tasks less
      stable to train (the Lorentz task overfits badly with them).
    * ``channels``: how many learned combinations of each type's copies enter the products, on
      each side; default min(copies, type dimension) (emlp uses that many raw copies), and all
      copies of a scalar type.
    * ``scalar_products``: also keep the triples whose left factor is a scalar, or whose right
      factor and output are both scalars (products of scalars with scalars, and of invariants
      with scalars). The SiLU on the scalar channels already models these; they are off by
      default because with many scalar channels they would cost most of the time.
    * ``gain``: output standard deviation at initialisation for unit-variance inputs (default
      0.1: the products start as a small correction to the linear term, as emlp's 0.1 factor
      makes them; larger gains train worse on the paper's tasks).
    * ``method``: the solver method.

    NaN inputs propagate to the samples that contain them.

    >>> import torch
    >>> from groupkit import O, V, Scalar
    >>> rep = 3 * Scalar + 2 * V(O(3))
    >>> layer = EquivariantBilinear(rep, rep, dtype=torch.float64)
    >>> layer(torch.randn(4, rep.size, dtype=torch.float64)).shape
    torch.Size([4, 9])
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, *, products: str = "contract",
                 max_size: int = DEFAULT_MAX_SIZE, channels: int | None = None,
                 scalar_products: bool = False,
                 gain: float = 0.1, method: str = "auto", dtype: torch.dtype | None = None,
                 device=None):
        super().__init__()
        if products not in ("contract", "all"):
            raise ValueError(f"products must be 'contract' or 'all'; got {products!r}.")
        if channels is not None and (not isinstance(channels, int) or channels < 1):
            raise ValueError(f"channels must be a positive integer or None; got {channels!r}.")
        self.rep_in, self.rep_out = rep_in, rep_out
        self._size_in, self._size_out = rep_in.size, rep_out.size
        dtype = dtype or torch.get_default_dtype()
        in_types, out_types = summand_types(rep_in), summand_types(rep_out)
        self._in_sizes = [(t.copies, t.size) for t in in_types]
        self._out_sizes = [(t.copies, t.size) for t in out_types]
        self._channels = [min(t.copies, channels if channels is not None else
                              t.size if t.size > 1 else t.copies) for t in in_types]
        # Input and output cut into the runs of consecutive columns of each type: one split of
        # the input serves every type (its backward is one cat), where a slice per type would
        # zero-fill a full-size gradient for each and an index_select scatter into one; the
        # output is one cat of the same runs.
        in_run_sizes, self._split_owner = type_runs(in_types)
        self._split_sizes = [in_run_sizes[k][rank] for k, rank in self._split_owner]
        self._out_run_sizes, self._out_run_owner = type_runs(out_types)
        for k, t in enumerate(in_types):
            if t.contiguous_start() is None:
                # no longer read (the split serves scattered types too), but kept: a state
                # dict's basis fingerprint lists the layer's buffers, so dropping it would
                # refuse every state dict saved before
                self.register_buffer(f"in_index{k}", torch.as_tensor(t.index(), device=device),
                                     persistent=False)
        perm = type_major_permutation(out_types)
        if perm is not None:
            # no longer read (the cat of runs replaced the permutation), but kept for the
            # basis fingerprint, as in_index above
            self.register_buffer("inv_out", torch.as_tensor(np.argsort(perm), device=device),
                                 persistent=False)

        self.is_complex = bool(rep_in.is_complex or rep_out.is_complex)
        found = []
        for i_t, T in enumerate(in_types):
            for i_r, R in enumerate(in_types):
                for i_s, S in enumerate(out_types):
                    if not scalar_products and (T.rep == Scalar or (
                            R.rep == Scalar and S.rep == Scalar)):
                        continue
                    B, kind = self._basis(T.rep, R.rep, S.rep,
                                          max_size if products == "all" else 0, method)
                    if B is not None:
                        found.append((i_t, i_r, i_s, B, kind))
                        self.is_complex |= kind == "dense" and bool(np.iscomplexobj(B))

        self.mix_left = nn.ParameterDict()
        self.mix_right = nn.ParameterDict()
        self.coef = nn.ParameterDict()
        pair = (2,) if self.is_complex else ()
        factory = {"dtype": dtype, "device": device}
        triples = []
        self._identity: dict[int, bool] = {}
        for k, (i_t, i_r, i_s, B, kind) in enumerate(found):
            (_, nT), (_, nR), (b, nS) = self._in_sizes[i_t], self._in_sizes[i_r], \
                self._out_sizes[i_s]
            L, M = self._channels[i_t], self._channels[i_r]
            r = B.shape[-1] if kind == "dense" else 1
            options = [(*_plan(L, nT, r, nS, nR, M, b), "left")]
            if kind == "dense":
                options.append((*_plan(M, nR, r, nS, nT, L, b), "right"))
            _, order, first = min(options, key=lambda o: o[0])
            triples.append(_Triple(i_t, i_r, i_s, r, kind, first, order, k))
            for store, i in ((self.mix_left, i_t), (self.mix_right, i_r)):
                if str(i) not in store:
                    store[str(i)] = nn.Parameter(torch.empty(
                        self._channels[i], self._in_sizes[i][0], *pair, **factory))
            self.coef[str(k)] = nn.Parameter(torch.empty(b, L, r, M, *pair, **factory))
            if kind == "dense":
                # (|S|, |T|, |R|, r) → (first side, r·|S|·other side): one matmul maps a channel
                # of the first side to the r linear maps (other side → S) it defines.
                B4 = B.reshape(nS, nT, nR, r)
                Bt = B4.transpose(1, 3, 0, 2) if first == "left" else B4.transpose(2, 3, 0, 1)
                Bt = Bt.reshape(Bt.shape[0], -1)
                self._register_master(f"basis{k}", Bt, dtype, device)  # float64 master kept
            else:
                self.register_buffer(f"basis{k}", torch.as_tensor(B, device=device),
                                     persistent=False)
                # the identification T ≅ S ⊗ R* is often the identity on coordinates (every
                # product of the O(5) EMLP): then a copy of T is read as the matrix in place
                self._identity[k] = bool(np.array_equal(B, np.arange(B.size)))
        self.triples = tuple(triples)
        warn_if_no_products(self, products)
        self._gain = gain
        self.reset_parameters(gain)
        attach_fingerprint(self)  # state dicts carry (and check) the basis they were saved with
        log.debug("EquivariantBilinear %s → %s: %d triples, %d parameters", rep_in, rep_out,
                  len(triples), sum(p.numel() for p in self.parameters()))

    # -- construction helpers ---------------------------------------------------------------
    @staticmethod
    def _basis(T: Rep, R: Rep, S: Rep, max_size: int, method: str):
        """The basis (|S|·|T|·|R|, r) of Hom(T ⊗ R, S), each map of unit Frobenius norm, or
        the contraction index; (None, "") when there is no product to keep."""
        if T.size * R.size * S.size <= max_size:
            Q = solve(tensor(T, R), S, method=method).dense()
            if Q.shape[1] == 0:
                return None, ""
            return Q, "dense"
        idx = contraction_index(T, R, S)
        return (idx, "contract") if idx is not None else (None, "")

    def reset_parameters(self, gain: float | None = None) -> None:
        """Mixing matrices ~ N(0, 1/copies) (unit-variance channels for unit-variance inputs);
        coefficients so that each output coordinate has standard deviation ``gain``."""
        gain = self._gain if gain is None else gain
        fan: dict[int, int] = {}
        for tr in self.triples:
            c = self.coef[str(tr.index)]
            fan[tr.out] = fan.get(tr.out, 0) + c.shape[1] * c.shape[2] * c.shape[3]
        half = 1 / math.sqrt(2) if self.is_complex else 1.0
        with torch.no_grad():
            for store in (self.mix_left, self.mix_right):
                for key, A in store.items():
                    A.normal_(0.0, half / math.sqrt(self._in_sizes[int(key)][0]))
            for tr in self.triples:
                nS = self._out_sizes[tr.out][1]
                self.coef[str(tr.index)].normal_(0.0, half * gain * math.sqrt(nS / fan[tr.out]))

    # -- forward -----------------------------------------------------------------------------
    def _param(self, p: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        return (torch.view_as_complex(p) if self.is_complex else p).to(dtype)

    def _split_types(self, x: torch.Tensor) -> dict[int, list[torch.Tensor]]:
        """x (n, rep_in.size) → {type: its runs of columns, in the type's own order} (views)."""
        parts: dict[int, list] = {}
        for (k, rank), piece in zip(self._split_owner, x.split(self._split_sizes, dim=1)):
            parts.setdefault(k, []).append((rank, piece))
        return {k: [p for _, p in sorted(ps, key=lambda rp: rp[0])] for k, ps in parts.items()}

    def _copies(self, parts: dict[int, list[torch.Tensor]], k: int) -> torch.Tensor:
        """(n, copies, size) of input type k from :meth:`_split_types`' runs."""
        a, size = self._in_sizes[k]
        ps = parts[k]
        part = ps[0] if len(ps) == 1 else torch.cat(ps, dim=1)
        return part.reshape(part.shape[0], a, size)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        ref = self.coef[str(self.triples[0].index)] if self.triples else None
        check_input(x, self.rep_in, self, ref=ref, size=self._size_in)
        if y is not None:
            check_input(y, self.rep_in, self, name="y", ref=ref, size=self._size_in)
            if y.shape != x.shape:
                raise ValueError(f"EquivariantBilinear: x and y must have the same shape; got "
                                 f"{tuple(x.shape)} and {tuple(y.shape)}.")
        batch = x.shape[:-1]
        dtype = complex_dtype_of(x.dtype) if self.is_complex else x.dtype
        x = x.reshape(-1, x.shape[-1]).to(dtype)
        y = x if y is None else y.reshape(-1, y.shape[-1]).to(dtype)
        n = x.shape[0]
        same = y is x  # B(x, x): both sides read the same copies
        parts = {"left": self._split_types(x)}
        parts["right"] = parts["left"] if same else self._split_types(y)
        copies: dict[tuple[str, int], torch.Tensor] = {}
        mixed: dict[tuple[str, int], torch.Tensor] = {}

        def raw(side: str, k: int) -> torch.Tensor:  # (n, copies, |type|)
            key = ("left" if same else side, k)
            if key not in copies:
                copies[key] = self._copies(parts[side], k)
            return copies[key]

        def mixing(side: str, k: int) -> torch.Tensor:  # (channels, copies)
            return self._param((self.mix_left if side == "left" else self.mix_right)[str(k)],
                               dtype)

        def channels(side: str, k: int) -> torch.Tensor:  # (n, channels, |type|), contiguous
            if (side, k) not in mixed:
                X, A = raw(side, k), mixing(side, k)
                if X.shape[2] == 1:
                    # sizes spelled out, not -1: a batch may have no samples
                    mixed[side, k] = (X.reshape(n, X.shape[1]) @ A.T).unsqueeze(2)
                else:
                    # einsum contracts the copies in one GEMM over (copies, n·|type|), where
                    # matmul's broadcast runs a GEMM per sample; the bmms below need
                    # contiguous operands (strided ones fall back to a loop over samples)
                    mixed[side, k] = torch.einsum("ca,nad->ncd", A, X).contiguous()
            return mixed[side, k]

        outs: dict[int, torch.Tensor] = {}
        for tr in self.triples:
            b, nS = self._out_sizes[tr.out]
            (sp, kp), (sq, kq) = ((("left", tr.left), ("right", tr.right))
                                  if tr.first == "left" else
                                  (("right", tr.right), ("left", tr.left)))
            P = channels(sp, kp)
            C1, n1, r = P.shape[1], P.shape[2], tr.r
            n2 = self._in_sizes[kq][1]
            theta = self._param(self.coef[str(tr.index)], dtype)  # (b, L, r, M)
            basis = getattr(self, f"basis{tr.index}")
            if tr.kind == "dense":
                Bt = torch.view_as_complex(basis) if basis.ndim == 3 else basis.to(dtype)
                u = (P.reshape(n * C1, n1) @ Bt).reshape(n, C1, r, nS, n2)
            else:
                # the contraction's normalisation on θ (a few numbers), not on the features
                theta = theta * (1.0 / math.sqrt(nS * n2))
                if self._identity[tr.index]:  # a copy of T *is* the (|S|, |R|) matrix
                    u = P.reshape(n, C1, 1, nS, n2)
                else:
                    # index_select, not P[:, :, basis]: its backward is one index_add instead
                    # of an accumulating index_put
                    u = P.index_select(2, basis.reshape(-1)).reshape(n, C1, 1, nS, n2)
            if tr.first == "right":
                theta = theta.permute(0, 3, 2, 1)  # (b, C1, r, C2)
            if tr.order == "mix" and n2 == 1:
                # the second side has size 1 (scalars, or a one-dimensional rep such as det or
                # a U(1) charge; the left factor when first == "right"):
                # z[n, (l, p), b] = Σ_m θ[b, l, p, m] Q[n, m] with Q = X Aᵀ, so z = X (Aᵀ θ):
                # the mixing folds into θ (a small matmul), and o[n, b, s] =
                # Σ_{l,p} z[n, (l, p), b] u[n, (l, p), s] is one bmm, every operand and the
                # result in the layout the next step reads
                th = theta.permute(3, 1, 2, 0).reshape(theta.shape[3], C1 * r * b)
                X, A = raw(sq, kq), mixing(sq, kq)
                C2, a = A.shape
                if a * C1 * r * b <= C2 * (a + C1 * r * b):  # folding costs less per sample
                    z = X.reshape(n, a) @ (A.T @ th)
                else:  # few channels of many copies (``channels=``): mix first
                    z = channels(sq, kq).reshape(n, C2) @ th
                o = torch.bmm(z.view(n, C1 * r, b).transpose(1, 2), u.reshape(n, C1 * r, nS))
            elif tr.order == "features":
                Q = channels(sq, kq)
                C2 = Q.shape[1]
                f = u.reshape(n, C1 * r * nS, n2) @ Q.transpose(1, 2)  # (n, C1·r·|S|, C2)
                f = f.reshape(n, C1, r, nS, C2).permute(0, 3, 1, 2, 4).reshape(n * nS,
                                                                               C1 * r * C2)
                o = (f @ theta.reshape(b, -1).T).reshape(n, nS, b).transpose(1, 2)
            else:
                Q = channels(sq, kq)
                C2 = Q.shape[1]
                th = theta.permute(3, 0, 1, 2).reshape(C2, b * C1 * r)
                z = Q.transpose(1, 2).reshape(n * n2, C2) @ th  # (n·n2, b·C1·r)
                z = z.reshape(n, n2, b, C1 * r).permute(0, 3, 1, 2).reshape(n, C1 * r * n2, b)
                U = u.permute(0, 3, 1, 2, 4).reshape(n, nS, C1 * r * n2)
                o = (U @ z).transpose(1, 2)  # (n, b, |S|)
            outs[tr.out] = o if tr.out not in outs else outs[tr.out] + o
        # the output in rep_out's coordinates: each type's runs of columns, in column order,
        # in one cat (its backward is one split per type)
        pieces = []
        for j, (b, nS) in enumerate(self._out_sizes):
            o = outs.get(j)
            o = o.reshape(n, b * nS) if o is not None else x.new_zeros(n, b * nS)
            sizes = self._out_run_sizes[j]
            pieces.append(o.split(sizes, dim=1) if len(sizes) > 1 else (o,))
        out_parts = [pieces[j][rank] for j, rank in self._out_run_owner]
        out = torch.cat(out_parts, dim=1) if len(out_parts) > 1 else out_parts[0]
        return out.reshape(*batch, self._size_out)

    def extra_repr(self) -> str:
        kinds = [t.kind for t in self.triples]
        return (f"{self.rep_in} → {self.rep_out}, triples={len(kinds)} "
                f"(solved {kinds.count('dense')}, contractions {kinds.count('contract')})")

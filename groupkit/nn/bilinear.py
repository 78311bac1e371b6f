"""An equivariant bilinear layer (rep ⊗ rep → rep), computed block by block.

The EMLP paper adds to each layer a bilinear term B(x, x) equivariant from rep ⊗ rep to rep. The
space of all such maps is huge (it grows with the cube of the multiplicities), so every practical
layer keeps a subset; emlp keeps the terms in which a part of x acts as a linear map on another
part, and pays for it by building a (size × size) matrix for every sample.

This layer works on summand *types* instead. For every triple (T, R, S) — T and R types of the
input, S a type of the output — it uses the equivariant bilinear maps T × R → S:

* found by the solver, Hom(T ⊗ R, S), when the triple is small (|T|·|R|·|S| ≤ ``max_size``); this
  includes inner products, outer products, matrix-vector and matrix-matrix contractions, ε-tensors
  and whatever else the group allows;
* otherwise, when T ≅ S ⊗ R* up to a permutation of tensor factors (T "is" a linear map R → S, as
  in emlp), the contraction of T's copies with R's copies, which needs no solve at all.

The copies of T are first mixed into a few learnable channels (``channels``, by default as many as
T has dimensions, like emlp's choice of copies), then every channel is paired with every copy of R
through every basis map, and the results are mixed linearly into the copies of S:

    out_S[b] = Σ_{l, p, a} θ[b, l, p, a] · B_p( Σ_c A_T[l, c] x_T[c], x_R[a] ).

Mixing copies commutes with the group action and each B_p is equivariant, so the layer is exactly
equivariant; all of it is batched matmuls (the cheaper of two contraction orders is chosen per
triple at construction). Bases are non-persistent buffers; ``state_dict`` holds the mixing
matrices ``mix.<k>`` and coefficients ``coef.<k>`` only, so a reloaded layer predicts identically.
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
from ._layout import complex_dtype_of, real_view, summand_types, type_major_permutation
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
    order: str       # "features" (contract with R first) or "mix" (mix R's copies first)
    index: int       # names its parameters coef.<index> and buffer basis<index>


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


class EquivariantBilinear(nn.Module):
    """Equivariant bilinear map B(x, y) from rep_in × rep_in to rep_out; ``forward(x)`` is the
    quadratic B(x, x) used by EMLP layers.

    Input (..., rep_in.size) (and optionally y of the same shape) → (..., rep_out.size).

    Options: ``max_size`` (largest |T|·|R|·|S| solved for; larger triples use only the
    contraction), ``channels`` (mixed channels per left type; default min(copies, dimension)),
    ``scalar_products`` (also keep the triples whose left factor is a scalar, or whose right
    factor and output are both scalars: products of scalars with scalars and of invariants with
    scalars, which the SiLU on scalar channels already models; off by default because with many
    scalar channels they cost most of the time),
    ``gain`` (output standard deviation at initialisation for unit-variance inputs), ``method``
    (solver method). NaN inputs propagate to the samples that contain them.

    >>> import torch
    >>> from groupkit import O, V, Scalar
    >>> rep = 3 * Scalar + 2 * V(O(3))
    >>> layer = EquivariantBilinear(rep, rep, dtype=torch.float64)
    >>> layer(torch.randn(4, rep.size, dtype=torch.float64)).shape
    torch.Size([4, 9])
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, *, max_size: int = DEFAULT_MAX_SIZE,
                 channels: int | None = None, scalar_products: bool = False,
                 gain: float = 1.0, method: str = "auto", dtype: torch.dtype | None = None,
                 device=None):
        super().__init__()
        if channels is not None and (not isinstance(channels, int) or channels < 1):
            raise ValueError(f"channels must be a positive integer or None; got {channels!r}.")
        self.rep_in, self.rep_out = rep_in, rep_out
        dtype = dtype or torch.get_default_dtype()
        in_types, out_types = summand_types(rep_in), summand_types(rep_out)
        self._in_sizes = [(t.copies, t.size) for t in in_types]
        self._out_sizes = [(t.copies, t.size) for t in out_types]
        self._in_slices = []
        for k, t in enumerate(in_types):
            start = t.contiguous_start()
            self._in_slices.append(start)
            if start is None:
                self.register_buffer(f"in_index{k}", torch.as_tensor(t.index(), device=device),
                                     persistent=False)
        perm = type_major_permutation(out_types)
        self.permute_out = perm is not None
        if perm is not None:
            self.register_buffer("inv_out", torch.as_tensor(np.argsort(perm), device=device),
                                 persistent=False)

        self.is_complex = bool(rep_in.is_complex or rep_out.is_complex)
        triples: list[_Triple] = []
        bases: list[np.ndarray] = []
        for i_t, T in enumerate(in_types):
            for i_r, R in enumerate(in_types):
                for i_s, S in enumerate(out_types):
                    if not scalar_products and (T.rep == Scalar or (
                            R.rep == Scalar and S.rep == Scalar)):
                        continue
                    B, kind = self._basis(T.rep, R.rep, S.rep, max_size, method)
                    if B is None:
                        continue
                    if np.iscomplexobj(B) and kind == "dense":
                        self.is_complex = True
                    L = self._channels(T.copies, T.size, channels)
                    r = B.shape[-1] if kind == "dense" else 1
                    order = self._cheaper_order(L, r, R.copies, R.size, S.copies, S.size)
                    triples.append(_Triple(i_t, i_r, i_s, r, kind, order, len(triples)))
                    bases.append(B)
        self.triples = tuple(triples)

        self.mix = nn.ParameterDict()
        self.coef = nn.ParameterDict()
        pair = (2,) if self.is_complex else ()
        factory = {"dtype": dtype, "device": device}
        for k, (tr, B) in enumerate(zip(triples, bases)):
            T, R, S = in_types[tr.left], in_types[tr.right], out_types[tr.out]
            L = self._channels(T.copies, T.size, channels)
            if str(tr.left) not in self.mix:
                self.mix[str(tr.left)] = nn.Parameter(torch.empty(L, T.copies, *pair, **factory))
            self.coef[str(k)] = nn.Parameter(
                torch.empty(S.copies, L * tr.r * R.copies, *pair, **factory))
            if tr.kind == "dense":
                # (|S|, |T|, |R|, r) → (|T|, r·|S|·|R|): one matmul maps a channel of T to the
                # r linear maps R → S it defines. Each B_p has unit Frobenius norm.
                Bt = B.reshape(S.size, T.size, R.size, tr.r).transpose(1, 3, 0, 2)
                self.register_buffer(f"basis{k}", real_view(Bt.reshape(T.size, -1), dtype,
                                                            device), persistent=False)
            else:
                self.register_buffer(f"basis{k}", torch.as_tensor(B, device=device),
                                     persistent=False)
        self._gain = gain
        self.reset_parameters(gain)
        log.debug("EquivariantBilinear %s → %s: %d triples, %d parameters", rep_in, rep_out,
                  len(triples), sum(p.numel() for p in self.parameters()))

    # -- construction helpers ---------------------------------------------------------------
    @staticmethod
    def _channels(copies: int, size: int, channels: int | None) -> int:
        return min(copies, channels if channels is not None else size)

    @staticmethod
    def _basis(T: Rep, R: Rep, S: Rep, max_size: int, method: str):
        if T.size * R.size * S.size <= max_size:
            Q = solve(tensor(T, R), S, method=method).dense()
            if Q.shape[1] == 0:
                return None, ""
            return Q, "dense"
        idx = contraction_index(T, R, S)
        return (idx, "contract") if idx is not None else (None, "")

    @staticmethod
    def _cheaper_order(L, r, a, nR, b, nS) -> str:
        # multiply-adds per sample beyond the shared T-channel → maps step
        features = L * r * nS * nR * a + nS * L * r * a * b
        mix = nR * a * b * L * r + nS * L * r * nR * b
        return "features" if features <= mix else "mix"

    def reset_parameters(self, gain: float | None = None) -> None:
        """Mixing matrices ~ N(0, 1/copies); coefficients so that, for unit-variance inputs, each
        output coordinate has standard deviation ``gain`` at initialisation."""
        gain = self._gain if gain is None else gain
        fan: dict[int, int] = {}
        for k, tr in enumerate(self.triples):
            fan[tr.out] = fan.get(tr.out, 0) + self.coef[str(k)].shape[1]
        half = 1 / math.sqrt(2) if self.is_complex else 1.0
        with torch.no_grad():
            for key, A in self.mix.items():
                A.normal_(0.0, half / math.sqrt(self._in_sizes[int(key)][0]))
            for k, tr in enumerate(self.triples):
                nS = self._out_sizes[tr.out][1]
                self.coef[str(k)].normal_(0.0, half * gain * math.sqrt(nS / fan[tr.out]))

    # -- forward -----------------------------------------------------------------------------
    def _param(self, p: torch.Tensor) -> torch.Tensor:
        return torch.view_as_complex(p) if self.is_complex else p

    def _copies(self, x: torch.Tensor, k: int) -> torch.Tensor:
        a, n = self._in_sizes[k]
        start = self._in_slices[k]
        part = x[:, start:start + a * n] if start is not None else \
            x.index_select(1, getattr(self, f"in_index{k}"))
        return part.reshape(x.shape[0], a, n)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        check_input(x, self.rep_in, self)
        if y is not None:
            check_input(y, self.rep_in, self, name="y")
            if y.shape != x.shape:
                raise ValueError(f"EquivariantBilinear: x and y must have the same shape; got "
                                 f"{tuple(x.shape)} and {tuple(y.shape)}.")
        batch = x.shape[:-1]
        dtype = x.dtype
        if self.is_complex and not dtype.is_complex:
            dtype = complex_dtype_of(dtype)
        x = x.reshape(-1, x.shape[-1]).to(dtype)
        y = x if y is None else y.reshape(-1, y.shape[-1]).to(dtype)
        n = x.shape[0]
        left: dict[int, torch.Tensor] = {}
        right: dict[int, torch.Tensor] = {}
        outs: dict[int, torch.Tensor] = {}
        for tr in self.triples:
            k = tr.index
            if tr.left not in left:
                xT = self._copies(x, tr.left)  # (n, a_T, |T|)
                A = self._param(self.mix[str(tr.left)]).to(dtype)
                left[tr.left] = torch.matmul(A, xT)  # (n, L, |T|)
            if tr.right not in right:
                right[tr.right] = self._copies(y, tr.right)  # (n, a, |R|)
            mT, xR = left[tr.left], right[tr.right]
            L, nT = mT.shape[1], mT.shape[2]
            a, nR = self._in_sizes[tr.right]
            b, nS = self._out_sizes[tr.out]
            r = tr.r
            basis = getattr(self, f"basis{k}")
            if tr.kind == "dense":
                Bt = torch.view_as_complex(basis) if self.is_complex and basis.ndim == 3 \
                    else basis
                u = (mT.reshape(n * L, nT) @ Bt.to(dtype)).reshape(n, L, r, nS, nR)
            else:
                u = (mT[:, :, basis] * (1.0 / math.sqrt(nS * nR))).reshape(n, L, 1, nS, nR)
            theta = self._param(self.coef[str(k)]).to(dtype)  # (b, L·r·a), ordered (l, p, a)
            if tr.order == "features":
                f = u.reshape(n, L * r * nS, nR) @ xR.transpose(1, 2)  # (n, L·r·|S|, a)
                f = f.reshape(n, L, r, nS, a).permute(0, 3, 1, 2, 4).reshape(n * nS, L * r * a)
                o = (f @ theta.T).reshape(n, nS, b).transpose(1, 2)
            else:
                th = theta.reshape(b, L, r, a).permute(3, 0, 1, 2).reshape(a, b * L * r)
                z = xR.transpose(1, 2).reshape(n * nR, a) @ th  # (n·|R|, b·L·r)
                z = z.reshape(n, nR, b, L * r).permute(0, 3, 1, 2).reshape(n, L * r * nR, b)
                U = u.permute(0, 3, 1, 2, 4).reshape(n, nS, L * r * nR)
                o = (U @ z).transpose(1, 2)  # (n, b, |S|)
            outs[tr.out] = o if tr.out not in outs else outs[tr.out] + o
        parts = []
        for j, (b, nS) in enumerate(self._out_sizes):
            o = outs.get(j)
            parts.append(o.reshape(n, b * nS) if o is not None else x.new_zeros(n, b * nS))
        out = torch.cat(parts, dim=1) if len(parts) > 1 else parts[0]
        if self.permute_out:
            out = out.index_select(1, self.inv_out)
        return out.reshape(*batch, self.rep_out.size)

    def extra_repr(self) -> str:
        kinds = [t.kind for t in self.triples]
        return (f"{self.rep_in} → {self.rep_out}, triples={len(kinds)} "
                f"(solved {kinds.count('dense')}, contractions {kinds.count('contract')})")

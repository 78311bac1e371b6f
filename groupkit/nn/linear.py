"""Equivariant linear layers in PyTorch, assembled from compact solved bases.

A layer holds one learnable coefficient per basis element. Each forward assembles
W = Σ_k θ_k Q_k block by block (see :class:`groupkit.EquivariantBasis`): dense pair bases by a
small einsum, orbit (permutation) bases by a gather — never a dense (out·in, dim) basis. The bases
are non-persistent buffers: ``state_dict`` holds only θ and the bias coefficients, and a reloaded
model rebuilds its bases from the solver's cache.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse
import torch
from torch import nn

from ..basis import EquivariantBasis
from ..reps import Rep, Scalar
from ..solver import solve

__all__ = ["EquivariantLinear", "BasisAssembler", "check_input"]


def check_input(x: torch.Tensor, rep: Rep, module: nn.Module, name: str = "x") -> None:
    """Clear errors for inputs a layer cannot take (shape, dtype, device, NaN)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{type(module).__name__} expects a torch.Tensor; got {type(x).__name__}.")
    if x.ndim < 1 or x.shape[-1] != rep.size:
        raise ValueError(
            f"{type(module).__name__}: the last dimension of {name} must be {rep.size} "
            f"(the size of {rep}); got shape {tuple(x.shape)}.")
    p = next(iter(module.parameters()), None)
    if p is None:
        return
    if x.device != p.device:
        raise ValueError(f"{type(module).__name__}: {name} is on {x.device} but the module is on "
                         f"{p.device}; move one with .to(...).")
    if x.dtype not in (p.dtype, _complex_of(p.dtype)):
        raise TypeError(f"{type(module).__name__}: {name} has dtype {x.dtype} but the module has "
                        f"{p.dtype}; convert with x.to({p.dtype}) or module.to({x.dtype}).")


def _complex_of(dtype: torch.dtype) -> torch.dtype:
    return {torch.float32: torch.complex64, torch.float64: torch.complex128}.get(dtype, dtype)


class BasisAssembler(nn.Module):
    """Turns a flat coefficient vector θ (dim,) into the weight matrix W (out, in) of an
    :class:`~groupkit.EquivariantBasis`. Holds the pair bases as non-persistent buffers."""

    def __init__(self, basis: EquivariantBasis):
        super().__init__()
        self.n_out, self.n_in = basis.rep_out.size, basis.rep_in.size
        self.dim = basis.dim
        self.is_complex = basis.is_complex
        self._dense_specs: list[tuple[int, int, int, int]] = []
        self._gather_specs: list[tuple[int, int, int, int]] = []
        cdtype = torch.complex128 if self.is_complex else torch.float64
        for i, blk in enumerate(basis.blocks):
            b, a = blk.multiplicity
            s, r, k = blk.rep_out.size, blk.rep_in.size, blk.pair.r
            rows = torch.as_tensor(blk.out_index(), dtype=torch.long)
            cols = torch.as_tensor(blk.in_index(), dtype=torch.long)
            flat = (rows[:, None] * self.n_in + cols[None, :]).reshape(b, s, a, r)
            self.register_buffer(f"pos{i}", flat.permute(0, 2, 1, 3).reshape(-1), persistent=False)
            Q = blk.pair.Q
            if scipy.sparse.issparse(Q) and np.all(np.diff(Q.tocsr().indptr) <= 1):
                # Orbit bases: every row has at most one entry, so W is a gather of θ.
                Qr = Q.tocsr()
                has = np.diff(Qr.indptr) == 1
                col = np.full(Q.shape[0], k, dtype=np.int64)  # index k → the appended zero
                val = np.zeros(Q.shape[0])
                col[has] = Qr.indices
                val[has] = Qr.data
                self.register_buffer(f"col{i}", torch.as_tensor(col), persistent=False)
                self.register_buffer(f"val{i}", torch.as_tensor(val, dtype=cdtype),
                                     persistent=False)
                self._gather_specs.append((i, blk.col_start, b * a, k))
            else:
                Qd = blk.pair.dense().reshape(s * r, k)
                self.register_buffer(f"Q{i}", torch.as_tensor(Qd, dtype=cdtype), persistent=False)
                self._dense_specs.append((i, blk.col_start, b * a, k))

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        """θ (dim,) → W (out, in), in θ's dtype (complex when the basis is complex)."""
        dtype = _complex_of(theta.dtype) if self.is_complex and not theta.dtype.is_complex \
            else theta.dtype
        parts, positions = [], []
        for i, start, copies, k in self._dense_specs:
            th = theta[start:start + copies * k].reshape(copies, k).to(dtype)
            Q = getattr(self, f"Q{i}").to(dtype)
            parts.append((th @ Q.T).reshape(-1))  # (copies, s·r), copy-major like pos
            positions.append(getattr(self, f"pos{i}"))
        for i, start, copies, k in self._gather_specs:
            th = theta[start:start + copies * k].reshape(copies, k).to(dtype)
            th = torch.cat([th, th.new_zeros(copies, 1)], dim=1)  # column k is "no orbit"
            col, val = getattr(self, f"col{i}"), getattr(self, f"val{i}").to(dtype)
            parts.append((th[:, col] * val).reshape(-1))
            positions.append(getattr(self, f"pos{i}"))
        W = theta.new_zeros(self.n_out * self.n_in, dtype=dtype)
        if parts:
            W = W.index_put((torch.cat(positions),), torch.cat(parts))
        return W.reshape(self.n_out, self.n_in)


class EquivariantLinear(nn.Module):
    """Equivariant affine map x ↦ W x + b with W = Σ θ_k Q_k and b in the invariant part of
    rep_out.

    Input (..., rep_in.size) → output (..., rep_out.size). θ is initialised so that unit-variance
    inputs give outputs of variance about one (‖W‖_F² ≈ rep_out.size, as for LeCun's
    initialisation), whatever the basis dimension; the bias starts at zero. For complex groups θ
    and the output are complex.

    ``state_dict`` holds ``weight`` (dim,) and ``bias`` (dim_bias,) only.
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, *, bias: bool = True, method: str = "auto",
                 dtype: torch.dtype | None = None, device=None):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        basis = solve(rep_in, rep_out, method=method)
        self.assembler = BasisAssembler(basis)
        factory = {"dtype": dtype or torch.get_default_dtype(), "device": device}
        shape = (basis.dim, 2) if basis.is_complex else (basis.dim,)
        self.weight = nn.Parameter(torch.empty(shape, **factory))
        self.bias_assembler = None
        if bias:
            bbasis = solve(Scalar, rep_out, method=method)
            self.bias_assembler = BasisAssembler(bbasis)
            bshape = (bbasis.dim, 2) if bbasis.is_complex else (bbasis.dim,)
            self.bias = nn.Parameter(torch.zeros(bshape, **factory))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self, gain: float = 1.0) -> None:
        dim = max(self.assembler.dim, 1)
        std = gain * math.sqrt(self.rep_out.size / dim) if self.assembler.dim else 0.0
        if self.weight.ndim == 2:  # complex: split the variance between real and imaginary parts
            std /= math.sqrt(2)
        with torch.no_grad():
            self.weight.normal_(0.0, std)
            if self.bias is not None:
                self.bias.zero_()

    def _coeffs(self, p: torch.Tensor) -> torch.Tensor:
        return torch.view_as_complex(p) if p.ndim == 2 else p

    def weight_matrix(self) -> torch.Tensor:
        """The current W, shape (rep_out.size, rep_in.size)."""
        return self.assembler(self._coeffs(self.weight))

    def bias_vector(self) -> torch.Tensor | None:
        if self.bias is None:
            return None
        return self.bias_assembler(self._coeffs(self.bias)).reshape(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.rep_in, self)
        W = self.weight_matrix()
        if W.dtype.is_complex and not x.dtype.is_complex:
            x = x.to(W.dtype)
        y = x @ W.T
        if self.bias is not None:
            y = y + self.bias_vector()
        return y

    def extra_repr(self) -> str:
        return f"{self.rep_in} → {self.rep_out}, dim={self.assembler.dim}"

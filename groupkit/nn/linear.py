"""Equivariant linear layers in PyTorch, assembled from compact solved bases.

A layer holds one learnable coefficient per basis element. Each forward assembles
W = Σ_k θ_k Q_k from the compact basis (see :class:`groupkit.EquivariantBasis`), never from a
dense (out·in, dim) basis:

* ``"sparse"`` (the usual case): the basis's non-zero entries, flattened once at construction,
  make W one gather of θ and one scatter-add (:mod:`groupkit.nn._assemble`); the backward is the
  same two operations. A few kernels per layer, whatever the number of summand types.
* ``"dense"``: tiny bases (out·in·dim ≤ 65,536) as one dense (out·in, dim) matrix, one matmul.
* ``"blocks"``: bases whose non-zero entries would far outnumber W's (large multiplicities of
  summand pairs with many basis maps) keep the compact per-block form: one small matmul of θ with
  each pair basis, the blocks concatenated, one permutation back to the representation's order.

With autograd off (``torch.no_grad``, ``torch.inference_mode``) the assembled W and bias are
cached and rebuilt only when the parameters change. The bases are non-persistent buffers:
``state_dict`` holds only θ and the bias coefficients, and a reloaded model rebuilds its bases
from the solver's cache.
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
from ._checks import warn_if_no_weights
from ._fingerprint import attach_fingerprint
from ._assemble import AssemblyCache, CooOperator, MasteredBuffers
from ._layout import complex_dtype_of, summand_types, type_major_permutation

__all__ = ["EquivariantLinear", "BasisAssembler", "check_input"]

# Orbit (sparse) pair bases with more entries than this are assembled by a gather of θ rather
# than a dense matmul with the pair basis.
_GATHER_ABOVE = 4096
# The sparse (one scatter) assembly is used while the basis has at most this many non-zero
# entries per entry of W (plus a constant); beyond, the per-block matmuls store and compute less.
_SPARSE_FILL = 4
_SPARSE_SLACK = 1 << 16


def check_input(x, rep: Rep, module: nn.Module, name: str = "x",
                ref: torch.Tensor | None = None, size: int | None = None) -> None:
    """Clear errors for inputs a layer cannot take: not a tensor, a last dimension other than
    ``rep.size`` (never broadcast), a dtype or device other than the module's (those of ``ref``,
    one of its parameters; by default the first parameter, found outside torch.compile only).
    Under torch.compile pass ``size`` = rep.size precomputed (and ``ref``): these checks are then
    resolved at trace time and cost nothing.

    NaN and inf are not checked (that would cost a device synchronisation per call): they
    propagate to the outputs of the samples that contain them, as in ``torch.nn.Linear``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{type(module).__name__} expects a torch.Tensor; got {type(x).__name__}.")
    if size is None:
        size = rep.size
    if x.ndim < 1 or x.shape[-1] != size:
        raise ValueError(
            f"{type(module).__name__}: the last dimension of {name} must be {rep.size} "
            f"(the size of {rep}); got shape {tuple(x.shape)}. Inputs are (..., {rep.size}).")
    p = ref if ref is not None else next(iter(module.parameters()), None)
    if p is None:
        if not (x.dtype.is_floating_point or x.dtype.is_complex):
            raise TypeError(f"{type(module).__name__}: {name} must be a floating-point tensor; "
                            f"got {x.dtype}.")
        return
    if x.device != p.device:
        raise ValueError(f"{type(module).__name__}: {name} is on {x.device} but the module is on "
                         f"{p.device}; move one with .to(...).")
    if x.dtype not in (p.dtype, complex_dtype_of(p.dtype)):
        raise TypeError(f"{type(module).__name__}: {name} has dtype {x.dtype} but the module has "
                        f"{p.dtype}; convert with x.to({p.dtype}) or module.to({x.dtype}).")


class BasisAssembler(MasteredBuffers):
    """Turns a flat coefficient vector θ (dim,) into the weight matrix W (out, in) of an
    :class:`~groupkit.EquivariantBasis`. Holds the basis as non-persistent buffers (complex
    values as real pairs, so that ``.to(dtype)`` is safe), with float64 masters.

    ``mode`` (default ``"auto"``): ``"sparse"`` (one gather + one scatter-add), ``"dense"`` (one
    matmul with the dense basis; tiny bases) or ``"blocks"`` (one small matmul per pair of
    summand types); "auto" picks dense for tiny bases, sparse unless the basis has more than
    about four non-zero entries per entry of W, else blocks. All give the same W.

    >>> import torch
    >>> from groupkit import SO, V, solve
    >>> asm = BasisAssembler(solve(2*V(SO(3)), V(SO(3))), dtype=torch.float64)
    >>> asm(torch.ones(2, dtype=torch.float64)).shape      # θ (dim,) → W (out, in)
    torch.Size([3, 6])
    """

    def __init__(self, basis: EquivariantBasis, *, dtype: torch.dtype | None = None,
                 device=None, mode: str = "auto"):
        super().__init__()
        if mode not in ("auto", "sparse", "dense", "blocks"):
            raise ValueError(f"mode must be 'auto', 'sparse', 'dense' or 'blocks'; got {mode!r}.")
        dtype = dtype or torch.get_default_dtype()
        self.n_out, self.n_in = basis.rep_out.size, basis.rep_in.size
        self.dim = basis.dim
        self.is_complex = basis.is_complex
        n = self.n_out * self.n_in
        nnz = sum(blk.multiplicity[0] * blk.multiplicity[1] * (
            blk.pair.Q.nnz if scipy.sparse.issparse(blk.pair.Q)
            else int(np.count_nonzero(blk.pair.Q))) for blk in basis.blocks)
        if mode == "auto":
            mode = "sparse" if nnz <= _SPARSE_FILL * n + _SPARSE_SLACK else "blocks"
        if mode in ("sparse", "dense"):
            rows, cols, vals = basis._coo()
            self.op = CooOperator(rows, cols, vals.astype(basis.dtype), n, self.dim,
                                  dtype=dtype, device=device,
                                  force="dense" if mode == "dense" else None)
            self.mode = self.op.kind
        else:
            self.mode = "blocks"
            self._init_blocks(basis, dtype, device)

    def _init_blocks(self, basis: EquivariantBasis, dtype, device) -> None:
        out_types, in_types = summand_types(basis.rep_out), summand_types(basis.rep_in)
        self._row_sizes = [t.copies * t.size for t in out_types]
        self._col_sizes = [t.copies * t.size for t in in_types]
        j_of = {t.rep.key: j for j, t in enumerate(out_types)}
        i_of = {t.rep.key: i for i, t in enumerate(in_types)}
        # (j, i) → (kind, buffer index, col_start, b, a, k, s, r)
        self._specs: dict[tuple[int, int], tuple] = {}
        for n, blk in enumerate(basis.blocks):
            b, a = blk.multiplicity
            s, r, k = blk.rep_out.size, blk.rep_in.size, blk.pair.r
            Q = blk.pair.Q
            key = (j_of[blk.rep_out.key], i_of[blk.rep_in.key])
            if scipy.sparse.issparse(Q) and s * r * k > _GATHER_ABOVE and np.all(
                    np.diff(Q.tocsr().indptr) <= 1):
                # Large orbit bases: every row has at most one entry, so W is a gather of θ.
                Qr = Q.tocsr()
                has = np.diff(Qr.indptr) == 1
                col = np.full(Q.shape[0], k, dtype=np.int64)  # index k → an appended zero
                val = np.zeros(Q.shape[0], dtype=Qr.dtype)
                col[has] = Qr.indices
                val[has] = Qr.data
                self.register_buffer(f"col{n}", torch.as_tensor(col, device=device),
                                     persistent=False)
                self._register_master(f"val{n}", val, dtype, device)
                self._specs[key] = ("gather", n, blk.col_start, b, a, k, s, r)
            else:
                Qd = blk.pair.dense().reshape(s * r, k)
                self._register_master(f"Q{n}", Qd, dtype, device)
                self._specs[key] = ("dense", n, blk.col_start, b, a, k, s, r)
        self.n_row_types, self.n_col_types = len(out_types), len(in_types)
        perm_out, perm_in = type_major_permutation(out_types), type_major_permutation(in_types)
        self.permute_rows, self.permute_cols = perm_out is not None, perm_in is not None
        if perm_out is not None:
            self.register_buffer("inv_rows", torch.as_tensor(np.argsort(perm_out), device=device),
                                 persistent=False)
        if perm_in is not None:
            self.register_buffer("inv_cols", torch.as_tensor(np.argsort(perm_in), device=device),
                                 persistent=False)

    def _buffer(self, name: str) -> torch.Tensor:
        t = getattr(self, name)
        return torch.view_as_complex(t) if self.is_complex and t.ndim >= 1 and \
            t.shape[-1] == 2 and t.is_floating_point() and name[0] in "Qv" else t

    def _block(self, spec, theta: torch.Tensor) -> torch.Tensor:
        kind, n, start, b, a, k, s, r = spec
        th = theta[start:start + b * a * k].reshape(b * a, k)
        if kind == "dense":
            Q = self._buffer(f"Q{n}").to(theta.dtype)
            sub = th @ Q.T  # (b·a, s·r)
        else:
            th = torch.cat([th, th.new_zeros(b * a, 1)], dim=1)  # column k is "no orbit"
            sub = th[:, getattr(self, f"col{n}")] * self._buffer(f"val{n}").to(theta.dtype)
        if s * r == 1:
            return sub.reshape(b, a)
        return sub.reshape(b, a, s, r).permute(0, 2, 1, 3).reshape(b * s, a * r)

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        """θ (dim,) → W (out, in), in θ's dtype (complex when the basis is complex)."""
        if self.is_complex and not theta.dtype.is_complex:
            theta = theta.to(complex_dtype_of(theta.dtype))
        if self.mode != "blocks":
            return self.op(theta).view(self.n_out, self.n_in)
        rows = []
        for j in range(self.n_row_types):
            cols = []
            for i in range(self.n_col_types):
                spec = self._specs.get((j, i))
                if spec is None:
                    cols.append(theta.new_zeros(self._row_sizes[j], self._col_sizes[i]))
                else:
                    cols.append(self._block(spec, theta))
            rows.append(cols[0] if len(cols) == 1 else torch.cat(cols, dim=1))
        if not rows:
            return theta.new_zeros(self.n_out, self.n_in)
        W = rows[0] if len(rows) == 1 else torch.cat(rows, dim=0)
        if self.permute_rows:
            W = W.index_select(0, self.inv_rows)
        if self.permute_cols:
            W = W.index_select(1, self.inv_cols)
        return W


class EquivariantLinear(nn.Module):
    """Equivariant affine map x ↦ W x + b with W = Σ θ_k Q_k and b in the invariant part of
    rep_out.

    Input (..., rep_in.size) → output (..., rep_out.size). θ is initialised so that unit-variance
    inputs give outputs of variance about one (‖W‖_F² ≈ rep_out.size, as for LeCun's
    initialisation), whatever the basis dimension; the bias starts at zero. For complex groups θ
    and the output are complex (θ is stored as real pairs, shape (dim, 2)).

    ``state_dict`` holds ``weight`` (dim,) and ``bias`` (dim_bias,) only. NaN inputs propagate to
    the outputs of the samples that contain them; shape, dtype and device mismatches raise.

    >>> import torch
    >>> from groupkit import SO, V
    >>> layer = EquivariantLinear(V(SO(3)) ** 2, V(SO(3)), dtype=torch.float64)
    >>> layer.weight.shape, layer(torch.zeros(7, 9, dtype=torch.float64)).shape
    (torch.Size([1]), torch.Size([7, 3]))
    """

    def __new__(cls, rep_in=None, rep_out=None, *args, method: str = "auto", **kwargs):
        # Symmetric-group tensor reps (sets, graphs, …) are applied as structured operations,
        # never as an (out, in) weight, when that is cheaper (groupkit.nn.permutation).
        if cls is EquivariantLinear and method == "auto" and isinstance(rep_in, Rep) \
                and isinstance(rep_out, Rep):
            from .permutation import PermutationLinear, structured_is_cheaper

            if structured_is_cheaper(rep_in, rep_out):
                return super().__new__(PermutationLinear)
        return super().__new__(cls)

    def __init__(self, rep_in: Rep, rep_out: Rep, *, bias: bool = True, method: str = "auto",
                 dtype: torch.dtype | None = None, device=None):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        self._size_in = rep_in.size
        dtype = dtype or torch.get_default_dtype()
        basis = solve(rep_in, rep_out, method=method)
        self.assembler = BasisAssembler(basis, dtype=dtype, device=device)
        factory = {"dtype": dtype, "device": device}
        shape = (basis.dim, 2) if basis.is_complex else (basis.dim,)
        self.weight = nn.Parameter(torch.empty(shape, **factory))
        self.bias_assembler = None
        if bias:
            bbasis = solve(Scalar, rep_out, method=method)
            self.bias_assembler = BasisAssembler(bbasis, dtype=dtype, device=device)
            bshape = (bbasis.dim, 2) if bbasis.is_complex else (bbasis.dim,)
            self.bias = nn.Parameter(torch.zeros(bshape, **factory))
        else:
            self.register_parameter("bias", None)
        self._cache = AssemblyCache()
        self.reset_parameters()
        attach_fingerprint(self)  # state dicts carry (and check) the basis they were saved with
        warn_if_no_weights(self)

    def reset_parameters(self, gain: float = 1.0) -> None:
        dim = max(self.assembler.dim, 1)
        std = gain * math.sqrt(self.rep_out.size / dim) if self.assembler.dim else 0.0
        if self.assembler.is_complex:  # split the variance between real and imaginary parts
            std /= math.sqrt(2)
        with torch.no_grad():
            self.weight.normal_(0.0, std)
            if self.bias is not None:
                self.bias.zero_()

    @staticmethod
    def _coeffs(p: torch.Tensor, is_complex: bool) -> torch.Tensor:
        return torch.view_as_complex(p) if is_complex else p

    def weight_matrix(self) -> torch.Tensor:
        """The current W, shape (rep_out.size, rep_in.size). Cached while autograd is off
        (``torch.no_grad``/``inference_mode``) until the coefficients change."""
        return self._cache.get("weight", self.weight, lambda: self.assembler(
            self._coeffs(self.weight, self.assembler.is_complex)))

    def bias_vector(self) -> torch.Tensor | None:
        """The current bias, shape (rep_out.size,), or None (cached as ``weight_matrix``)."""
        if self.bias is None:
            return None
        return self._cache.get("bias", self.bias, lambda: self.bias_assembler(
            self._coeffs(self.bias, self.bias_assembler.is_complex)).reshape(-1))

    def _apply(self, fn, *args, **kwargs):
        self._cache.clear()  # a cast or move rebuilds the bases; drop what was built from them
        return super()._apply(fn, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.rep_in, self, ref=self.weight, size=self._size_in)
        W, b = self.weight_matrix(), self.bias_vector()
        if W.dtype.is_complex and not x.dtype.is_complex:
            x = x.to(W.dtype)
        elif x.dtype.is_complex and not W.dtype.is_complex:
            W = W.to(x.dtype)
        if b is not None and b.dtype != x.dtype:
            b = b.to(x.dtype)
        return nn.functional.linear(x, W, b)  # one addmm for x Wᵀ + b

    def extra_repr(self) -> str:
        return f"{self.rep_in} → {self.rep_out}, dim={self.assembler.dim}"

"""Equivariant bases in compact, block form.

Hom(⊕ a_i R_i, ⊕ b_j S_j) = ⊕_{ij} Hom(R_i, S_j) ⊗ R^{b_j × a_i}: the basis of a map between two
direct sums is one small basis per distinct pair of summands, repeated over the copies. An
:class:`EquivariantBasis` keeps exactly that, so a 416-dimensional SO(3) layer is nine small
matrices, and assembles dense or sparse forms, weight matrices and projections on demand.

Convention: W has shape (rep_out.size, rep_in.size); a basis column is vec(W), the row-major
flattening, vec(W)[i·rep_in.size + j] = W[i, j].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from .reps import Rep

__all__ = ["EquivariantBasis", "PairBasis", "Block"]

DENSE_BYTES_LIMIT = 2 ** 31  # refuse to densify a basis larger than 2 GiB


@dataclass(frozen=True, eq=False)
class PairBasis:
    """Basis of Hom(R, S) for two summands R, S: Q is (S.size·R.size, r), orthonormal columns,
    dense ndarray or scipy.sparse (orbit bases). ``exact`` holds the unnormalised integer
    orbit basis when there is one."""

    Q: np.ndarray | scipy.sparse.spmatrix
    method: str
    gap: float
    exact: scipy.sparse.spmatrix | None = None

    @property
    def r(self) -> int:
        return self.Q.shape[1]

    @property
    def is_complex(self) -> bool:
        """The basis has complex entries (sparse orbit bases are real)."""
        return np.iscomplexobj(self.Q) and not scipy.sparse.issparse(self.Q)

    def dense(self) -> np.ndarray:
        return self.Q.toarray() if scipy.sparse.issparse(self.Q) else np.asarray(self.Q)


@dataclass(frozen=True, eq=False)
class Block:
    """All copies of one pair of summands: R at ``in_offsets`` (a copies) in rep_in, S at
    ``out_offsets`` (b copies) in rep_out. Its columns are ordered (b, a, r)."""

    rep_in: Rep
    rep_out: Rep
    in_offsets: np.ndarray
    out_offsets: np.ndarray
    pair: PairBasis
    col_start: int

    @property
    def multiplicity(self) -> tuple[int, int]:
        return len(self.out_offsets), len(self.in_offsets)

    @property
    def dim(self) -> int:
        b, a = self.multiplicity
        return b * a * self.pair.r

    def in_index(self) -> np.ndarray:
        """Coordinates of all copies of R in rep_in, (a·R.size,) in copy-major order."""
        return (self.in_offsets[:, None] + np.arange(self.rep_in.size)[None, :]).ravel()

    def out_index(self) -> np.ndarray:
        return (self.out_offsets[:, None] + np.arange(self.rep_out.size)[None, :]).ravel()


@dataclass(frozen=True, eq=False)
class EquivariantBasis:
    """A basis of the equivariant maps rep_in → rep_out, kept as blocks.

    ``shape`` is (rep_out.size · rep_in.size, dim), as for the dense basis.

    >>> import numpy as np
    >>> from groupkit import SO, V, solve
    >>> b = solve(2*V(SO(3)), 2*V(SO(3)))  # Hom(R², R²) ⊗ span{I}: 4 maps
    >>> b.dim, b.shape, len(b.blocks)
    (4, (36, 4), 1)
    >>> b.dense().shape, b.weight(np.arange(4.0)).shape
    ((36, 4), (6, 6))
    """

    rep_in: Rep
    rep_out: Rep
    blocks: tuple[Block, ...]
    is_complex: bool = False

    @property
    def dim(self) -> int:
        return sum(b.dim for b in self.blocks)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rep_out.size * self.rep_in.size, self.dim)

    @property
    def dtype(self):
        return np.complex128 if self.is_complex else np.float64

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(sorted({b.pair.method for b in self.blocks}))

    @property
    def gap(self) -> float:
        """The smallest spectral gap over the pair solves (inf for exact orbit solves)."""
        return min((b.pair.gap for b in self.blocks), default=float("inf"))

    def __repr__(self) -> str:
        return (f"EquivariantBasis({self.rep_in} → {self.rep_out}, dim={self.dim}, "
                f"blocks={len(self.blocks)}, methods={list(self.methods)})")

    # -- forms -------------------------------------------------------------------------------
    def _coo(self):
        """Row indices, column indices and values of every non-zero entry."""
        n_in = self.rep_in.size
        rows, cols, vals = [], [], []
        for blk in self.blocks:
            Q = scipy.sparse.coo_matrix(blk.pair.Q)
            s_loc, r_loc = np.divmod(Q.row, blk.rep_in.size)
            b, a = blk.multiplicity
            for bi, ob in enumerate(blk.out_offsets):
                for ai, oa in enumerate(blk.in_offsets):
                    rows.append((ob + s_loc) * n_in + oa + r_loc)
                    cols.append(blk.col_start + (bi * a + ai) * blk.pair.r + Q.col)
                    vals.append(Q.data)
        if not rows:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0, self.dtype)
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)

    def sparse(self) -> scipy.sparse.csc_matrix:
        """The basis as a scipy.sparse matrix of ``shape``."""
        r, c, v = self._coo()
        return scipy.sparse.csc_matrix((v.astype(self.dtype), (r, c)), shape=self.shape)

    def dense(self) -> np.ndarray:
        """The basis as a dense (rep_out.size · rep_in.size, dim) array, orthonormal columns."""
        nbytes = self.shape[0] * self.shape[1] * np.dtype(self.dtype).itemsize
        if nbytes > DENSE_BYTES_LIMIT:
            raise MemoryError(
                f"the dense basis would take {nbytes / 2**30:.1f} GiB ({self.shape[0]} × "
                f"{self.shape[1]}); use groupkit.solve(...) and its compact forms "
                "(.sparse(), .weight(θ), .project(W)) instead."
            )
        out = np.zeros(self.shape, dtype=self.dtype)
        r, c, v = self._coo()
        out[r, c] = v
        return out

    # -- maps --------------------------------------------------------------------------------
    def weight(self, theta: np.ndarray) -> np.ndarray:
        """W = Σ_k θ_k Q_k reshaped to (rep_out.size, rep_in.size); θ has shape (dim,)."""
        theta = np.asarray(theta)
        if theta.shape != (self.dim,):
            raise ValueError(f"theta must have shape ({self.dim},); got {theta.shape}.")
        W = np.zeros((self.rep_out.size, self.rep_in.size),
                     dtype=np.result_type(theta, self.dtype))
        for blk in self.blocks:
            b, a = blk.multiplicity
            r = blk.pair.r
            th = theta[blk.col_start:blk.col_start + blk.dim].reshape(b, a, r)
            Q = blk.pair.dense().reshape(blk.rep_out.size, blk.rep_in.size, r)
            sub = np.einsum("sRk,bak->bsaR", Q, th).reshape(b * blk.rep_out.size, -1)
            W[np.ix_(blk.out_index(), blk.in_index())] += sub
        return W

    def coefficients(self, W: np.ndarray) -> np.ndarray:
        """θ = Qᴴ vec(W): coordinates of the projection of W (shape (out, in)) onto the span."""
        W = np.asarray(W)
        if W.shape != (self.rep_out.size, self.rep_in.size):
            raise ValueError(
                f"W must have shape ({self.rep_out.size}, {self.rep_in.size}); got {W.shape}.")
        theta = np.zeros(self.dim, dtype=np.result_type(W, self.dtype))
        for blk in self.blocks:
            b, a = blk.multiplicity
            sub = W[np.ix_(blk.out_index(), blk.in_index())]
            sub = sub.reshape(b, blk.rep_out.size, a, blk.rep_in.size).transpose(0, 2, 1, 3)
            Q = blk.pair.dense()
            th = sub.reshape(b * a, -1) @ Q.conj()
            theta[blk.col_start:blk.col_start + blk.dim] = th.ravel()
        return theta

    def project(self, W: np.ndarray) -> np.ndarray:
        """Orthogonal projection of W (out, in) onto the equivariant maps."""
        return self.weight(self.coefficients(W))

"""Numerical null spaces of a tensor-factored constraint.

The fast path diagonalises one generator (the *pivot*) factor by factor: if ρ_f = P_f Λ_f P_f⁻¹
then the generator acts on U diagonally in the basis ⊗ P_f, with eigenvalue Σ_f λ_f (Lie) or
Π_f λ_f (discrete) on each index tuple. Its null space is spanned by the tuples whose eigenvalue is
0 (or 1) — found by counting, without any linear algebra on U. The other generators are then
written, sparsely, on those tuples only, and a small Gram matrix gives the common null space.
For SO(3) on V^⊗8 this turns 6,561 unknowns into 1,107 (the zero-weight tuples), and the sparse
constraint has O(r0·Σ d_f) entries. Without a diagonalisable generator we fall back to a dense
eigen-solve, which is fine up to a few thousand unknowns.

The rank is read off the spectrum of the Gram matrix: we report the gap between the largest
eigenvalue counted as zero and the smallest counted as non-zero, and warn when it is ambiguous.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse

from ._constraint import Constraint, Generator

log = logging.getLogger("groupkit.solver")

ZERO_TOL = 1e-10       # eigenvalues of the Gram matrix ≤ ZERO_TOL·λ_max count as zero
AMBIGUOUS_TOL = 1e-7   # a "non-zero" eigenvalue below AMBIGUOUS_TOL·λ_max makes the rank doubtful
DENSE_LIMIT = 4096     # largest number of unknowns solved with a dense eigen-decomposition


class SolverError(RuntimeError):
    """The solver cannot handle this problem (with the requested method).

    >>> from groupkit import SO, V, solve, SolverError
    >>> try:
    ...     solve(V(SO(3)), V(SO(3)), method="orbit")
    ... except SolverError:
    ...     print("SO(3) does not act by permutations")
    SO(3) does not act by permutations
    """


class AmbiguousRankWarning(UserWarning):
    """The spectrum has no clear gap between zero and non-zero eigenvalues.

    The size of the gap found is ``EquivariantBasis.gap``; turn the warning into an error with
    ``warnings.simplefilter("error", AmbiguousRankWarning)``.

    >>> from groupkit import AmbiguousRankWarning
    >>> issubclass(AmbiguousRankWarning, UserWarning)
    True
    """


@dataclass(frozen=True)
class NumericSolution:
    Q: np.ndarray      # (N, r), orthonormal columns
    gap: float         # smallest non-zero eigenvalue / largest zero one (inf when exact)
    method: str


def solve(c: Constraint, method: str = "auto") -> NumericSolution:
    """Orthonormal basis of the common null space of the constraint."""
    N = c.n
    dtype = complex if c.is_complex else float
    if not c.generators:
        return NumericSolution(np.eye(N, dtype=dtype), math.inf, "trivial")
    if method in ("auto", "pivot"):
        piv = _best_pivot(c)
        if piv is not None:
            return _solve_pivot(c, piv)
        if method == "pivot":
            raise SolverError("no generator of this group is diagonalisable on every factor; "
                              "use method='dense'.")
    if N > DENSE_LIMIT:
        raise SolverError(
            f"the Hom space has {N} unknowns and no generator could be diagonalised to reduce it; "
            f"the dense solver handles at most {DENSE_LIMIT}. Split the representation into "
            "smaller summands, or give the group a diagonalisable generator."
        )
    return _solve_dense(c)


# -- pivot reduction -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pivot:
    index: int
    P: tuple[np.ndarray, ...]
    Pinv: tuple[np.ndarray, ...]
    selected: np.ndarray  # flat indices of the tuples in the pivot's null space


def _diagonalize(m: np.ndarray):
    w, P = np.linalg.eig(m)
    if not np.all(np.isfinite(P)) or np.linalg.cond(P) > 1e8:
        return None
    Pinv = np.linalg.inv(P)
    scale = max(1.0, np.abs(m).max())
    if np.abs(P @ (w[:, None] * Pinv) - m).max() > 1e-10 * scale:
        return None
    return w, P, Pinv


def _best_pivot(c: Constraint) -> _Pivot | None:
    best = None
    for gi, g in enumerate(c.generators):
        parts = [_diagonalize(m) for m in g.mats]
        if any(p is None for p in parts):
            continue
        lam = np.zeros(1, dtype=complex) if g.lie else np.ones(1, dtype=complex)
        for w, _, _ in parts:
            pairs = lam[:, None] + w[None, :] if g.lie else lam[:, None] * w[None, :]
            lam = pairs.ravel()
        scale = sum(np.abs(w).max() for w, _, _ in parts) if g.lie else 1.0
        target = 0.0 if g.lie else 1.0
        sel = np.flatnonzero(np.abs(lam - target) <= 1e-9 * max(scale, 1.0))
        if best is None or len(sel) < len(best.selected):
            best = _Pivot(gi, tuple(p[1] for p in parts), tuple(p[2] for p in parts), sel)
    return best


def _solve_pivot(c: Constraint, piv: _Pivot) -> NumericSolution:
    sizes, sel = c.sizes, piv.selected
    r0 = len(sel)
    if r0 == 0:
        return NumericSolution(np.zeros((c.n, 0), dtype=complex if c.is_complex else float),
                               math.inf, "pivot")
    T = np.stack(np.unravel_index(sel, sizes), axis=1)  # (r0, F) selected index tuples
    strides = np.array([math.prod(sizes[f + 1:]) for f in range(len(sizes))], dtype=np.int64)
    gram = np.zeros((r0, r0), dtype=complex)
    scale = 0.0
    for gi, g in enumerate(c.generators):
        if gi == piv.index:
            continue
        mats = [Pi @ m @ P for m, P, Pi in zip(g.mats, piv.P, piv.Pinv)]
        if g.lie:
            K = _lie_columns(mats, T, sel, strides, c.n)
        else:
            K = _discrete_columns(mats, T, sel, c.n)
        gram += (K.conj().T @ K).toarray()
        scale += _norm_bound(mats, g.lie) ** 2
    Z, gap = _null_from_gram(gram, scale)
    # Back to the original coordinates: scatter Z onto the selected tuples, apply ⊗ P_f.
    Y = np.zeros((c.n, Z.shape[1]), dtype=complex)
    Y[sel] = Z
    B = Generator(tuple(piv.P), lie=False).apply(Y, sizes)
    return NumericSolution(_orthonormal(B, c.is_complex), gap, "pivot")


def _lie_columns(mats, T, sel, strides, N) -> scipy.sparse.csr_matrix:
    """Σ_f (I ⊗ … ⊗ M_f ⊗ … ⊗ I) restricted to the selected tuples, as a sparse (N, r0)."""
    r0 = len(sel)
    rows, cols, vals = [], [], []
    for f, m in enumerate(mats):
        tf = T[:, f]
        thr = 1e-13 * max(1.0, np.abs(m).max())
        for i in range(m.shape[0]):
            v = m[i, tf]
            nz = np.abs(v) > thr
            if np.any(nz):
                rows.append(sel[nz] + (i - tf[nz]) * strides[f])
                cols.append(np.flatnonzero(nz))
                vals.append(v[nz])
    if not rows:
        return scipy.sparse.csr_matrix((N, r0), dtype=complex)
    return scipy.sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(N, r0), dtype=complex).tocsr()


def _discrete_columns(mats, T, sel, N) -> scipy.sparse.csr_matrix:
    """(⊗_f M_f − I) restricted to the selected tuples: a sparse Khatri–Rao product."""
    r0 = len(sel)
    row = np.zeros(r0, dtype=np.int64)
    col = np.arange(r0)
    val = np.ones(r0, dtype=complex)
    for f, m in enumerate(mats):
        colsf = m[:, T[:, f]]  # (d_f, r0): the column of M_f each tuple picks
        thr = 1e-13 * max(1.0, np.abs(m).max())
        c_nz, r_nz = np.nonzero(np.abs(colsf.T) > thr)  # sorted by column
        v_nz = colsf[r_nz, c_nz]
        a = np.bincount(col, minlength=r0)
        b = np.bincount(c_nz, minlength=r0)
        cnt = a * b
        total = int(cnt.sum())
        out_col = np.repeat(np.arange(r0), cnt)
        local = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        bj = b[out_col]
        ea = (np.cumsum(a) - a)[out_col] + local // bj
        eb = (np.cumsum(b) - b)[out_col] + local % bj
        row = row[ea] * m.shape[0] + r_nz[eb]
        val = val[ea] * v_nz[eb]
        col = out_col
    K = scipy.sparse.coo_matrix((val, (row, col)), shape=(N, r0)).tocsr()
    return K - scipy.sparse.coo_matrix((np.ones(r0), (sel, np.arange(r0))), shape=(N, r0))


# -- dense fallback --------------------------------------------------------------------------

def _solve_dense(c: Constraint) -> NumericSolution:
    eye = np.eye(c.n, dtype=complex if c.is_complex else float)
    gram = np.zeros((c.n, c.n), dtype=eye.dtype)
    scale = 0.0
    for g in c.generators:
        K = g.residual(eye, c.sizes)
        gram += K.conj().T @ K
        scale += _norm_bound(g.mats, g.lie) ** 2
    Z, gap = _null_from_gram(gram, scale)
    return NumericSolution(_orthonormal(Z, c.is_complex), gap, "dense")


# -- shared pieces ---------------------------------------------------------------------------

def _norm_bound(mats, lie: bool) -> float:
    """Upper bound on the spectral norm of one generator's constraint on U = ⊗ factors:
    Σ_f ‖M_f‖ for a Lie element, Π_f ‖M_f‖ + 1 for a discrete one (⊗ M_f − I)."""
    norms = [np.linalg.norm(m, 2) if m.size else 0.0 for m in mats]
    return float(sum(norms)) if lie else float(math.prod(norms)) + 1.0


def _null_from_gram(gram: np.ndarray, scale: float = 0.0) -> tuple[np.ndarray, float]:
    """Eigenvectors of the (Hermitian PSD) Gram matrix with eigenvalue zero, and the gap.

    Eigenvalues are compared with max(λ_max, ``scale``), where ``scale`` bounds the Gram matrix
    of the full constraint: when the constraint happens to vanish on the space solved for, the
    Gram matrix is pure round-off and its own λ_max is no yardstick for "zero".
    """
    gram = (gram + gram.conj().T) / 2
    if not np.iscomplexobj(gram) or not np.any(gram.imag):
        gram = gram.real
    lam, Z = scipy.linalg.eigh(gram)
    top = max(lam[-1] if len(lam) else 0.0, scale)
    if top <= 0:
        return Z, math.inf
    zero = lam <= ZERO_TOL * top
    r = int(zero.sum())
    largest_zero = max(lam[r - 1], 0.0) if r else 0.0
    smallest_nonzero = lam[r] if r < len(lam) else math.inf
    gap = smallest_nonzero / largest_zero if largest_zero > 0 else math.inf
    if smallest_nonzero < AMBIGUOUS_TOL * top:
        warnings.warn(
            f"ambiguous numerical rank: {r} eigenvalues ≤ {ZERO_TOL:g}·λ_max, but the next one is "
            f"only {smallest_nonzero / top:.2e}·λ_max; the basis may be incomplete or contain "
            "non-equivariant directions. Check the generators, or solve exactly.",
            AmbiguousRankWarning, stacklevel=4)
    log.debug("null space %d of %d, gap %.3g", r, len(lam), gap)
    return Z[:, :r], gap


def _orthonormal(B: np.ndarray, is_complex: bool) -> np.ndarray:
    """Orthonormal basis of span(B); for a real problem, of the real span of Re B and Im B."""
    r = B.shape[1]
    if r == 0:
        return np.zeros((B.shape[0], 0), dtype=complex if is_complex else float)
    if not is_complex:
        B = np.concatenate([B.real, B.imag], axis=1) if np.iscomplexobj(B) else B
    U, s, _ = np.linalg.svd(B, full_matrices=False)
    if s[0] == 0:
        raise SolverError("the solver produced a zero basis; please report this problem.")
    rank = int(np.sum(s > 1e-6 * s[0]))
    if rank != r:
        raise SolverError(
            f"expected a real null space of dimension {r} but its real span has dimension "
            f"{rank}; the constraint may not be real, or the rank is ambiguous."
        )
    Q = U[:, :r]
    return _canonical_signs(Q)


def _canonical_signs(Q: np.ndarray) -> np.ndarray:
    """Make the largest entry of each column positive real, so results are reproducible."""
    if Q.shape[1] == 0:
        return Q
    idx = np.argmax(np.abs(Q), axis=0)
    piv = Q[idx, np.arange(Q.shape[1])]
    return Q * (np.abs(piv) / piv)[None, :]

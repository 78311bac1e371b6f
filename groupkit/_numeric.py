"""Numerical null spaces of a tensor-factored constraint.

Every solve starts from the *balanced* constraint (:meth:`Constraint.balanced`: an exact diagonal
change of coordinates per tensor factor, so units do not matter) and measures each generator
against its own norm (so the size of a Lie generator does not matter). Three methods, tried in
this order, each checked before its answer is accepted:

* **pivot** — diagonalise one generator factor by factor: if ρ_f = P_f Λ_f P_f⁻¹ then it acts on U
  diagonally in the basis ⊗ P_f, with eigenvalue Σ_f λ_f (Lie) or Π_f λ_f (discrete) on each index
  tuple. Its null space lies among the tuples whose eigenvalue is (near) 0 or 1 — found by
  counting. The other generators are written sparsely on those tuples only. For SO(3) on V^⊗8
  this turns 6,561 unknowns into 1,107.
* **graded** — for Lie algebras with no diagonalisable element (Heisenberg, unipotent groups): a
  diagonalisable H normalising the algebra splits the invariants into H's weight spaces
  (:mod:`groupkit._grading`), solved one small block at a time.
* **dense** — the whole constraint, up to ``DENSE_LIMIT`` unknowns.

Ranks are decided on singular values (:mod:`groupkit._kernel`). A result is accepted only if its
rank is unambiguous and every returned map satisfies every generator's constraint to
``CHECK_TOL`` relative to that generator's norm; otherwise the next method is tried, and if none
is clear the best answer is returned with an :class:`AmbiguousRankWarning` that says so.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse

from . import _kernel
from ._constraint import Constraint, Generator

log = logging.getLogger("groupkit.solver")

ZERO_TOL = _kernel.ZERO_TOL
AMBIGUOUS_TOL = _kernel.AMBIGUOUS_TOL
CHECK_TOL = 1e-8       # largest accepted relative residual of a returned map, per generator
ACCURACY_TOL = 1e-9    # residual / σ_min (a bound on the subspace error) accepted at once
DENSE_LIMIT = 4096     # largest number of unknowns solved with a dense eigen-decomposition
SELECT_TOL = 1e-6      # pivot tuples within this (relative) of the target eigenvalue are kept


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
    """The spectrum has no clear gap between zero and non-zero singular values.

    The size of the gap found is ``EquivariantBasis.gap``; turn the warning into an error with
    ``warnings.simplefilter("error", AmbiguousRankWarning)``.

    >>> from groupkit import AmbiguousRankWarning
    >>> issubclass(AmbiguousRankWarning, UserWarning)
    True
    """


@dataclass(frozen=True)
class NumericSolution:
    Q: np.ndarray      # (N, r), orthonormal columns
    gap: float         # smallest non-zero singular value / largest zero one (inf when exact)
    method: str


@dataclass(frozen=True)
class _Attempt:
    Y: np.ndarray          # basis in balanced coordinates (N, r)
    largest_zero: float
    smallest_nonzero: float
    method: str
    kappa: float = 1.0     # condition number of the change of basis the solve worked in

    @property
    def floor(self) -> float:
        """Singular values below this are not trustworthy: a thousand roundings, amplified
        by the conditioning of the change of basis."""
        return 1e3 * np.finfo(float).eps * self.kappa

    @property
    def gap(self) -> float:
        return math.inf if self.largest_zero <= 0 else self.smallest_nonzero / self.largest_zero

    @property
    def ambiguous(self) -> bool:
        return (self.smallest_nonzero < max(_kernel.AMBIGUOUS_TOL, self.floor)
                or self.gap < _kernel.MIN_GAP)


def _discrete_kappa(c: Constraint) -> float:
    """max over discrete generators and factors of cond(M_f)/10: a discrete generator given in
    ill-conditioned coordinates carries rounding errors ε·cond(M_f) relative to its constraint,
    so singular values below that cannot be told from zero."""
    k = 1.0
    for g in c.generators:
        if not g.lie:
            k = max(k, max(np.linalg.cond(m) for m in g.mats) / 10)
    return k


def _kappa(P) -> float:
    """Condition number of ⊗ P_f."""
    return float(math.prod(np.linalg.cond(p) for p in P))


def solve(c: Constraint, method: str = "auto") -> NumericSolution:
    """Orthonormal basis of the common null space of the constraint."""
    N = c.n
    dtype = complex if c.is_complex else float
    if not c.generators:
        return NumericSolution(np.eye(N, dtype=dtype), math.inf, "trivial")
    cb, scales = c.balanced()
    base = _discrete_kappa(cb)
    runs = []
    if method in ("auto", "pivot"):
        piv = _best_pivot(cb)
        if piv is not None:
            runs.append(("pivot", lambda: _solve_pivot(cb, piv)))
        elif method == "pivot":
            raise SolverError("no generator of this group is diagonalisable on every factor; "
                              "use method='dense'.")
    if method == "auto" and any(g.lie for g in cb.generators):
        runs.append(("graded", lambda: _solve_graded(cb, scales)))
    if method in ("auto", "dense") and N <= DENSE_LIMIT:
        runs.append(("dense", lambda: _solve_dense(cb)))
    if not runs:
        raise SolverError(
            f"the Hom space has {N} unknowns and no generator could be diagonalised to reduce it; "
            f"the dense solver handles at most {DENSE_LIMIT}. Split the representation into "
            "smaller summands, or give the group a diagonalisable generator.")
    best, fallback, problems = None, None, []
    for name, run in runs:
        try:
            att = run()
            att = dataclasses.replace(att, kappa=max(att.kappa, base))
        except SolverError as e:
            problems.append(f"{name}: {e}")
            log.debug("%s failed: %s", name, e)
            continue
        Q, worst = _finish(c, cb, scales, att)
        if worst > CHECK_TOL:
            problems.append(f"{name}: a returned map has relative residual {worst:.1e}")
            continue
        if att.ambiguous:
            problems.append(f"{name}: ambiguous rank (smallest non-zero singular value "
                            f"{att.smallest_nonzero:.1e}, largest zero {att.largest_zero:.1e})")
            if fallback is None:
                fallback = (Q, att)
            continue
        # sin ∠(computed, true) ≤ residual / σ_min, and σ_min in the user's coordinates may be
        # κ times smaller than in the solve's: accept at once when that bound is small, else
        # keep the most accurate answer and let a better-conditioned method try.
        sn = att.smallest_nonzero / att.kappa
        bound = worst / sn if sn > 0 else math.inf
        if bound <= ACCURACY_TOL:
            return NumericSolution(Q, att.gap, att.method)
        if best is None or bound < best[0]:
            best = (bound, Q, att)
    if best is not None:
        _, Q, att = best
        return NumericSolution(Q, att.gap, att.method)
    if fallback is None:
        raise SolverError("no method found a verified null space: " + "; ".join(problems)
                          + ". The generators may be too ill-conditioned in these coordinates; "
                          "rescale them or solve exactly.")
    Q, att = fallback
    warnings.warn(
        f"ambiguous numerical rank: {Q.shape[1]} maps kept, but the smallest singular value "
        f"counted as non-zero is {att.smallest_nonzero:.1e} (largest counted as zero "
        f"{att.largest_zero:.1e}), relative to each generator's norm; the basis may be incomplete "
        "or contain non-equivariant directions. Check the generators (are they exact? "
        "well-conditioned?), or solve exactly. Details: " + "; ".join(problems),
        AmbiguousRankWarning, stacklevel=4)
    return NumericSolution(Q, att.gap, att.method)


def _finish(c: Constraint, cb: Constraint, scales, att: _Attempt) -> tuple[np.ndarray, float]:
    """Back to the user's coordinates, orthonormal, and the worst relative residual (checked in
    the balanced coordinates, where each generator's norm is meaningful)."""
    Y = att.Y
    if Y.shape[1] == 0:
        return np.zeros((c.n, 0), dtype=complex if c.is_complex else float), 0.0
    if any(np.any(s != 1.0) for s in scales):
        Y = Generator(tuple(np.diag(s) for s in scales), lie=False).apply(Y, c.sizes)
        Q = _canonical_signs(_combine_orthonormal(Y))
    else:
        Q = _orthonormal(Y, c.is_complex)
    Yb = Q if cb is c else Generator(tuple(np.diag(1.0 / s) for s in scales), lie=False
                                     ).apply(Q, c.sizes)
    worst = float(cb.column_residuals(Yb).max())
    return Q, worst


# -- pivot reduction -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Pivot:
    index: int
    P: tuple[np.ndarray, ...]
    Pinv: tuple[np.ndarray, ...]
    selected: np.ndarray  # flat indices of the tuples near the pivot's null space
    offset: np.ndarray    # the pivot's eigenvalue minus its target on those tuples
    excluded: float       # smallest relative |eigenvalue − target| among the other tuples


def _diagonalize(m: np.ndarray):
    """(w, P, P⁻¹) with m = P diag(w) P⁻¹, or None when m is not safely diagonalisable."""
    if m.size == 0:
        return None
    w, P = np.linalg.eig(m)
    if not np.all(np.isfinite(P)) or np.linalg.cond(P) > 1e8:
        return None
    Pinv = np.linalg.inv(P)
    scale = max(np.abs(m).max(), 1e-300)
    if np.abs(P @ (w[:, None] * Pinv) - m).max() > 1e-10 * scale * np.linalg.cond(P):
        return None
    return w, P, Pinv


def _tuple_values(ws, lie: bool) -> np.ndarray:
    """Σ_f w_f[i_f] (lie) or Π_f w_f[i_f] over all index tuples, row-major."""
    lam = np.zeros(1, dtype=complex) if lie else np.ones(1, dtype=complex)
    for w in ws:
        lam = (lam[:, None] + w[None, :] if lie else lam[:, None] * w[None, :]).ravel()
    return lam


def _best_pivot(c: Constraint) -> _Pivot | None:
    best = None
    for gi, g in enumerate(c.generators):
        parts = [_diagonalize(m) for m in g.mats]
        if any(p is None for p in parts):
            continue
        ws = [p[0] for p in parts]
        lam = _tuple_values(ws, g.lie)
        if g.lie:
            rel = np.abs(lam) / max(sum(np.abs(w).max() for w in ws), 1e-300)
            off = lam
        else:
            off = lam - 1.0
            rel = np.abs(off) / np.maximum(1.0, np.abs(lam))
        keep = rel <= SELECT_TOL
        sel = np.flatnonzero(keep)
        if best is None or len(sel) < len(best.selected):
            excluded = float(rel[~keep].min()) if not keep.all() else math.inf
            best = _Pivot(gi, tuple(p[1] for p in parts), tuple(p[2] for p in parts), sel,
                          off[sel], excluded)
    return best


def _solve_pivot(c: Constraint, piv: _Pivot) -> _Attempt:
    sizes, sel = c.sizes, piv.selected
    r0 = len(sel)
    kappa = _kappa(piv.P)
    if r0 == 0:
        return _Attempt(np.zeros((c.n, 0)), 0.0, piv.excluded, "pivot", kappa)
    T = np.stack(np.unravel_index(sel, sizes), axis=1)  # (r0, F) selected index tuples
    strides = _strides(sizes)
    blocks = []
    for gi, g in enumerate(c.generators):
        mats = [Pi @ m @ P for m, P, Pi in zip(g.mats, piv.P, piv.Pinv)]
        bound = Generator(tuple(mats), g.lie).bound()
        if gi == piv.index:  # diagonal on the selected tuples: keeps near-misses honest
            blocks.append(scipy.sparse.diags(piv.offset / bound))
            continue
        K = (_lie_columns(mats, T, sel, strides, c.n) if g.lie
             else _discrete_columns(mats, T, sel, c.n))
        blocks.append(K / bound)
    ker = _kernel.kernel(blocks, r0)
    Y = np.zeros((c.n, ker.Z.shape[1]), dtype=np.result_type(ker.Z, *piv.P))
    Y[sel] = ker.Z
    B = Generator(tuple(piv.P), lie=False).apply(Y, sizes)
    return _Attempt(_orthonormal(B, c.is_complex), ker.largest_zero,
                    min(ker.smallest_nonzero, piv.excluded), "pivot", kappa)


def _strides(sizes) -> np.ndarray:
    return np.array([math.prod(sizes[f + 1:]) for f in range(len(sizes))], dtype=np.int64)


def _lie_columns(mats, T, sel, strides, N) -> scipy.sparse.csr_matrix:
    """Σ_f (I ⊗ … ⊗ M_f ⊗ … ⊗ I) restricted to the selected tuples, as a sparse (N, r0)."""
    r0 = len(sel)
    rows, cols, vals = [], [], []
    for f, m in enumerate(mats):
        tf = T[:, f]
        thr = 1e-15 * np.abs(m).max() if m.size else 0.0
        for i in range(m.shape[0]):
            v = m[i, tf]
            nz = np.abs(v) > thr
            if np.any(nz):
                rows.append(sel[nz] + (i - tf[nz]) * strides[f])
                cols.append(np.flatnonzero(nz))
                vals.append(v[nz])
    dtype = np.result_type(*mats, np.float64)
    if not rows:
        return scipy.sparse.csr_matrix((N, r0), dtype=dtype)
    return scipy.sparse.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(N, r0), dtype=dtype).tocsr()


def _discrete_columns(mats, T, sel, N) -> scipy.sparse.csr_matrix:
    """(⊗_f M_f − I) restricted to the selected tuples: a sparse Khatri–Rao product."""
    r0 = len(sel)
    row = np.zeros(r0, dtype=np.int64)
    col = np.arange(r0)
    val = np.ones(r0, dtype=complex)
    for f, m in enumerate(mats):
        colsf = m[:, T[:, f]]  # (d_f, r0): the column of M_f each tuple picks
        thr = 1e-15 * np.abs(m).max() if m.size else 0.0
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


# -- graded solve (no diagonalisable generator) ---------------------------------------------

def _weight_blocks(weights: np.ndarray, tol: float) -> list[np.ndarray]:
    """Index sets of equal weights (within tol): split the sorted real parts at gaps > tol,
    then each run by its imaginary parts the same way."""
    out = []
    for run in _split(np.argsort(weights.real, kind="stable"), weights.real, tol):
        out.extend(_split(run[np.argsort(weights.imag[run], kind="stable")], weights.imag, tol))
    return out


def _split(order: np.ndarray, values: np.ndarray, tol: float) -> list[np.ndarray]:
    v = values[order]
    cuts = np.flatnonzero(np.diff(v) > tol) + 1
    return np.split(order, cuts)


def _solve_graded(c: Constraint, scales) -> _Attempt:
    from ._grading import factor_gradings

    H = factor_gradings(c.rep)
    if H is None:
        raise SolverError("no diagonalisable element normalises this group's Lie algebra "
                          "(or a factor is a user representation)")
    H = [(h * s[None, :]) / s[:, None]  # D⁻¹ H D, as the generators were balanced
         for h, s in zip(H, scales)]
    parts = [_diagonalize(h) for h in H]
    if any(p is None for p in parts):
        raise SolverError("the grading element is not diagonalisable on every factor")
    P = tuple(p[1] for p in parts)
    Pinv = tuple(p[2] for p in parts)
    # Weights equal in exact arithmetic must land in one block (splitting one loses solutions;
    # merging two costs only time): merge within 1e-6, which must dwarf the eigenvalue errors.
    if 1e3 * np.finfo(float).eps * max(np.linalg.cond(p) for p in P) > 1e-7:
        raise SolverError("the grading's eigenvectors are too ill-conditioned to split by weight")
    weights = _tuple_values([p[0] for p in parts], lie=True)
    scale = sum(np.abs(p[0]).max() for p in parts)
    lie = [g for g in c.generators if g.lie]
    disc = [g for g in c.generators if not g.lie]
    gens = [[Pi @ m @ Pf for m, Pf, Pi in zip(g.mats, P, Pinv)] for g in lie]
    bounds = [Generator(tuple(m), True).bound() for m in gens]
    strides = _strides(c.sizes)
    cols, kers = [], []
    for sel in _weight_blocks(weights, 1e-6 * max(scale, 1e-300)):
        sel = np.sort(sel)
        T = np.stack(np.unravel_index(sel, c.sizes), axis=1)
        blocks = [_lie_columns(m, T, sel, strides, c.n) / b for m, b in zip(gens, bounds)]
        ker = _kernel.kernel(blocks, len(sel))
        kers.append(ker)
        if ker.Z.shape[1]:
            cols.append((sel, ker.Z))
    r = sum(Z.shape[1] for _, Z in cols)
    Y = np.zeros((c.n, r), dtype=np.result_type(*P, *[Z for _, Z in cols]))
    j = 0
    for sel, Z in cols:
        Y[sel, j:j + Z.shape[1]] = Z
        j += Z.shape[1]
    B = _orthonormal(Generator(P, lie=False).apply(Y, c.sizes), c.is_complex)
    lz, sn = _kernel.merge(kers)
    if disc and B.shape[1]:
        ker = _kernel.kernel([g.residual(B, c.sizes) / g.bound() for g in disc], B.shape[1])
        B = B @ ker.Z
        lz, sn = max(lz, ker.largest_zero), min(sn, ker.smallest_nonzero)
    return _Attempt(B, lz, sn, "graded", _kappa(P))


# -- dense fallback --------------------------------------------------------------------------

def _solve_dense(c: Constraint) -> _Attempt:
    eye = np.eye(c.n, dtype=complex if c.is_complex else float)
    blocks = [g.residual(eye, c.sizes) / g.bound() for g in c.generators]
    ker = _kernel.kernel(blocks, c.n)
    return _Attempt(ker.Z, ker.largest_zero, ker.smallest_nonzero, "dense")


# -- shared pieces ---------------------------------------------------------------------------

def _orthonormal(B: np.ndarray, is_complex: bool) -> np.ndarray:
    """Orthonormal basis of span(B); for a real problem, of the real span of Re B and Im B
    (which has the same dimension: the null space of a real constraint is closed under
    conjugation)."""
    r = B.shape[1]
    if r == 0:
        return np.zeros((B.shape[0], 0), dtype=complex if is_complex else float)
    B = B / np.maximum(np.linalg.norm(B, axis=0), 1e-300)
    if not is_complex and np.iscomplexobj(B):
        B = np.concatenate([B.real, B.imag], axis=1)
    if B.shape[1] == r:  # no real/imaginary doubling: a QR is enough
        Q, R = np.linalg.qr(B)
        d = np.abs(np.diag(R))
        if d.min() < 1e-13 * d.max():
            raise SolverError("the solution's basis is numerically rank-deficient")
        return _canonical_signs(Q)
    U, s, _ = np.linalg.svd(B, full_matrices=False)
    if s[0] == 0:
        raise SolverError("the solver produced a zero basis; please report this problem.")
    if len(s) > r and s[r] > 1e-3 * s[r - 1]:
        raise SolverError(
            f"expected a real null space of dimension {r} but the real span of the solution has "
            f"no clear dimension (singular values {s[r - 1]:.1e}, {s[r]:.1e}).")
    if s[r - 1] < 1e-13 * s[0]:
        raise SolverError("the solution's basis is numerically rank-deficient")
    return _canonical_signs(U[:, :r])


def _combine_orthonormal(B: np.ndarray) -> np.ndarray:
    """Orthonormalise the columns of B as Q = B R⁻¹ (twice, as in CholeskyQR2): each column of
    Q is a combination of B's columns, so an entry of size 10⁻¹² (a basis in badly scaled units)
    keeps its relative accuracy — a Householder QR would give it only absolute accuracy."""
    for _ in range(2):
        R = np.linalg.qr(B, mode="r")
        B = scipy.linalg.solve_triangular(R.T, B.T, lower=True).T
    return B


def _canonical_signs(Q: np.ndarray) -> np.ndarray:
    """Make the largest entry of each column positive real, so results are reproducible; among
    entries equal to rounding (±1/√6, ∓1/√6 …) the first one, so ties do not hang on noise."""
    if Q.shape[1] == 0:
        return Q
    a = np.abs(Q)
    idx = np.argmax(a >= a.max(axis=0, keepdims=True) * (1 - 1e-9), axis=0)
    piv = Q[idx, np.arange(Q.shape[1])]
    return Q * (np.abs(piv) / piv)[None, :]

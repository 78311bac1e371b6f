"""Exact equivariant bases over the rationals, verified exactly.

Three routes, tried in order for each pair of summands:

1. signed-permutation actions: the orbit basis is exact by construction (entries 0, ±1);
2. the numeric → exact bridge: row-reduce the numeric basis, round to nearby rationals, and keep
   the result only if the exact constraint annihilates it and the rank is unchanged;
3. an exact null space of the stacked constraint, scaled to integers and built sparse with
   Kronecker products: python-flint's ``fmpz_mat.nullspace`` where installed (the ``exact`` extra),
   else sympy's sparse ``DomainMatrix`` over QQ.

Nothing is returned that was not checked in exact arithmetic. Groups whose generators are not
rational (the icosahedral group, D(5), SU(n)) raise :class:`ExactSolveError`.

>>> from groupkit import SO, V, Scalar, equivariant_basis
>>> equivariant_basis(V(SO(3))**2, V(SO(3)), exact=True).T
Matrix([[0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0]])
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import scipy.linalg
import scipy.sparse
import sympy
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from ._constraint import Constraint, Generator
from .reps import Rep
from .solver import _check_reps, _summand_table, hom_space, solve_pair

__all__ = ["exact_basis", "rationalize", "ExactSolveError"]

MAX_DENOMINATOR = 10 ** 6


class ExactSolveError(ValueError):
    """An exact solve was asked of a problem that has no rational description.

    >>> from groupkit import Icosahedral, V, equivariant_basis
    >>> try:
    ...     equivariant_basis(V(Icosahedral()), V(Icosahedral()), exact=True)   # golden ratio
    ... except ExactSolveError:
    ...     print("no rational description")
    no rational description
    """


def _rational(x: float, where: str) -> Fraction:
    if isinstance(x, complex) or np.iscomplexobj(x):
        if np.imag(x) != 0:
            raise ExactSolveError(
                f"{where} has the complex entry {x}; exact solving supports real rational "
                "generators only (use the numeric solver for complex groups).")
        x = float(np.real(x))
    f = Fraction(float(x)).limit_denominator(MAX_DENOMINATOR)
    if float(f) != float(x):
        raise ExactSolveError(
            f"{where} has the entry {float(x)!r}, which is not a rational number with "
            f"denominator ≤ {MAX_DENOMINATOR}; exact solving needs rational generators (SO(n), "
            "O(n), Lorentz, Sp, S(n), Z(n), D(4), the Rubik's cube …). Use the numeric solver.")
    return f


def _exact_mats(c: Constraint) -> list[tuple[list[np.ndarray], bool]]:
    out = []
    for gi, g in enumerate(c.generators):
        mats = []
        for m in g.mats:
            flat = [_rational(v, f"generator {gi}") for v in np.asarray(m).ravel()]
            mats.append(np.array(flat, dtype=object).reshape(m.shape))
        out.append((mats, g.lie))
    return out


def _exact_residual_is_zero(exact_gens, sizes, X: np.ndarray) -> bool:
    for mats, lie in exact_gens:
        R = Generator(tuple(mats), lie).residual(X, sizes)
        if any(v != 0 for v in R.ravel()):
            return False
    return True


def rationalize(Q: np.ndarray, max_denominator: int = MAX_DENOMINATOR) -> np.ndarray:
    """A rational basis (object array of Fractions, shape (N, r)) of span(Q), found by reducing
    Qᵀ to row echelon form on r pivot columns and rounding. Not verified: see exact_basis.

    >>> import numpy as np
    >>> rationalize(np.array([[0.5], [0.25]]) * 3).T.tolist()
    [[Fraction(1, 1), Fraction(1, 2)]]
    """
    Q = np.asarray(Q)
    r = Q.shape[1]
    if r == 0:
        return np.zeros((Q.shape[0], 0), dtype=object)
    _, _, piv = scipy.linalg.qr(Q.T, pivoting=True, mode="economic")
    piv = np.sort(piv[:r])
    R = np.linalg.solve(Q[piv].T, Q.T)  # (r, N), identity on the pivot columns
    frac = np.vectorize(lambda v: Fraction(float(v)).limit_denominator(max_denominator),
                        otypes=[object])
    return frac(R.real).T


def _integer_constraint(exact_gens, sizes, N) -> scipy.sparse.csr_matrix:
    """All constraints stacked as one sparse integer matrix (rows, N), each generator's rows
    scaled by a common denominator. Entries are exact integers held in float64 (checked < 2^52)."""
    blocks = []
    for mats, lie in exact_gens:
        dens = [int(np.lcm.reduce([v.denominator for v in m.ravel()])) for m in mats]
        scale = int(np.lcm.reduce(dens)) if lie else int(np.prod(dens))
        ints = [np.array([[int(v * (scale if lie else d)) for v in row] for row in m], dtype=float)
                for m, d in zip(mats, dens)]
        if lie:
            M = scipy.sparse.csr_matrix((N, N))
            for f, m in enumerate(ints):
                left = scipy.sparse.identity(int(np.prod(sizes[:f], dtype=np.int64)))
                right = scipy.sparse.identity(int(np.prod(sizes[f + 1:], dtype=np.int64)))
                M = M + scipy.sparse.kron(scipy.sparse.kron(left, m), right)
        else:
            M = scipy.sparse.csr_matrix(np.ones((1, 1)))
            for m in ints:
                M = scipy.sparse.kron(M, m, format="csr")
            M = M - scale * scipy.sparse.identity(N)
        blocks.append(scipy.sparse.csr_matrix(M))
    M = scipy.sparse.vstack(blocks, format="csr") if blocks else scipy.sparse.csr_matrix((0, N))
    M.eliminate_zeros()
    if M.nnz and np.abs(M.data).max() >= 2 ** 52:
        raise ExactSolveError("the integer constraint has entries too large for exact float64.")
    return M


def _exact_nullspace(M: scipy.sparse.csr_matrix) -> np.ndarray:
    """Exact null space (N, r) of an integer matrix, as Fractions: python-flint where
    installed, else sympy's sparse DomainMatrix over QQ."""
    N = M.shape[1]
    M = M[np.flatnonzero(np.diff(M.indptr))]  # drop empty rows
    try:
        import flint
    except ImportError:
        flint = None
    if flint is not None and M.shape[0]:
        dense = M.toarray().astype(np.int64).tolist()
        X, nullity = flint.fmpz_mat(dense).nullspace()
        cols = [[int(X[i, j]) for j in range(nullity)] for i in range(N)]
        return np.array([[Fraction(v) for v in row] for row in cols], dtype=object).reshape(
            N, nullity)
    rows = {}
    for i in range(M.shape[0]):
        lo, hi = M.indptr[i], M.indptr[i + 1]
        rows[i] = {int(j): QQ(int(v)) for j, v in zip(M.indices[lo:hi], M.data[lo:hi])}
    ns = DomainMatrix(rows, (M.shape[0], N), QQ).nullspace().to_Matrix().T
    out = np.empty(ns.shape, dtype=object)
    for i in range(ns.shape[0]):
        for j in range(ns.shape[1]):
            out[i, j] = Fraction(int(ns[i, j].p), int(ns[i, j].q))
    return out


def exact_pair(R: Rep, S: Rep) -> np.ndarray:
    """Exact basis of Hom(R, S): an object array of Fractions (S.size · R.size, r)."""
    U = hom_space(R, S)
    c = Constraint.of(U)
    if c.is_complex:
        raise ExactSolveError(f"{U.group} is complex; exact solving supports real groups only.")
    pair = solve_pair(R, S)
    if pair.exact is not None:
        E = pair.exact.toarray()
        return np.vectorize(lambda v: Fraction(int(v)), otypes=[object])(E).reshape(E.shape)
    exact_gens = _exact_mats(c)
    if pair.r == 0:
        return np.zeros((c.n, 0), dtype=object)
    X = rationalize(pair.dense())
    if _exact_residual_is_zero(exact_gens, c.sizes, X):
        return X
    X = _exact_nullspace(_integer_constraint(exact_gens, c.sizes, c.n))
    if X.shape[1] != pair.r:
        raise ExactSolveError(
            f"the exact null space of Hom({R}, {S}) has dimension {X.shape[1]} but the numeric "
            f"one {pair.r}; the numerical rank is unreliable here.")
    return X


def exact_basis(rep_in: Rep, rep_out: Rep) -> sympy.Matrix:
    """Exact basis (rep_out.size · rep_in.size, r) of the equivariant maps, as a sympy Matrix of
    rationals; column k reshaped row-major to (rep_out.size, rep_in.size) is an equivariant W.
    Columns follow the order of :func:`groupkit.solve` (blocks, then copies, then pair basis).

    >>> from groupkit import S, V
    >>> exact_basis(V(S(3)), V(S(3))).T                 # I and the all-ones matrix, as orbits
    Matrix([
    [1, 0, 0, 0, 1, 0, 0, 0, 1],
    [0, 1, 1, 1, 0, 1, 1, 1, 0]])
    """
    rep_in, rep_out = _check_reps(rep_in, rep_out)
    n_in = rep_in.size
    N = rep_out.size * n_in
    entries: dict[tuple[int, int], sympy.Rational] = {}
    col = 0
    for S, out_offsets in _summand_table(rep_out):
        for R, in_offsets in _summand_table(rep_in):
            X = exact_pair(R, S)
            r = X.shape[1]
            if r == 0:
                continue
            nz = [(i, j, X[i, j]) for i, j in zip(*np.nonzero(X != 0))]
            for ob in out_offsets:
                for oa in in_offsets:
                    for i, j, v in nz:
                        s, t = divmod(int(i), R.size)
                        entries[((ob + s) * n_in + oa + t, col + int(j))] = sympy.Rational(
                            v.numerator, v.denominator)
                    col += r
    return sympy.Matrix(sympy.SparseMatrix(N, col, entries))

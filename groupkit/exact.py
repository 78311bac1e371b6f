"""Exact equivariant bases over the rationals, verified exactly.

Three routes, tried in order for each pair of summands:

1. signed-permutation actions: the orbit basis is exact by construction (entries 0, ±1);
2. the numeric → exact bridge: row-reduce the numeric basis, round to nearby rationals, and keep
   the result only if the exact constraint annihilates it and the rank is unchanged;
3. an exact null space of the stacked rational constraint with sympy's ``DomainMatrix`` over QQ
   (sparse fraction-free elimination; python-flint accelerates it where installed).

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
import sympy
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from ._constraint import Constraint, Generator
from .reps import Rep
from .solver import _check_reps, _summand_table, hom_space, solve_pair

__all__ = ["exact_basis", "rationalize", "ExactSolveError"]

MAX_DENOMINATOR = 10 ** 6


class ExactSolveError(ValueError):
    """An exact solve was asked of a problem that has no rational description."""


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
    Qᵀ to row echelon form on r pivot columns and rounding. Not verified: see exact_basis."""
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


def _domain_nullspace(exact_gens, sizes, N) -> np.ndarray:
    rows = {}
    k = 0
    eye = np.empty((N, N), dtype=object)
    eye.fill(Fraction(0))
    np.fill_diagonal(eye, Fraction(1))
    for mats, lie in exact_gens:
        C = Generator(tuple(mats), lie).residual(eye, sizes)
        for i in range(N):
            row = {j: QQ(v.numerator, v.denominator) for j, v in enumerate(C[i]) if v != 0}
            if row:
                rows[k] = row
                k += 1
    M = DomainMatrix.from_dict_sympy(k, N, {i: {j: sympy.Rational(v.numerator, v.denominator)
                                                   for j, v in row.items()}
                                               for i, row in rows.items()}) if k else None
    if M is None:
        return np.array([[Fraction(int(i == j)) for j in range(N)] for i in range(N)], dtype=object)
    ns = M.to_sparse().convert_to(QQ).nullspace()
    basis = ns.to_Matrix().T
    out = np.empty(basis.shape, dtype=object)
    for i in range(basis.shape[0]):
        for j in range(basis.shape[1]):
            v = basis[i, j]
            out[i, j] = Fraction(int(v.p), int(v.q))
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
    X = _domain_nullspace(exact_gens, c.sizes, c.n)
    if X.shape[1] != pair.r:
        raise ExactSolveError(
            f"the exact null space of Hom({R}, {S}) has dimension {X.shape[1]} but the numeric "
            f"one {pair.r}; the numerical rank is unreliable here.")
    return X


def exact_basis(rep_in: Rep, rep_out: Rep) -> sympy.Matrix:
    """Exact basis (rep_out.size · rep_in.size, r) of the equivariant maps, as a sympy Matrix of
    rationals; column k reshaped row-major to (rep_out.size, rep_in.size) is an equivariant W.
    Columns follow the order of :func:`groupkit.solve` (blocks, then copies, then pair basis)."""
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

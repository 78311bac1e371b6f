"""Exact equivariant bases over the rationals: exact matrices, an exact dimension, exact checks.

For each distinct pair of summands (R, S), on U = S ⊗ R*:

1. **signed-permutation actions** (S(n), Z(n), the cube groups, Sym/Λ powers of them …): the
   orbit basis is exact and complete by construction (entries 0, ±1);
2. otherwise every generator's factor matrices are computed **in exact arithmetic** from exact
   generators (:mod:`groupkit._exact_reps`) and scaled to integers;
3. the **dimension** is the nullity of the stacked integer constraint modulo a prime p.
   Reduction mod p can only lower a rank, so nullity_p ≥ nullity_Q: it is an exact upper bound.
   It is factor-structured where a generator diagonalises over F_p (:mod:`groupkit._modular`),
   else computed densely generator by generator (up to 2,500 unknowns);
4. candidate solutions — the numeric basis rounded to rationals (a hint only), else the
   mod-p null space lifted to Q by rational reconstruction over several primes — are **verified
   in exact integer arithmetic** against every generator. Verified, linearly independent solutions
   are an exact lower bound; when it meets the upper bound the basis is proved complete;
5. if the bounds do not meet (an unlucky prime, huge entries), an exact null space of the whole
   constraint (python-flint ``fmpz_mat`` where installed, else sympy's ``DomainMatrix``) decides.

Nothing is returned that was not checked in exact arithmetic, and no dimension is taken from the
floating-point solve. Which generators are rational follows the rule in
:mod:`groupkit._exactinput`: Fraction / sympy.Rational / integer input exactly; a float only if it
is exactly the float of some p/q with q ≤ 10⁶. Irrational or complex generators (icosahedral
group, D(5), D(6), SU(n)) raise :class:`ExactSolveError`, never a partial answer.

>>> from groupkit import SO, V, Scalar, equivariant_basis
>>> equivariant_basis(V(SO(3))**2, V(SO(3)), exact=True).T
Matrix([[0, 0, 0, 0, 0, 1, 0, -1, 0, 0, 0, -1, 0, 0, 0, 1, 0, 0, 0, 1, 0, -1, 0, 0, 0, 0, 0]])
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.linalg
import scipy.sparse
import sympy

from . import _orbits
from ._exact_reps import exact_discrete, exact_drho, exact_lie, exact_rho, has_exact_input
from ._exactinput import MAX_DENOMINATOR, ExactSolveError
from ._modular import (_flint, candidate_primes, lift, nullspace_mod_p,
                       pivot_nullspace_mod_p, rref_mod)
from .reps import Rep
from .solver import _check_reps, _summand_table, hom_space, solve_pair

__all__ = ["exact_basis", "exact_pair", "rationalize", "ExactSolveError", "MAX_DENOMINATOR"]

DENSE_MODULAR_LIMIT = 2500  # largest Hom space (unknowns) whose rank mod p we compute densely
LIFT_PRIMES = 4           # further primes tried when lifting the mod-p null space to Q
EXACT_NULLSPACE_LIMIT = 1500  # largest one for the last-resort exact null space over Q
DENSE_RESULT_LIMIT = 2 * 10 ** 5  # larger exact bases are returned as a sympy.SparseMatrix


# -- the exact constraint ----------------------------------------------------------------------

@dataclass(frozen=True)
class IntGenerator:
    """One generator's constraint on U = ⊗ factors, scaled to integers: for a Lie element
    Σ_f I ⊗ M_f ⊗ I, for a discrete one ⊗_f M_f − scale·I (M_f: object arrays of Python ints)."""

    mats: tuple[np.ndarray, ...]
    lie: bool
    scale: int

    def residual(self, X: np.ndarray, sizes) -> np.ndarray:
        """C X exactly, for an integer array X (N, r) (Python ints or int64)."""
        r = X.shape[1]
        mats = self.mats
        if X.dtype == object and X.size and self._fits_int64(X):
            # exact: every intermediate is bounded below 2^62
            X, mats = X.astype(np.int64), tuple(m.astype(np.int64) for m in mats)
        Xt = X.reshape(*sizes, r)
        if self.lie:
            out = np.zeros(Xt.shape, dtype=X.dtype)
            for f, m in enumerate(mats):
                if any(m.ravel()):
                    out = out + np.moveaxis(np.tensordot(m, Xt, axes=([1], [f])), 0, f)
            return out.reshape(X.shape[0], r)
        Y = Xt
        for f, m in enumerate(mats):
            Y = np.moveaxis(np.tensordot(m, Y, axes=([1], [f])), 0, f)
        return Y.reshape(X.shape[0], r) - self.scale * X

    def _fits_int64(self, X: np.ndarray) -> bool:
        xmax = int(np.abs(X).max())
        norms = [max(sum(abs(int(v)) for v in row) for row in m) if m.size else 0
                 for m in self.mats]
        bound = xmax * (sum(norms) if self.lie else math.prod(norms) + self.scale)
        return bound < 2 ** 62

    def sparse_mod(self, sizes, p: int) -> scipy.sparse.csr_matrix:
        """The constraint as a sparse (N, N) int64 matrix with entries reduced mod p."""
        mods = [scipy.sparse.csr_matrix(_mod(m, p)) for m in self.mats]
        N = math.prod(sizes)
        if self.lie:
            M = scipy.sparse.csr_matrix((N, N), dtype=np.int64)
            for f, m in enumerate(mods):
                left = scipy.sparse.identity(math.prod(sizes[:f]), dtype=np.int64, format="csr")
                right = scipy.sparse.identity(math.prod(sizes[f + 1:]), dtype=np.int64,
                                              format="csr")
                M = M + scipy.sparse.kron(scipy.sparse.kron(left, m), right, format="csr")
                M.data %= p
        else:
            M = scipy.sparse.csr_matrix(np.ones((1, 1), dtype=np.int64))
            for m in mods:
                M = scipy.sparse.kron(M, m, format="csr")
                M.data %= p
            M = M - (self.scale % p) * scipy.sparse.identity(N, dtype=np.int64, format="csr")
        M = M.tocsr().astype(np.int64)  # (a Kronecker factor without entries comes back float)
        M.data %= p
        M.eliminate_zeros()
        return M


def _mod(m: np.ndarray, p: int) -> np.ndarray:
    return np.array([[int(v) % p for v in row] for row in m], dtype=np.int64).reshape(m.shape)


def exact_constraint(U: Rep) -> tuple[tuple[int, ...], list[IntGenerator]]:
    """The factor sizes of U and its generators' constraints in exact integer form."""
    if U.is_complex:
        raise ExactSolveError(f"{U.group} is complex; exact solving supports real groups only.")
    factors = U.factors()
    sizes = tuple(f.size for f in factors)
    if U.group is None:
        return sizes, []
    G = U.group
    if G.is_complex:
        raise ExactSolveError(f"{G} is complex; exact solving supports real groups only.")
    gens = []
    # Generators that act trivially on U (those of other factors of a product) are skipped
    # before conversion: an irrational factor that U does not see does not block the solve.
    for j, hf in enumerate(G.discrete_generators):
        if not has_exact_input(G, 0, j) and _acts_trivially(U, hf):
            continue
        h = exact_discrete(G, j)
        mats = [exact_rho(f, h) for f in factors]
        if all(m.den == 1 and np.array_equal(m.num, np.eye(m.shape[0], dtype=np.int64))
               for m in mats):
            continue
        gens.append(IntGenerator(tuple(m.num for m in mats), False,
                                 math.prod(m.den for m in mats)))
    for j, Af in enumerate(G.lie_algebra):
        if not has_exact_input(G, 1, j) and _orbits._lie_trivial(U, Af):
            continue
        a = exact_lie(G, j)
        mats = [exact_drho(f, a) for f in factors]
        if all(m.is_zero() for m in mats):
            continue
        L = math.lcm(*[m.den for m in mats])
        gens.append(IntGenerator(tuple(m.num * (L // m.den) for m in mats), True, L))
    return sizes, gens


def _modular_nullspace(gens, sizes, primes, start):
    """(index, p, basis (N, k) of the null space mod p) for the first prime from ``start`` at
    which a generator diagonalises (factor-structured), else densely at ``primes[start]`` for
    small spaces; None when neither applies."""
    for i in range(start, len(primes)):
        K = pivot_nullspace_mod_p(gens, sizes, primes[i])
        if K is not None:
            return i, primes[i], K
    if math.prod(sizes) <= DENSE_MODULAR_LIMIT and start < len(primes):
        return start, primes[start], nullspace_mod_p(gens, sizes, primes[start])
    return None


def _acts_trivially(U: Rep, h: np.ndarray) -> bool:
    a = _orbits._action(U, h)
    return a is not None and bool(np.all(a[0] == np.arange(len(a[0]))) and np.all(a[1] == 1))


def _verified(gens, sizes, X: np.ndarray) -> bool:
    return all(not any(g.residual(X, sizes).ravel()) for g in gens)


# -- one pair ---------------------------------------------------------------------------------

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
    R = np.linalg.solve(Q[piv].T, Q.T).real  # (r, N), identity on the pivot columns
    # Most entries are (near) integers; the others are rounded once per distinct value.
    out = np.empty(R.shape, dtype=object)
    near = np.round(R)
    is_int = np.abs(R - near) <= 1e-9 * np.maximum(1.0, np.abs(R))
    for idx in zip(*np.nonzero(is_int)):
        out[idx] = Fraction(int(near[idx]))
    rest = ~is_int
    if rest.any():
        # (floats of one rational differ in the last bits: deduplicate on 10 decimals)
        _, first, inv = np.unique(np.round(R[rest], 10), return_index=True, return_inverse=True)
        vals = R[rest][first]
        fr = [Fraction(float(v)).limit_denominator(max_denominator) for v in vals]
        out[rest] = np.array(fr, dtype=object)[inv.ravel()]
    return out.T


def _integer_columns(X: np.ndarray) -> np.ndarray:
    """Each column of a Fraction array scaled to integers (Python ints)."""
    out = np.empty(X.shape, dtype=object)
    for j in range(X.shape[1]):
        den = math.lcm(1, *[f.denominator for f in X[:, j]])
        out[:, j] = [f.numerator * (den // f.denominator) for f in X[:, j]]
    return out


def _numeric_hint(R: Rep, S: Rep) -> np.ndarray | None:
    """The floating-point basis, only as a hint (warnings and failures are not the answer's)."""
    from ._numeric import SolverError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return solve_pair(R, S, use_cache=False).dense()
    except (SolverError, MemoryError, np.linalg.LinAlgError):
        return None


def _exact_nullspace(gens, sizes) -> np.ndarray:
    """Integer basis (N, r) of the exact null space of the stacked constraint over Q."""
    N = math.prod(sizes)
    if N > EXACT_NULLSPACE_LIMIT:
        raise ExactSolveError(
            f"the exact null space of {N} unknowns was needed (the modular rank and the verified "
            f"solutions disagree) but is limited to {EXACT_NULLSPACE_LIMIT}; split the "
            "representation into smaller summands or use the numeric solver.")
    rows = []
    eye = np.empty((N, N), dtype=object)
    eye[...] = 0
    for i in range(N):
        eye[i, i] = 1
    for g in gens:
        rows.append(g.residual(eye, sizes))
    M = np.concatenate(rows, axis=0)
    M = M[[i for i in range(M.shape[0]) if any(M[i])]]
    flint = _flint()
    if flint is not None:
        if M.shape[0] == 0:
            return eye
        X, nullity = flint.fmpz_mat(M.tolist()).nullspace()
        out = np.empty((N, nullity), dtype=object)
        for i in range(N):
            for j in range(nullity):
                out[i, j] = int(X[i, j])
        return out
    from sympy.polys.domains import QQ
    from sympy.polys.matrices import DomainMatrix

    dm = DomainMatrix([[QQ(int(v)) for v in row] for row in M.tolist()], M.shape, QQ)
    ns = dm.nullspace().to_Matrix().T
    return _integer_columns(np.array([[Fraction(int(v.p), int(v.q)) for v in row]
                                      for row in ns.tolist()], dtype=object).reshape(ns.shape))


def exact_pair(R: Rep, S: Rep) -> np.ndarray:
    """Exact basis of Hom(R, S): an object array (S.size · R.size, r) of Python ints (each
    column scaled to integers), complete and verified in exact arithmetic; a sparse integer
    matrix for orbit bases.

    >>> from groupkit import SO, V
    >>> exact_pair(V(SO(3))**2, V(SO(3))).shape           # the cross product, as integers
    (27, 1)
    """
    U = hom_space(R, S)
    if U.is_complex:
        raise ExactSolveError(f"{U.group} is complex; exact solving supports real groups only.")
    actions = _orbits.signed_actions(U)  # read off the expression: exact, never densified
    if actions is not None:  # kept sparse: M11's Sym³ → Sym³ has 81,796 unknowns
        return _orbits.orbit_basis_of(U.size, actions).astype(np.int64).tocsc()
    sizes, gens = exact_constraint(U)  # raises for irrational generators, before any solve
    N = math.prod(sizes)
    if not gens:
        return np.eye(N, dtype=np.int64).astype(object)
    # Upper bound: the nullity modulo a prime.
    primes = candidate_primes()
    found = _modular_nullspace(gens, sizes, primes, 0)
    if found is None:
        raise ExactSolveError(
            f"Hom({R}, {S}) has {N} unknowns and no generator of {U.group} diagonalises over a "
            f"finite field to reduce it; the dense exact rank is limited to {DENSE_MODULAR_LIMIT} "
            "unknowns per pair of summands (signed-permutation groups have no limit). Use the "
            "numeric solver, or smaller summands.")
    i, p, K = found
    k = K.shape[1]
    if k == 0:
        return np.zeros((N, 0), dtype=object)
    # Lower bound from the numeric hint, rounded and verified exactly.
    hint = _numeric_hint(R, S)
    if hint is not None and hint.shape[1] == k:
        X = _integer_columns(rationalize(hint))
        if _verified(gens, sizes, X):
            return X
    # Lower bound from the modular null space lifted to Q over one, then more, primes.
    rrefs, used = [rref_mod(K.T.copy(), p)], [p]
    for _ in range(LIFT_PRIMES):
        nxt = _modular_nullspace(gens, sizes, primes, i + 1)
        if nxt is None:
            break
        i, q, Kq = nxt
        if Kq.shape[1] != k:
            break  # one of the primes is unlucky: let the exact null space decide
        rrefs.append(rref_mod(Kq.T.copy(), q))
        used.append(q)
        if rrefs[-1][1] != rrefs[0][1]:
            break
        X = lift(rrefs, used)
        if X is not None and _verified(gens, sizes, X):
            return X
    X = _exact_nullspace(gens, sizes)
    return X


def exact_basis(rep_in: Rep, rep_out: Rep) -> sympy.Matrix:
    """Exact basis (rep_out.size · rep_in.size, r) of the equivariant maps, as a sympy Matrix of
    rationals (a ``sympy.SparseMatrix`` beyond 2·10⁵ entries); column k reshaped row-major to
    (rep_out.size, rep_in.size) is an equivariant W.
    Columns follow the order of :func:`groupkit.solve` (blocks, then copies, then pair basis).

    The number of columns is exact (an exact rank, not the numeric one) and every column was
    checked against every generator in exact arithmetic. Generators must be rational: given as
    ``Fraction``/``sympy.Rational``/integers, or as floats that are exactly the float of some p/q
    with q ≤ 10⁶; anything else raises :class:`ExactSolveError`.

    >>> from groupkit import Group, V
    >>> from fractions import Fraction as F
    >>> G = Group([[[F(9, 7), F(1, 10**7)], [0, F(7, 9)]]])  # exact input, any denominator
    >>> exact_basis(V(G), V(G)).shape  # the identity and the generator itself
    (4, 2)
    """
    rep_in, rep_out = _check_reps(rep_in, rep_out)
    n_in = rep_in.size
    N = rep_out.size * n_in
    entries: dict[tuple[int, int], sympy.Integer] = {}
    col = 0
    for S, out_offsets in _summand_table(rep_out):
        for R, in_offsets in _summand_table(rep_in):
            X = exact_pair(R, S)
            r = X.shape[1]
            if r == 0:
                continue
            if scipy.sparse.issparse(X):
                X = X.tocoo()
                nz = list(zip(X.row.tolist(), X.col.tolist(), X.data.tolist()))
            else:
                nz = [(i, j, X[i, j]) for i, j in zip(*np.nonzero(X != 0))]
            for ob in out_offsets:
                for oa in in_offsets:
                    for i, j, v in nz:
                        s, t = divmod(int(i), R.size)
                        entries[((ob + s) * n_in + oa + t, col + int(j))] = sympy.Integer(int(v))
                    col += r
    M = sympy.SparseMatrix(N, col, entries)
    # A dense sympy Matrix of millions of entries takes seconds to build; large bases stay sparse.
    return M if N * col > DENSE_RESULT_LIMIT else sympy.Matrix(M)

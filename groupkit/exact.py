"""Exact equivariant bases over the rationals: exact matrices, an exact dimension, exact checks.

For each distinct pair of summands (R, S), on U = S ⊗ R*:

1. **signed-permutation actions** (S(n), Z(n), the cube groups, Sym/Λ powers of them …): the
   orbit basis is exact and complete by construction (entries 0, ±1);
2. otherwise every generator's factor matrices are computed **in exact arithmetic** from exact
   generators (:mod:`groupkit._exact_reps`) and scaled to integers;
3. the **dimension** is the nullity of the stacked integer constraint modulo a prime p, computed
   generator by generator (the null space of the first, then of the next restricted to it, …).
   Reduction mod p can only lower a rank, so nullity_p ≥ nullity_Q: it is an exact upper bound;
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
Matrix([[0, 0, 0, 0, 0, -1, 0, 1, 0, 0, 0, 1, 0, 0, 0, -1, 0, 0, 0, -1, 0, 1, 0, 0, 0, 0, 0]])
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
from ._exact_reps import exact_drho, exact_generators, exact_rho
from ._exactinput import MAX_DENOMINATOR, ExactSolveError
from .reps import Rep
from .solver import _check_reps, _summand_table, hom_space, solve_pair

__all__ = ["exact_basis", "exact_pair", "rationalize", "ExactSolveError", "MAX_DENOMINATOR"]

PRIMES = (16777213, 16777199, 16777183, 16777153)  # < 2^24: products and sums fit in int64
MODULAR_LIMIT = 6000      # largest Hom space (unknowns) whose exact rank we compute densely
EXACT_NULLSPACE_LIMIT = 1500  # largest one for the last-resort exact null space over Q
DENSE_RESULT_LIMIT = 10 ** 6  # larger exact bases are returned as a sympy.SparseMatrix


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
        Xt = X.reshape(*sizes, r)
        if self.lie:
            out = np.zeros(Xt.shape, dtype=object)
            for f, m in enumerate(self.mats):
                if any(m.ravel()):
                    out = out + np.moveaxis(np.tensordot(m, Xt, axes=([1], [f])), 0, f)
            return out.reshape(X.shape[0], r)
        Y = Xt
        for f, m in enumerate(self.mats):
            Y = np.moveaxis(np.tensordot(m, Y, axes=([1], [f])), 0, f)
        return Y.reshape(X.shape[0], r) - self.scale * X

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
    hs, As = exact_generators(U.group)
    gens = []
    for h in hs:
        mats = [exact_rho(f, h) for f in factors]
        if all(m.den == 1 and np.array_equal(m.num, np.eye(m.shape[0], dtype=np.int64))
               for m in mats):
            continue  # acts trivially on U (another factor of a product)
        gens.append(IntGenerator(tuple(m.num for m in mats), False,
                                 math.prod(m.den for m in mats)))
    for a in As:
        mats = [exact_drho(f, a) for f in factors]
        if all(m.is_zero() for m in mats):
            continue
        L = math.lcm(*[m.den for m in mats])
        gens.append(IntGenerator(tuple(m.num * (L // m.den) for m in mats), True, L))
    return sizes, gens


def _verified(gens, sizes, X: np.ndarray) -> bool:
    return all(not any(g.residual(X, sizes).ravel()) for g in gens)


# -- arithmetic modulo a prime -----------------------------------------------------------------

def _flint():
    try:
        import flint
    except ImportError:
        return None
    return flint


def _rref_mod(M: np.ndarray, p: int) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form of M (int64, entries in [0, p)) mod p, and its pivot columns."""
    rows, cols = M.shape
    flint = _flint()
    if flint is not None and rows and cols:
        R, rank = flint.nmod_mat(rows, cols, M.ravel().tolist(), p).rref()
        R = np.array([int(v) for v in R.entries()], dtype=np.int64).reshape(rows, cols)[:rank]
        piv = [int(np.flatnonzero(R[i])[0]) for i in range(rank)]
        return R, piv
    M = M.copy() % p
    piv, row = [], 0
    for col in range(cols):
        if row == rows:
            break
        nz = np.flatnonzero(M[row:, col])
        if not len(nz):
            continue
        i = row + nz[0]
        if i != row:
            M[[row, i]] = M[[i, row]]
        M[row] = (M[row] * pow(int(M[row, col]), p - 2, p)) % p
        f = M[:, col].copy()
        f[row] = 0
        nzr = np.flatnonzero(f)
        if len(nzr):
            M[nzr] = (M[nzr] - (f[nzr, None] * M[row][None, :]) % p) % p
        piv.append(col)
        row += 1
    return M[:row], piv


def _nullspace_mod(M: np.ndarray, p: int) -> np.ndarray:
    """Basis (n, k) of the null space of M (rows, n) mod p."""
    n = M.shape[1]
    R, piv = _rref_mod(M, p)
    free = [j for j in range(n) if j not in set(piv)]
    K = np.zeros((n, len(free)), dtype=np.int64)
    for c, f in enumerate(free):
        K[f, c] = 1
        K[piv, c] = (-R[:, f]) % p
    return K


def _sparse_matmul_mod(A: scipy.sparse.csr_matrix, K: np.ndarray, p: int) -> np.ndarray:
    """(A K) mod p without int64 overflow: rows of A summed in chunks of ≤ 2^14 terms."""
    if A.nnz == 0:
        return np.zeros((A.shape[0], K.shape[1]), dtype=np.int64)
    if np.diff(A.indptr).max() < 2 ** 14:
        return (A @ K) % p
    out = np.zeros((A.shape[0], K.shape[1]), dtype=np.int64)
    for i in range(A.shape[0]):
        lo, hi = A.indptr[i], A.indptr[i + 1]
        for s in range(lo, hi, 2 ** 14):
            e = min(hi, s + 2 ** 14)
            out[i] = (out[i] + A.data[s:e] @ K[A.indices[s:e]]) % p
    return out


def nullspace_mod_p(gens, sizes, p: int) -> np.ndarray:
    """Basis (N, k) of the common null space mod p, generator by generator."""
    N = math.prod(sizes)
    K = None
    for g in gens:
        M = g.sparse_mod(sizes, p)
        if K is None:
            K = _nullspace_mod(M.toarray(), p)
        else:
            Z = _nullspace_mod(_sparse_matmul_mod(M, K, p), p)
            K = (K @ Z) % p if Z.shape[1] < 2 ** 14 else _chunked_matmul(K, Z, p)
        if K.shape[1] == 0:
            break
    return np.eye(N, dtype=np.int64) if K is None else K


def _chunked_matmul(K, Z, p):
    out = np.zeros((K.shape[0], Z.shape[1]), dtype=np.int64)
    for s in range(0, K.shape[1], 2 ** 14):
        out = (out + K[:, s:s + 2 ** 14] @ Z[s:s + 2 ** 14]) % p
    return out


def _rational_reconstruct(a: int, m: int) -> Fraction | None:
    """The fraction n/d ≡ a (mod m) with |n|, d ≤ √(m/2), if there is one (Wang)."""
    bound = math.isqrt(m // 2)
    r0, r1, s0, s1 = m, a % m, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        s0, s1 = s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound or math.gcd(r1, abs(s1)) != 1:
        return None
    return Fraction(r1, s1)


def _lift(rrefs: list[tuple[np.ndarray, list[int]]], primes) -> np.ndarray | None:
    """Integer columns (N, k) whose span is the rational null space whose RREF reduces to the
    given ones mod each prime (Chinese remainders, then rational reconstruction); None when the
    entries are too large for these primes."""
    R0, piv0 = rrefs[0]
    k, n = R0.shape
    m = math.prod(primes)
    out = np.empty((n, k), dtype=object)
    for j in range(k):
        fr = []
        for i in range(n):
            residues = [int(R[j, i]) for R, _ in rrefs]
            if not any(residues):
                fr.append(Fraction(0))
                continue
            x = 0
            for a, p in zip(residues, primes):
                mp = m // p
                x = (x + a * mp * pow(mp, -1, p)) % m
            f = _rational_reconstruct(x, m)
            if f is None:
                return None
            fr.append(f)
        den = math.lcm(*[f.denominator for f in fr])
        out[:, j] = [int(f * den) for f in fr]
    return out


# -- one pair ---------------------------------------------------------------------------------

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


def _integer_columns(X: np.ndarray) -> np.ndarray:
    """Each column of a Fraction array scaled to integers (Python ints)."""
    out = np.empty(X.shape, dtype=object)
    for j in range(X.shape[1]):
        den = math.lcm(1, *[f.denominator for f in X[:, j]])
        out[:, j] = [int(f * den) for f in X[:, j]]
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
    matrix for orbit bases."""
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
    if N > MODULAR_LIMIT:
        raise ExactSolveError(
            f"Hom({R}, {S}) has {N} unknowns; the exact rank is computed for at most "
            f"{MODULAR_LIMIT} unknowns per pair of summands (signed-permutation groups have no "
            "limit). Use the numeric solver, or smaller summands.")
    # Upper bound: the nullity modulo a prime.
    p = PRIMES[0]
    K = nullspace_mod_p(gens, sizes, p)
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
    rrefs = [_rref_mod(K.T.copy(), p)]
    for q in PRIMES[1:]:
        Kq = nullspace_mod_p(gens, sizes, q)
        if Kq.shape[1] != k:
            break  # one of the primes is unlucky: let the exact null space decide
        rrefs.append(_rref_mod(Kq.T.copy(), q))
        if rrefs[-1][1] != rrefs[0][1]:
            break
        X = _lift(rrefs, PRIMES[:len(rrefs)])
        if X is not None and _verified(gens, sizes, X):
            return X
    X = _exact_nullspace(gens, sizes)
    return X


def exact_basis(rep_in: Rep, rep_out: Rep) -> sympy.Matrix:
    """Exact basis (rep_out.size · rep_in.size, r) of the equivariant maps, as a sympy Matrix of
    rationals (a ``sympy.SparseMatrix`` beyond 10⁶ entries); column k reshaped row-major to
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

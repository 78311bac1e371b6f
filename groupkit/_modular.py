"""Linear algebra modulo a prime, for exact ranks: reductions can only lower a rank.

For an integer matrix C and a prime p, rank_p(C) ≤ rank_Q(C), so the nullity mod p is an upper
bound on the true nullity; :mod:`groupkit.exact` meets it with exactly verified solutions. Primes
are below 2^24 so that products (< 2^48) and sums of up to 2^14 of them fit in int64.

Two ways to the null space of a generator-stacked constraint on U = ⊗ factors, mod p:

* dense: the null space of the first generator's (N, N) matrix, then of each next generator
  restricted to it (:func:`nullspace_mod_p`);
* factor-structured (:func:`pivot_nullspace_mod_p`): a generator whose factor matrices are all
  diagonalisable over F_p (p chosen so that their characteristic polynomials split) acts
  diagonally on the tuples of eigenvectors, with eigenvalue Σ_f λ_f (Lie) or Π_f λ_f (discrete):
  its null space is the set of tuples whose eigenvalue vanishes, found by counting — the exact
  analogue of the numeric pivot reduction. The other generators are then only solved on those
  tuples. SO(3) in its standard basis has no rational eigenvector basis, but over F_p with
  p ≡ 1 (mod 4) its rotation generators diagonalise.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import scipy.sparse

PRIMES = (16777213, 16777199, 16777183, 16777153)  # < 2^24: products and sums fit in int64


def _flint():
    try:
        import flint
    except ImportError:
        return None
    return flint


def rref_mod(M: np.ndarray, p: int) -> tuple[np.ndarray, list[int]]:
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
    flint = _flint()
    if flint is not None and M.shape[0] and n:
        # flint's null space: only the (n, n) result is converted back, not an echelon form
        # of all the rows
        X, k = flint.nmod_mat(M.shape[0], n, M.ravel().tolist(), p).nullspace()
        return np.array([int(v) for v in X.entries()], dtype=np.int64).reshape(n, n)[:, :k]
    R, piv = rref_mod(M, p)
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


def lift(rrefs: list[tuple[np.ndarray, list[int]]], primes) -> np.ndarray | None:
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




# -- factor-structured null spaces --------------------------------------------------------------

def candidate_primes(count: int = 48) -> list[int]:
    """Primes below 2^24, largest first (the first four are PRIMES)."""
    import sympy

    out = list(PRIMES)
    while len(out) < count:
        out.append(int(sympy.prevprime(out[-1])))
    return out


def _mod_array(m: np.ndarray, p: int) -> np.ndarray:
    return np.array([int(v) % p for v in m.ravel()], dtype=np.int64).reshape(m.shape)


def _inverse_mod(P: np.ndarray, p: int) -> np.ndarray | None:
    d = P.shape[0]
    R, piv = rref_mod(np.concatenate([P, np.eye(d, dtype=np.int64)], axis=1), p)
    if piv[:d] != list(range(d)) or len(piv) < d:
        return None
    return R[:d, d:] % p


def eig_mod(num: np.ndarray, p: int):
    """(P, P⁻¹, λ) with num = P diag(λ) P⁻¹ over F_p, or None when num does not diagonalise
    over F_p (its characteristic polynomial does not split, or an eigenspace is too small)."""
    flint = _flint()
    if flint is None:
        return None
    d = num.shape[0]
    Mp = _mod_array(num, p)
    cp = flint.fmpz_mat([[int(v) for v in row] for row in num]).charpoly()
    roots = flint.nmod_poly([int(c) for c in cp.coeffs()], p).roots()
    if sum(int(m) for _, m in roots) != d:
        return None
    cols, lam = [], []
    for r, mult in roots:
        r = int(r)
        E = _nullspace_mod((Mp - r * np.eye(d, dtype=np.int64)) % p, p)
        if E.shape[1] != int(mult):
            return None
        cols.append(E)
        lam += [r] * int(mult)
    P = np.concatenate(cols, axis=1) % p
    Pinv = _inverse_mod(P, p)
    if Pinv is None:
        return None
    return P, Pinv, np.array(lam, dtype=np.int64)


def _selected(g, parts, sizes, p) -> np.ndarray:
    """Flat indices of the eigenvector tuples on which the generator's constraint vanishes."""
    val = np.zeros(1, dtype=np.int64) if g.lie else np.ones(1, dtype=np.int64)
    for _, _, lam in parts:
        val = ((val[:, None] + lam[None, :]) if g.lie else (val[:, None] * lam[None, :])) % p
        val = val.ravel()
    return np.flatnonzero(val == (0 if g.lie else g.scale % p))


def _restricted_columns(g, mats, sizes, T, sel, p) -> scipy.sparse.csr_matrix | np.ndarray:
    """The generator's constraint (in the pivot's eigenbasis, factor matrices ``mats``) applied
    to the selected basis tuples: an (N, r0) matrix mod p."""
    N, r0 = math.prod(sizes), len(sel)
    if g.lie:
        strides = [math.prod(sizes[f + 1:]) for f in range(len(sizes))]
        rows, cols, vals = [], [], []
        for f, m in enumerate(mats):
            tf = T[:, f]
            for i in range(m.shape[0]):
                v = m[i, tf]
                nz = v != 0
                rows.append(sel[nz] + (i - tf[nz]) * strides[f])
                cols.append(np.flatnonzero(nz))
                vals.append(v[nz])
        B = scipy.sparse.coo_matrix(
            (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
            shape=(N, r0), dtype=np.int64).tocsr()
        B.data %= p
        B.eliminate_zeros()
        return B
    out = np.ones((1, r0), dtype=np.int64)
    for f, m in enumerate(mats):
        out = ((out[:, None, :] * m[:, T[:, f]][None, :, :]) % p).reshape(-1, r0)
    out[sel, np.arange(r0)] = (out[sel, np.arange(r0)] - g.scale) % p
    return out


def _apply_mod(mats, Y: np.ndarray, sizes, p) -> np.ndarray:
    """(⊗_f mats[f]) Y mod p for Y (N, k), factor by factor."""
    k = Y.shape[1]
    Yt = Y.reshape(*sizes, k)
    for f, m in enumerate(mats):
        Yt = np.moveaxis(np.tensordot(m, Yt, axes=([1], [f])) % p, 0, f)
    return Yt.reshape(-1, k)


def pivot_nullspace_mod_p(gens, sizes, p: int, max_entries: int = 5 * 10 ** 7
                          ) -> np.ndarray | None:
    """Basis (N, k) of the common null space mod p by the factor-structured pivot reduction, or
    None when no generator diagonalises over F_p (or the reduced problem is still too large)."""
    best = None
    for gi, g in enumerate(gens):
        parts = [eig_mod(m, p) for m in g.mats]
        if any(x is None for x in parts):
            continue
        sel = _selected(g, parts, sizes, p)
        if best is None or len(sel) < len(best[2]):
            best = (gi, parts, sel)
    if best is None:
        return None
    gi, parts, sel = best
    N, r0 = math.prod(sizes), len(sel)
    if r0 == 0:
        return np.zeros((N, 0), dtype=np.int64)
    if N * r0 > max_entries:
        return None
    T = np.stack(np.unravel_index(sel, sizes), axis=1)
    K = None
    for gj, g in enumerate(gens):
        if gj == gi:
            continue
        mats = [(Pi @ ((_mod_array(m, p) @ P) % p)) % p for m, (P, Pi, _) in zip(g.mats, parts)]
        B = _restricted_columns(g, mats, sizes, T, sel, p)
        if K is not None:
            B = (_sparse_matmul_mod(B, K, p) if scipy.sparse.issparse(B)
                 else _chunked_matmul(B, K, p))
        elif scipy.sparse.issparse(B):
            B = B.toarray()
        B = B[np.any(B != 0, axis=1)]
        Z = _nullspace_mod(B, p)
        K = Z if K is None else _chunked_matmul(K, Z, p)
        if K.shape[1] == 0:
            return np.zeros((N, 0), dtype=np.int64)
    if K is None:
        K = np.eye(r0, dtype=np.int64)
    Y = np.zeros((N, K.shape[1]), dtype=np.int64)
    Y[sel] = K
    return _apply_mod([P for P, _, _ in parts], Y, sizes, p)

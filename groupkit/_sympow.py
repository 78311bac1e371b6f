"""Symmetric and exterior powers without tensor powers: matrices in the basis of sorted tuples.

Sym^k(R^n) has the basis P_c = Σ e_t over the distinct reorderings t of a sorted index tuple c
(Λ^k: c strictly increasing, each reordering with its sign). In that basis, with multiplicities
μ_c(a) of the values a in c,

* ρ_Sym(g)[d, c] = Σ_{σ ∈ S_k} Π_i g[d_i, c_σ(i)] / Π_a μ_c(a)!   (a permanent of g[d, c]),
  ρ_Λ(g)[d, c] = det g[d, c]                                        (a compound matrix);
* dρ_Sym(A)[d, c] = Σ_{a ∈ c} Σ_m A[m, a] · (μ_c(m) + 1 if m ≠ a else μ_c(a)), d = c − a + m,
  dρ_Λ(A)[d, c] = Σ_j Σ_{m ∉ c∖c_j} A[m, c_j] · sign(sorting c with c_j ↦ m).

Both cost O(size² · k! · k) and O(size · n · k), never n^k × n^k, and both are polynomials
with integer coefficients in the entries of g or A: on integer arrays (int64 or Python ints)
they are exact, and a signed permutation g gives exactly a signed permutation
(:func:`signed_power`). The dense ``Sym(rep, k).basis`` (n^k, size) is used only to check this.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from ._memo import memoized

__all__ = ["tuples", "index_of", "power_matrix", "power_lie_matrix", "signed_power"]


@memoized(64)
def tuples(n: int, k: int, antisymmetric: bool) -> np.ndarray:
    """The sorted index tuples (size, k), in lexicographic order (the basis order)."""
    it = (itertools.combinations(range(n), k) if antisymmetric
          else itertools.combinations_with_replacement(range(n), k))
    out = np.array(list(it), dtype=np.int64).reshape(-1, k) if k else np.zeros((1, 0), np.int64)
    out.setflags(write=False)
    return out


def _codes(t: np.ndarray, n: int) -> np.ndarray:
    """Mixed-radix code of each row: increasing in lexicographic order."""
    code = np.zeros(t.shape[0], dtype=np.int64)
    for j in range(t.shape[1]):
        code = code * n + t[:, j]
    return code


def index_of(t: np.ndarray, n: int, antisymmetric: bool) -> np.ndarray:
    """Basis index of each sorted tuple (rows of t); −1 where the tuple is not a basis tuple."""
    k = t.shape[1]
    ref = _codes(tuples(n, k, antisymmetric), n)
    code = _codes(t, n)
    pos = np.searchsorted(ref, code)
    pos = np.minimum(pos, len(ref) - 1)
    return np.where(ref[pos] == code, pos, -1)


def _sort_with_sign(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows sorted, and the sign of the sorting permutation (0 where a value repeats)."""
    order = np.argsort(t, axis=1, kind="stable")
    s = np.take_along_axis(t, order, axis=1)
    k = t.shape[1]
    inversions = np.zeros(t.shape[0], dtype=np.int64)
    for i in range(k):
        for j in range(i + 1, k):
            inversions += order[:, i] > order[:, j]
    sign = np.where(inversions % 2 == 0, 1, -1)
    if k > 1:
        sign = np.where(np.any(s[:, 1:] == s[:, :-1], axis=1), 0, sign)
    return s, sign


def _multiplicity_factorials(c: np.ndarray) -> np.ndarray:
    """Π_a μ_c(a)! for each sorted row of c, as Python-exact int64."""
    k = c.shape[1]
    out = np.ones(c.shape[0], dtype=np.int64)
    run = np.ones(c.shape[0], dtype=np.int64)
    for j in range(1, k):
        same = c[:, j] == c[:, j - 1]
        run = np.where(same, run + 1, 1)
        out *= run
    return out


def power_matrix(g: np.ndarray, k: int, antisymmetric: bool) -> np.ndarray:
    """ρ of Sym^k or Λ^k for the matrix g (n, n): an array (size, size) of g's dtype.

    Exact on integer arrays (object arrays of Python ints never overflow).
    """
    n = g.shape[0]
    c = tuples(n, k, antisymmetric)
    size = c.shape[0]
    if k == 0:
        return np.ones((1, 1), dtype=g.dtype)
    out = np.zeros((size, size), dtype=g.dtype)
    if g.dtype == object:
        out[...] = 0
    for sigma in itertools.permutations(range(k)):
        term = None
        for i in range(k):
            block = g[np.ix_(c[:, i], c[:, sigma[i]])]
            term = block if term is None else term * block
        if antisymmetric and perm_parity(sigma):
            out -= term
        else:
            out += term
    if not antisymmetric:
        fact = _multiplicity_factorials(c)
        if np.any(fact > 1):
            if g.dtype == object or np.issubdtype(g.dtype, np.integer):
                out = out // fact[None, :].astype(out.dtype)  # exact: every term repeats
            else:
                out = out / fact[None, :]
    return out


def perm_parity(p) -> int:
    """0 for an even permutation p (i ↦ p[i]), 1 for an odd one."""
    p = list(p)
    parity = 0
    for i in range(len(p)):
        while p[i] != i:
            j = p[i]
            p[i], p[j] = p[j], p[i]
            parity ^= 1
    return parity


def power_lie_matrix(A: np.ndarray, k: int, antisymmetric: bool) -> np.ndarray:
    """dρ of Sym^k or Λ^k for the Lie-algebra element A (n, n): an array (size, size).

    Exact on integer arrays; cost O(size · n · k).
    """
    n = A.shape[0]
    c = tuples(n, k, antisymmetric)
    size = c.shape[0]
    out = np.zeros((size, size), dtype=A.dtype)
    if A.dtype == object:
        out[...] = 0
    if k == 0:
        return out
    cols = np.arange(size)
    for j in range(k):
        a = c[:, j]
        if not antisymmetric:
            first = np.ones(size, dtype=bool) if j == 0 else c[:, j] != c[:, j - 1]
        for m in range(n):
            t = c.copy()
            t[:, j] = m
            if antisymmetric:
                s, sign = _sort_with_sign(t)
                keep = sign != 0
                coef_sign = sign
            else:
                s = np.sort(t, axis=1)
                keep = first
                mu_m = (c == m).sum(axis=1)
                mu_a = (c == a[:, None]).sum(axis=1)
                coef_sign = np.where(m == a, mu_a, mu_m + 1)
            d = index_of(s[keep], n, antisymmetric)
            vals = A[m, a[keep]]
            w = coef_sign[keep]
            if A.dtype == object:
                vals = np.array([int(x) * int(y) for x, y in zip(vals, w)], dtype=object)
            else:
                vals = vals * w
            np.add.at(out, (d, cols[keep]), vals)
    return out


def signed_power(pi: np.ndarray, s: np.ndarray, n: int, k: int, antisymmetric: bool
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The signed permutation (π', s') by which a signed permutation g e_j = s_j e_{π(j)} acts
    on the sorted-tuple basis of Sym^k or Λ^k: g P_c = s'_c P_{π'(c)}. Cost O(size · k)."""
    c = tuples(n, k, antisymmetric)
    if k == 0:
        return np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int8)
    img = np.asarray(pi, dtype=np.int64)[c]
    sign = np.prod(np.asarray(s, dtype=np.int64)[c], axis=1)
    if antisymmetric:
        srt, perm_sign = _sort_with_sign(img)
        sign = sign * perm_sign
    else:
        srt = np.sort(img, axis=1)
    return index_of(srt, n, antisymmetric), sign.astype(np.int8)


def size(n: int, k: int, antisymmetric: bool) -> int:
    return math.comb(n, k) if antisymmetric else math.comb(n + k - 1, k)

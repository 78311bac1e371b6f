"""Exact solving for signed-permutation actions: the invariants are orbit indicator vectors.

When every generator acts on each tensor factor by a monomial matrix with entries ±1, it acts on
the N index tuples of U by a signed permutation: M e_j = s_j e_{π(j)}. An invariant v satisfies
v_{π(j)} = s_j v_j, so v is fixed by its value on one index per orbit, and an orbit whose signs
conflict carries only v = 0. We find orbits with signs in one connected-components call on the
"double cover" graph with nodes (j, ±): (j, σ) — (π(j), s_j σ). An orbit is consistent exactly when
(j, +) and (j, −) fall in different components. Cost O(N · #generators).

The signed permutation of U is read off the representation's expression (:func:`signed_actions`),
never from its matrices: Sym^k and Λ^k of a permutation representation act on their sorted-tuple
bases by signed permutations too (:func:`groupkit._sympow.signed_power`), so Sym³ of the Rubik's
cube's 48 facelets (19,600 coordinates) is solved without a 19,600 × 19,600 matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from . import _sympow
from ._constraint import Constraint
from .groups import signed_permutation
from .reps import Rep, Scalar, Vector, _Dual, _Lifted, _Sum, _SymmetricPower, _Tensor

USER_REP_LIMIT = 4096  # largest opaque representation whose matrix we inspect for a permutation


def _flat_action(mats, sizes) -> tuple[np.ndarray, np.ndarray]:
    """The signed permutation of the N = Π sizes index tuples (row-major), as (π, s)."""
    pi = np.zeros(1, dtype=np.int64)
    s = np.ones(1, dtype=np.int8)
    for m, d in zip(mats, sizes):
        p, sg = signed_permutation(m)
        pi = (pi[:, None] * d + p[None, :]).ravel()
        s = (s[:, None] * sg[None, :]).ravel()
    return pi, s


def _action(rep: Rep, g: np.ndarray):
    """(π, s) with ρ(g) e_j = s_j e_{π(j)}, from the expression of ``rep``; None when ρ(g) is
    not a signed permutation (or cannot be seen to be one without a large matrix)."""
    if rep == Scalar:
        return np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int8)
    if isinstance(rep, Vector):
        return signed_permutation(g)
    if isinstance(rep, _Lifted):
        return _action(rep.base, g[np.ix_(rep._idx, rep._idx)])
    if isinstance(rep, _Dual):  # a signed permutation is orthogonal: ρ(g)^{-T} = ρ(g)
        return _action(rep.base, g)
    if isinstance(rep, _Sum):
        pis, ss, off = [], [], 0
        for p in rep.summands():
            a = _action(p, g)
            if a is None:
                return None
            pis.append(a[0] + off)
            ss.append(a[1])
            off += p.size
        return np.concatenate(pis), np.concatenate(ss)
    if isinstance(rep, _Tensor):
        pi, s = np.zeros(1, dtype=np.int64), np.ones(1, dtype=np.int8)
        for p in rep.factors():
            a = _action(p, g)
            if a is None:
                return None
            pi = (pi[:, None] * p.size + a[0][None, :]).ravel()
            s = (s[:, None] * a[1][None, :]).ravel()
        return pi, s
    if isinstance(rep, _SymmetricPower):
        a = _action(rep.base, g)
        if a is None:
            return None
        return _sympow.signed_power(a[0], a[1], rep.base.size, rep.k, rep.antisymmetric)
    if rep.size > USER_REP_LIMIT:
        return None
    return signed_permutation(np.asarray(rep.rho(g)))


def _lie_trivial(rep: Rep, A: np.ndarray) -> bool:
    """dρ(A) = 0, decided from the expression of ``rep`` where possible."""
    if rep == Scalar:
        return True
    if isinstance(rep, Vector):
        return not np.any(A)
    if isinstance(rep, _Lifted):
        return _lie_trivial(rep.base, A[np.ix_(rep._idx, rep._idx)])
    if isinstance(rep, _Dual):
        return _lie_trivial(rep.base, A)
    if isinstance(rep, (_Sum, _Tensor)):
        return all(_lie_trivial(p, A) for p in rep._parts)
    if isinstance(rep, _SymmetricPower):
        return rep.k == 0 or _lie_trivial(rep.base, A)
    if rep.size > USER_REP_LIMIT:
        return False
    return not np.any(rep.drho(A))


def signed_actions(U: Rep) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The signed permutations (π, s) of U's index set by which the discrete generators act,
    or None unless every generator acts so and the Lie algebra acts trivially on U."""
    G = U.group
    if G is None:
        return []
    if any(not _lie_trivial(U, A) for A in G.lie_algebra):
        return None
    out = []
    for h in G.discrete_generators:
        a = _action(U, h)
        if a is None:
            return None
        out.append(a)
    return out


def orbit_basis(c: Constraint) -> scipy.sparse.csc_matrix:
    """Integer basis (N, r) with entries in {0, ±1}: one column per consistent orbit, columns
    ordered by each orbit's smallest index, the sign +1 there."""
    return orbit_basis_of(c.n, [_flat_action(g.mats, c.sizes) for g in c.generators])


def orbit_basis_of(N: int, actions) -> scipy.sparse.csc_matrix:
    """:func:`orbit_basis` for signed permutations (π, s) of the N indices."""
    if not actions:
        return scipy.sparse.identity(N, dtype=np.int8, format="csc")
    src, dst = [], []
    j = np.arange(N, dtype=np.int64)
    for pi, s in actions:
        flip = (s < 0).astype(np.int64) * N
        src.append(np.concatenate([j, j + N]))
        dst.append(np.concatenate([pi + flip, pi + (N - flip)]))
    src, dst = np.concatenate(src), np.concatenate(dst)
    graph = scipy.sparse.coo_matrix(
        (np.ones(len(src), dtype=np.int8), (src, dst)), shape=(2 * N, 2 * N)).tocsr()
    _, labels = connected_components(graph, directed=True, connection="weak")
    plus, minus = labels[:N], labels[N:]
    consistent = plus != minus
    orbit = np.minimum(plus, minus)
    sign = np.where(plus == orbit, 1, -1).astype(np.int8)
    idx = j[consistent]
    # Number the orbits by their smallest member, and make that member's sign +1.
    uniq, first, inv = np.unique(orbit[idx], return_index=True, return_inverse=True)
    order = np.argsort(idx[first], kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    col = rank[inv]
    vals = sign[idx] * sign[idx[first]][inv]
    return scipy.sparse.csc_matrix((vals.astype(np.int8), (idx, col)), shape=(N, len(uniq)))


def normalized(B: scipy.sparse.csc_matrix) -> scipy.sparse.csc_matrix:
    """Scale each orbit column to unit norm (columns are disjoint, hence orthonormal)."""
    B = B.astype(np.float64).tocsc()
    counts = np.diff(B.indptr)
    B.data /= np.sqrt(np.repeat(counts, counts))
    return B

"""Exact solving for signed-permutation actions: the invariants are orbit indicator vectors.

When every generator acts on each tensor factor by a monomial matrix with entries ±1, it acts on
the N index tuples of U by a signed permutation: M e_j = s_j e_{π(j)}. An invariant v satisfies
v_{π(j)} = s_j v_j, so v is fixed by its value on one index per orbit, and an orbit whose signs
conflict carries only v = 0. We find orbits with signs in one connected-components call on the
"double cover" graph with nodes (j, ±): (j, σ) — (π(j), s_j σ). An orbit is consistent exactly when
(j, +) and (j, −) fall in different components. Cost O(N · #generators).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from ._constraint import Constraint
from .groups import signed_permutation


def applicable(c: Constraint) -> bool:
    """True when every generator is discrete and acts by signed permutations on every factor."""
    return all(not g.lie and all(signed_permutation(m) is not None for m in g.mats)
               for g in c.generators)


def _flat_action(mats, sizes) -> tuple[np.ndarray, np.ndarray]:
    """The signed permutation of the N = Π sizes index tuples (row-major), as (π, s)."""
    pi = np.zeros(1, dtype=np.int64)
    s = np.ones(1, dtype=np.int8)
    for m, d in zip(mats, sizes):
        p, sg = signed_permutation(m)
        pi = (pi[:, None] * d + p[None, :]).ravel()
        s = (s[:, None] * sg[None, :]).ravel()
    return pi, s


def orbit_basis(c: Constraint) -> scipy.sparse.csc_matrix:
    """Integer basis (N, r) with entries in {0, ±1}: one column per consistent orbit, columns
    ordered by each orbit's smallest index, the sign +1 there."""
    N = c.n
    if not c.generators:
        return scipy.sparse.identity(N, dtype=np.int8, format="csc")
    src, dst = [], []
    j = np.arange(N, dtype=np.int64)
    for g in c.generators:
        pi, s = _flat_action(g.mats, c.sizes)
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

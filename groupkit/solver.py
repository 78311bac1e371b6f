"""The equivariant-basis solver: all linear maps W with ρ_out(g) W = W ρ_in(g) for every g.

The work is split along the structure of the representations:

1. Direct sums are decomposed: each distinct pair (R, S) of summands is solved once, and the
   result is tiled over the copies (see :mod:`groupkit.basis`).
2. Each pair's Hom space U = S ⊗ R* is solved in tensor-factor form (:mod:`._constraint`):
   by orbit enumeration when every generator acts by signed permutations (exact and sparse,
   :mod:`._orbits`), otherwise by the pivot reduction or a dense eigen-solve (:mod:`._numeric`).
3. Pair solutions are cached by value, in memory and on disk (:mod:`groupkit.cache`).

>>> from groupkit import SO, S, V, equivariant_basis
>>> equivariant_basis(V(SO(3))**2, V(SO(3))).shape
(27, 1)
>>> equivariant_basis(V(S(4))**2, V(S(4))**2).shape
(256, 15)
"""

from __future__ import annotations

import logging
import time

import numpy as np
import scipy.sparse
import scipy.sparse.linalg

from . import _numeric, _orbits, cache
from ._constraint import Constraint
from .basis import Block, EquivariantBasis, PairBasis
from .partition_basis import orbit_tree_pair, partition_pair
from .reps import Rep, RepError, _unify, dual, tensor

__all__ = ["solve", "equivariant_basis", "equivariant_projector", "METHODS"]

log = logging.getLogger("groupkit.solver")

METHODS = ("auto", "orbit", "pivot", "dense", "numeric", "exact")


def _check_reps(rep_in, rep_out) -> tuple[Rep, Rep]:
    for name, r in (("rep_in", rep_in), ("rep_out", rep_out)):
        if not isinstance(r, Rep):
            raise RepError(f"{name} must be a groupkit representation; got {type(r).__name__}. "
                           "Build one with V(G), Scalar, T(p, q, G), ….")
    rep_in, rep_out = _unify((rep_in, rep_out))
    return rep_in, rep_out


def hom_space(R: Rep, S: Rep) -> Rep:
    """The representation U = S ⊗ R* on which the pair's constraint acts."""
    return tensor(S, dual(R))


def solve_pair(R: Rep, S: Rep, *, method: str = "auto", use_cache: bool = True) -> PairBasis:
    """Basis of Hom(R, S) for two summands, as a :class:`PairBasis` (cached by value)."""
    if method in ("auto", "orbit", "exact"):
        # Symmetric groups on tensor powers: the orbits are set partitions, found without
        # touching the index tuples (and never cached: building them costs microseconds).
        pair = partition_pair(R, S) or orbit_tree_pair(R, S)
        if pair is not None:
            return pair
    U = hom_space(R, S)
    key = cache.entry_key(U.key, method)
    if use_cache:
        hit = cache.load(key, expected_rows=U.size)
        if hit is not None:
            return hit
    t0 = time.perf_counter()
    # Signed-permutation actions are read off the expression (Sym³ of 48 points never becomes
    # a 19,600 × 19,600 matrix); everything else goes through the factored constraint.
    actions = _orbits.signed_actions(U) if method in ("auto", "orbit", "exact") else None
    if method == "orbit" and actions is None:
        raise _numeric.SolverError(
            f"method='orbit' needs a group acting by signed permutations on {U}; this one has "
            "a Lie algebra or non-monomial generators. Use method='auto'.")
    if actions is not None:
        E = _orbits.orbit_basis_of(U.size, actions)
        Q = _orbits.normalized(E)
        if U.is_complex:  # a complex group whose generators act here by signed permutations
            Q = Q.astype(np.complex128)
        pair = PairBasis(Q, "orbit", float("inf"), exact=E)
    else:
        c = Constraint.of(U)
        inner = {"numeric": "auto", "exact": "auto"}.get(method, method)
        sol = _numeric.solve(c, method=inner)
        pair = PairBasis(sol.Q, sol.method, sol.gap)
    log.debug("solved Hom(%s, %s): dim %d by %s in %.3fs", R, S, pair.r, pair.method,
              time.perf_counter() - t0)
    if use_cache:
        cache.store(key, pair)
    return pair


def _summand_table(rep: Rep) -> list[tuple[Rep, list[int]]]:
    """Distinct summands in order of first appearance, with the offsets of all their copies."""
    table: dict[str, tuple[Rep, list[int]]] = {}
    offset = 0
    for s in rep.summands():
        table.setdefault(s.key, (s, []))[1].append(offset)
        offset += s.size
    return list(table.values())


def solve(rep_in: Rep, rep_out: Rep, *, method: str = "auto", cache: bool = True
          ) -> EquivariantBasis:
    """All equivariant linear maps rep_in → rep_out, as a compact :class:`EquivariantBasis`.

    ``method``: ``"auto"`` (orbits for signed-permutation actions, else the pivot reduction,
    else dense), or force ``"orbit"``, ``"pivot"``, ``"dense"``, ``"numeric"`` (no orbits).
    ``cache=False`` bypasses the memory and disk caches.

    >>> import numpy as np
    >>> from groupkit import SO, V, Scalar, solve
    >>> G = SO(3)
    >>> b = solve(3*V(G) + Scalar, V(G))
    >>> b
    EquivariantBasis(3V+1 → V, dim=3, blocks=1, methods=['pivot'])
    >>> b.shape                           # (out·in, dim)
    (30, 3)
    >>> b.weight(np.ones(3)).shape        # W = Σ_k c_k Q_k, (out, in)
    (3, 10)
    """
    if method not in METHODS or method == "exact":
        raise ValueError(f"method must be one of {METHODS[:-1]}; got {method!r}. "
                         "For exact bases call equivariant_basis(..., exact=True).")
    rep_in, rep_out = _check_reps(rep_in, rep_out)
    blocks = []
    col = 0
    is_complex = rep_in.is_complex or rep_out.is_complex
    for S, out_offsets in _summand_table(rep_out):
        for R, in_offsets in _summand_table(rep_in):
            pair = solve_pair(R, S, method=method, use_cache=cache)
            if pair.r == 0:
                continue
            blk = Block(R, S, np.array(in_offsets), np.array(out_offsets), pair, col)
            blocks.append(blk)
            col += blk.dim
            is_complex = is_complex or pair.is_complex
    return EquivariantBasis(rep_in, rep_out, tuple(blocks), is_complex)


def equivariant_basis(rep_in: Rep, rep_out: Rep, *, exact: bool = False, method: str = "auto",
                      cache: bool = True):
    """Basis of all equivariant linear maps rep_in → rep_out.

    Returns an ndarray Q of shape (rep_out.size · rep_in.size, r) with orthonormal columns; column
    k reshaped row-major to (rep_out.size, rep_in.size) is an equivariant W, and the columns span
    all of them. With ``exact=True`` returns a ``sympy.Matrix`` with exact rational entries whose
    columns span the same space (for groups with rational generators), verified exactly.

    >>> from groupkit import SO, V, equivariant_basis
    >>> Q = equivariant_basis(V(SO(3))**2, V(SO(3)), exact=True)
    >>> Q.shape
    (27, 1)
    >>> Q[:, 0].reshape(3, 9)[0, :]       # row 1 of W: ε_1jk (x ⊗ y ↦ x × y)
    Matrix([[0, 0, 0, 0, 0, 1, 0, -1, 0]])
    """
    if exact:
        from .exact import exact_basis

        return exact_basis(rep_in, rep_out)
    return solve(rep_in, rep_out, method=method, cache=cache).dense()


def equivariant_projector(rep_in: Rep, rep_out: Rep, **kwargs
                          ) -> scipy.sparse.linalg.LinearOperator:
    """The orthogonal projector Q Qᴴ onto the equivariant maps, as a matrix-free operator of shape
    (N, N) with N = rep_out.size · rep_in.size, acting on row-major flattenings vec(W).

    >>> import numpy as np
    >>> from groupkit import SO, V, equivariant_projector
    >>> P = equivariant_projector(V(SO(3)), V(SO(3)))
    >>> P.shape
    (9, 9)
    >>> W = np.arange(9.0).reshape(3, 3)
    >>> print((P @ W.ravel()).reshape(3, 3).round(6))   # (tr W / 3) · I
    [[4. 0. 0.]
     [0. 4. 0.]
     [0. 0. 4.]]
    """
    basis = solve(rep_in, rep_out, **kwargs)
    n_out, n_in = basis.rep_out.size, basis.rep_in.size
    N = n_out * n_in

    def matvec(v):
        v = np.asarray(v).reshape(n_out, n_in)
        return basis.project(v).reshape(-1)

    return scipy.sparse.linalg.LinearOperator((N, N), matvec=matvec, rmatvec=matvec,
                                              dtype=basis.dtype)

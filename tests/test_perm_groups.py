"""Orbits of general permutation groups on index tuples from stabiliser trees (issue 17).

Oracles: the enumeration solver (every index tuple) and Burnside counts computed from
fixed-point distributions.
"""

from fractions import Fraction
from math import comb, factorial

import numpy as np
import pytest
from sympy.combinatorics import Permutation, PermutationGroup

import groupkit as gk
from groupkit import _orbits, partition_basis
from groupkit._constraint import Constraint
from groupkit._permgroups import tuple_blocks, tuple_orbits
from groupkit.solver import hom_space


def wreath(m: int, k: int) -> PermutationGroup:
    """S(m) ≀ S(k) on m·k points: S(m) on the first block, and S(k) permuting the blocks."""
    n = m * k
    g1 = list(range(n))
    g1[0], g1[1] = 1, 0
    g2 = list(range(n))
    g2[:m] = [(i + 1) % m for i in range(m)]
    g3 = [(i + m) % n for i in range(n)]
    g4 = list(range(n))
    g4[:2 * m] = list(range(m, 2 * m)) + list(range(m))
    return PermutationGroup([Permutation(g) for g in (g1, g2, g3, g4)])


def _fixed_point_distribution(n: int) -> list[Fraction]:
    """P(a uniform element of S(n) fixes exactly x points), x = 0..n."""
    d = [1, 0]
    for m in range(2, n + 1):
        d.append((m - 1) * (d[-1] + d[-2]))
    return [Fraction(comb(n, x) * d[n - x], factorial(n)) for x in range(n + 1)]


def burnside_wreath(m: int, k: int, K: int) -> int:
    """Orbits of S(m) ≀ S(k) on K-tuples: E[fix^K], fix = Σ over the blocks σ fixes of the
    fixed points of that block's S(m) element (independent, uniform) — with the moments of a
    sum of independent variables, E[(X+Y)^K] = Σ_j C(K, j) E[X^j] E[Y^(K−j)]."""
    pm, pk = _fixed_point_distribution(m), _fixed_point_distribution(k)
    one = [sum(p * x ** j for x, p in enumerate(pm)) for j in range(K + 1)]  # moments of F
    total = Fraction(0)
    moments = [Fraction(1)] + [Fraction(0)] * K  # of the sum over f blocks, f = 0, 1, …
    for f in range(k + 1):
        total += pk[f] * moments[K]
        moments = [sum(comb(j, i) * moments[i] * one[j - i] for i in range(j + 1))
                   for j in range(K + 1)]
    assert total.denominator == 1
    return int(total)


def _enumerated(rin, rout):
    U = hom_space(rin, rout)
    E = _orbits.orbit_basis(Constraint.of(U)).tocsc()
    first = np.array([E.indices[E.indptr[c]:E.indptr[c + 1]].min() for c in range(E.shape[1])])
    return U, first, np.diff(E.indptr)


def _cases():
    Z6, cube = gk.Z(6), gk.RubiksCube()
    W = gk.from_sympy(wreath(3, 3))
    yield gk.V(Z6) ** 2, gk.V(Z6)
    yield gk.V(cube), gk.V(cube) ** 2
    yield gk.V(W) ** 2, gk.V(W) ** 2
    yield gk.V(gk.Z(4)) * gk.V(W), gk.V(W) * gk.V(gk.Z(4))  # a product: blocks of points
    yield gk.V(gk.A(5)) ** 2, gk.V(gk.A(5)) ** 2


@pytest.mark.parametrize("rin,rout", list(_cases()), ids=str)
def test_tree_orbits_equal_enumerated_orbits(rin, rout):
    U, first, sizes = _enumerated(rin, rout)
    perms, blocks = tuple_blocks(U)
    T = tuple_orbits(perms, U.group.d, blocks, seed=3)
    dims = [hi - lo for lo, hi in blocks]
    flat = [np.ravel_multi_index(tuple(np.array(t) - [lo for lo, _ in blocks]), dims)
            for t in T.reps.tolist()]
    order = np.argsort(first)
    np.testing.assert_array_equal(flat, first[order])
    np.testing.assert_array_equal(T.sizes, sizes[order])


@pytest.mark.parametrize("m,k,K", [(2, 2, 3), (3, 2, 4), (2, 4, 4), (3, 3, 3)])
def test_burnside_oracle_agrees_with_enumeration(m, k, K):
    G = gk.from_sympy(wreath(m, k))
    r = gk.V(G) ** (K // 2)
    dim = gk.solve(r, gk.V(G) ** (K - K // 2), method="orbit", cache=False).dim  # enumerated
    assert dim == burnside_wreath(m, k, K)


@pytest.mark.parametrize("m,k", [(100, 10), (250, 4)])
def test_wreath_product_at_degree_1000_matches_burnside(m, k):
    G = gk.from_sympy(wreath(m, k))
    basis = gk.solve(gk.V(G) ** 2, gk.V(G) ** 2, cache=False)
    assert basis.methods == ("orbit-tree",)
    assert basis.dim == burnside_wreath(m, k, 4) == 60


def test_solver_uses_the_tree_only_above_the_enumeration_threshold(monkeypatch):
    W = gk.from_sympy(wreath(3, 3))
    assert gk.solve(gk.V(W) ** 2, gk.V(W), cache=False).methods == ("orbit",)
    monkeypatch.setattr(partition_basis, "ENUMERATE_BELOW", 10)
    tree = gk.solve(gk.V(W) ** 2, gk.V(W), cache=False)
    assert tree.methods == ("orbit-tree",)
    U = hom_space(gk.V(W) ** 2, gk.V(W))
    enumerated = _orbits.normalized(_orbits.orbit_basis(Constraint.of(U))).toarray()
    np.testing.assert_array_equal(tree.dense(), enumerated)


def test_tree_gives_way_to_enumeration_when_orbits_are_many(monkeypatch):
    monkeypatch.setattr(partition_basis, "ENUMERATE_BELOW", 10)
    monkeypatch.setattr(partition_basis, "TREE_MAX_ORBITS", 20)
    basis = gk.solve(gk.V(gk.Z(5)) ** 2, gk.V(gk.Z(5)), cache=False)
    assert basis.methods == ("orbit",) and basis.dim == 25

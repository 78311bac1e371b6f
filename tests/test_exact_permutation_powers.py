"""Sym/Λ powers of permutation representations stay combinatorial (issue 12, item 5).

They act on their sorted-tuple bases by signed permutations, so the orbit solver applies without
any representation matrix being formed. Counts are checked independently with
sympy.combinatorics: Burnside's lemma over all elements of M11, and orbit enumeration of the
Rubik's cube group on facelet multisets.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sympy.combinatorics import Permutation, PermutationGroup

import groupkit as gk
from groupkit.reps import _SymmetricPower


@functools.cache
def _m11() -> PermutationGroup:
    a = Permutation([list(range(11))])
    b = Permutation([[2, 6, 10, 7], [3, 9, 4, 5]], size=11)
    G = PermutationGroup([a, b])
    assert G.order() == 7920  # the Mathieu group M11
    return G


def _fixed_multisets(cycle_lengths, k: int) -> int:
    """Multisets of size k fixed by a permutation: [t^k] Π_cycles 1/(1 − t^len)."""
    poly = np.zeros(k + 1, dtype=np.int64)
    poly[0] = 1
    for c in cycle_lengths:
        for i in range(c, k + 1):
            poly[i] += poly[i - c]
    return int(poly[k])


@functools.cache
def _burnside_sym_end(G: PermutationGroup, k: int) -> int:
    """dim End_G(Sym^k) = (1/|G|) Σ_g χ(g)², χ(g) = fixed multisets (a permutation character)."""
    total = 0
    for g in G.generate():
        lengths = [len(c) for c in g.full_cyclic_form]
        total += _fixed_multisets(lengths, k) ** 2
    assert total % G.order() == 0
    return total // G.order()


def _multiset_orbits_3(G: PermutationGroup) -> int:
    """Orbits on 3-multisets {a,a,a}, {a,a,b}, {a,b,c}: points and ordered pairs of distinct
    points (sympy's orbits), 3-subsets (a search over the generators' images)."""
    n = G.degree
    count = len(G.orbits())
    seen = set()
    for a in range(n):
        for b in range(n):
            if a != b and (a, b) not in seen:
                seen |= {tuple(o) for o in G.orbit([a, b], action="tuples")}
                count += 1
    gens = [g.array_form for g in G.generators]
    seen = set()
    for a in range(n):
        for b in range(a + 1, n):
            for c in range(b + 1, n):
                if (a, b, c) in seen:
                    continue
                count += 1
                seen.add((a, b, c))
                stack = [(a, b, c)]
                while stack:  # breadth of the orbit of a 3-subset, by the generators
                    t = stack.pop()
                    for g in gens:
                        u = tuple(sorted(g[i] for i in t))
                        if u not in seen:
                            seen.add(u)
                            stack.append(u)
    return count


@pytest.fixture
def no_dense_symmetric_powers(monkeypatch):
    def refuse(self, g):
        raise AssertionError(f"{self}'s matrix was formed")
    monkeypatch.setattr(_SymmetricPower, "rho", refuse)


@pytest.mark.parametrize("exact", [False, True])
def test_m11_sym3_endomorphisms_by_orbits_match_burnside(exact, no_dense_symmetric_powers):
    M = _m11()
    G = gk.catalogue.from_sympy(M, name="M11")
    R = gk.Sym(gk.V(G), 3)
    dim = (gk.equivariant_basis(R, R, exact=True).shape[1] if exact
           else gk.solve(R, R, cache=False).dim)
    assert dim == 37
    assert dim == _burnside_sym_end(M, 3)


@pytest.mark.parametrize("exact", [False, True])
def test_rubiks_cube_sym3_invariants_by_orbits_match_orbit_enumeration(
        exact, no_dense_symmetric_powers):
    G = gk.RubiksCube()
    R = gk.Sym(gk.V(G), 3)
    if exact:
        Q = gk.equivariant_basis(R, gk.Scalar, exact=True)
        dim = Q.shape[1]
        assert set(Q.values()) == {1}  # orbit indicators
    else:
        basis = gk.solve(R, gk.Scalar, cache=False)
        dim = basis.dim
        assert basis.methods == ("orbit",)
    assert dim == 18
    from sympy.combinatorics.generators import rubik_cube_generators
    assert dim == _multiset_orbits_3(PermutationGroup(list(rubik_cube_generators())))


@pytest.mark.parametrize("k", [2, 3])
def test_alternating_powers_of_signed_permutations_are_solved_by_orbits(k):
    G = gk.FullOctahedral()
    R = gk.Alt(gk.V(G) + gk.V(G), k)
    basis = gk.solve(R, R, cache=False)
    assert basis.methods == ("orbit",)
    # Independent count: the character inner product over the 48 elements of O_h.
    from groupkit.catalogue import FullOctahedral  # noqa: F401  (same group, enumerated here)
    elems = _enumerate(G.discrete_generators)
    chi = [np.trace(R.rho(g)) for g in elems]
    assert basis.dim == round(sum(c * c for c in chi) / len(elems))


def _enumerate(gens):
    out = {np.eye(gens.shape[1]).tobytes(): np.eye(gens.shape[1])}
    frontier = list(out.values())
    while frontier:
        new = []
        for g in frontier:
            for h in gens:
                x = np.round(h @ g, 12)
                if x.tobytes() not in out:
                    out[x.tobytes()] = x
                    new.append(x)
        frontier = new
    return list(out.values())

"""The oracles are checked against each other and against closed formulas, without groupkit's
solver: Weyl integration, enumeration and sympy orbit counting reproduce the classical numbers,
and the measures are probability measures integrated exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

import oracles as orc
from cases import _CASE_LIST, _measure

V, SCALAR = orc.V(), orc.SCALAR


def _invariants(measure, k, dual=0):
    """dim (V^⊗k ⊗ V*^⊗dual)^G."""
    spec = orc.tensor(*([V] * k + [orc.dual(V)] * dual)) if k + dual else SCALAR
    return orc.count(measure, SCALAR, spec)


MEASURED = [c.id for c in _CASE_LIST if c.measure is not None]


@pytest.mark.parametrize("case_id", MEASURED)
def test_measures_are_probability_measures(case_id):
    m = _measure(case_id, 4)
    assert abs(m.weights.sum() - 1) < 1e-12
    assert np.all(m.weights >= -1e-15)


@pytest.mark.parametrize("case_id", ["SO(3)", "O(4)", "SU(3)", "Sp(2)", "U(2)", "O(5)"])
def test_weyl_integration_is_exact_on_its_grid(case_id):
    # A finer grid than the degree needs gives the same averages (no aliasing).
    spec = orc.hom(orc.direct_sum(V, orc.tensor(V, V)), orc.sym(V, 2))
    coarse, fine = _measure(case_id, 4), _measure(case_id, 9)
    assert abs(coarse.average(spec) - fine.average(spec)) < 1e-9


@pytest.mark.parametrize("k", range(9))
def test_weyl_so3_counts_are_riordan_numbers(k):
    assert _invariants(orc.measure_SO(3, k), k) == orc.riordan(k)


@pytest.mark.parametrize("n, k", [(2, 1), (2, 2), (3, 2), (3, 3), (4, 2), (4, 3), (5, 2)])
def test_weyl_orthogonal_counts_are_brauer_numbers(n, k):
    assert _invariants(orc.measure_O(n, 2 * k), 2 * k) == orc.double_factorial(2 * k - 1)
    assert _invariants(orc.measure_O(n, 2 * k - 1), 2 * k - 1) == 0


@pytest.mark.parametrize("n", [2, 3, 4, 5])
def test_weyl_special_orthogonal_adds_levi_civita(n):
    brauer = orc.double_factorial(n - 1) if n % 2 == 0 else 0
    assert _invariants(orc.measure_SO(n, n), n) == brauer + 1
    assert _invariants(orc.measure_O(n, n), n) == brauer


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_weyl_su2_counts_are_catalan_numbers(k):
    assert _invariants(orc.measure_SU(2, 2 * k), 2 * k) == orc.catalan(k)


@pytest.mark.parametrize("m, k", [(1, 1), (2, 1), (2, 2), (3, 2)])
def test_weyl_symplectic_counts_are_brauer_numbers(m, k):
    # USp(2m): the invariants of V^⊗2k are the (2k−1)!! products of J when m ≥ k.
    assert _invariants(orc.measure_USp(m, 2 * k), 2 * k) == orc.double_factorial(2 * k - 1)


@pytest.mark.parametrize("n, p", [(1, 1), (2, 2), (3, 2), (3, 3)])
def test_weyl_unitary_counts_follow_schur_weyl_duality(n, p):
    # (V^⊗p ⊗ V*^⊗p)^{U(n)} is spanned by the p! permutations, independent when n ≥ p;
    # and U(n) has no invariants in V^⊗p alone.
    assert _invariants(orc.measure_U(n, 2 * p), p, p) == math.factorial(p)
    assert _invariants(orc.measure_U(n, p), p) == 0


@pytest.mark.parametrize("n, k", [(3, 2), (3, 4), (4, 4), (5, 3), (6, 3)])
def test_enumerated_symmetric_group_counts_set_partitions(n, k):
    P = np.stack([np.eye(n)[:, np.roll(np.arange(n), 1)], np.eye(n)[:, [1, 0, *range(2, n)]]])
    m = orc.finite_measure(P)
    assert len(m.weights) == math.factorial(n)
    assert _invariants(m, k) == orc.symmetric_invariants(n, k)


def test_sympy_orbit_counts_agree_with_enumeration():
    perms = [[1, 2, 3, 0], [1, 0, 2, 3]]  # S(4)
    assert orc.orbit_count_on_tuples(perms, 4, 2) == 2
    assert orc.orbit_count_on_tuples(perms, 4, 4) == orc.bell(4)
    assert orc.orbit_count_on_tuples([[1, 2, 3, 0]], 4, 2) == 4  # Z(4) on pairs


def test_closed_formulas():
    assert [orc.bell(n) for n in range(7)] == [1, 1, 2, 5, 15, 52, 203]
    assert [orc.catalan(n) for n in range(6)] == [1, 1, 2, 5, 14, 42]
    assert [orc.riordan(n) for n in range(9)] == [1, 0, 1, 1, 3, 6, 15, 36, 91]
    assert [orc.double_factorial(n) for n in (1, 3, 5, 7)] == [1, 3, 15, 105]
    assert orc.symmetric_invariants(3, 4) == 1 + 7 + 6


@pytest.mark.parametrize("name", ["Sym2", "Alt2", "Sym3", "Alt3"])
def test_symmetric_power_characters_match_the_dimension_at_the_identity(name):
    m = orc.trivial_measure(5)
    spec = {"Sym2": orc.sym(V, 2), "Alt2": orc.alt(V, 2), "Sym3": orc.sym(V, 3),
            "Alt3": orc.alt(V, 3)}[name]
    assert round(orc.character(spec, m.power_sum)[0].real) == orc.spec_size(spec, [5])


def test_eigenvalue_law_of_the_reflection_component_of_o4_matches_haar_sampling():
    # The O(4) oracle's det −1 component (eigenvalues 1, −1, e^{±iθ} with θ ~ USp(2) law)
    # against scipy's Haar-random orthogonal matrices. (tr g)² ∈ [0, 16], so by Hoeffding the
    # sample mean of N = 40000 is within 0.2 of the truth except with probability 2e^{-12.5}.
    rng = np.random.default_rng(0)
    g = scipy.stats.ortho_group.rvs(4, size=40000, random_state=rng)
    g = g[np.linalg.det(g) < 0]
    mc = np.mean(np.trace(g, axis1=1, axis2=2) ** 2)
    coset = orc.weyl_measure(orc.torus_USp(1, extra=(1.0, -1.0)), 4)
    exact = coset.average(orc.power(V, 2)).real
    assert abs(mc - exact) < 0.2
    # (a uniform θ would give 2, not 1: the second moment tells the laws apart)
    assert abs(exact - 1.0) < 1e-12
    # fourth moment: O(4) has 3 invariants in V^⊗4 and SO(4) has 4, so the coset gives 2·3 − 4
    assert abs(coset.average(orc.power(V, 4)).real - 2.0) < 1e-12

"""Finite groups: orders, classes and character tables against the known tables, exactly."""

from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import sympy

import groupkit as gk
from groupkit.finite import A, PSL, Q8, character, characters, conjugacy_classes, inner

import cases

r5, i7 = sympy.sqrt(5), sympy.sqrt(7) * sympy.I

# (group, order, sorted class sizes, sorted degrees, some (degree, class size, order) → value)
KNOWN = {
    "S(4)": (lambda: gk.S(4), 24, [1, 3, 6, 6, 8], [1, 1, 2, 3, 3]),
    "S(5)": (lambda: gk.S(5), 120, [1, 10, 15, 20, 20, 24, 30], [1, 1, 4, 4, 5, 5, 6]),
    "A(5)": (lambda: A(5), 60, [1, 12, 12, 15, 20], [1, 3, 3, 4, 5]),
    "Octahedral": (lambda: gk.Octahedral(), 24, [1, 3, 6, 6, 8], [1, 1, 2, 3, 3]),
    "D(5)": (lambda: gk.D(5), 10, [1, 2, 2, 5], [1, 1, 2, 2]),
    "D(6)": (lambda: gk.D(6), 12, [1, 1, 2, 2, 3, 3], [1, 1, 1, 1, 2, 2]),
    "D(7)": (lambda: gk.D(7), 14, [1, 2, 2, 2, 7], [1, 1, 2, 2, 2]),
    "Q8": (lambda: Q8(), 8, [1, 1, 2, 2, 2], [1, 1, 1, 1, 2]),
    "PSL(2,7)": (lambda: PSL(2, 7), 168, [1, 21, 24, 24, 42, 56], [1, 3, 3, 6, 7, 8]),
}


@pytest.mark.parametrize("name", list(KNOWN))
def test_character_table_matches_known_shape(name):
    make, N, sizes, degrees = KNOWN[name]
    t = characters(make())
    assert t.order == N == make().order()
    assert sorted(t.class_sizes) == sizes
    assert sorted(t.degrees) == degrees
    assert sum(d * d for d in t.degrees) == N


@pytest.mark.parametrize("name", list(KNOWN))
def test_both_orthogonality_relations_hold_exactly(name):
    assert characters(KNOWN[name][0]()).check_orthogonality()


def test_A5_golden_ratio_values():
    """The two 3-dimensional characters take (1 ± √5)/2 on the 5-cycles."""
    t = characters(A(5))
    threes = [i for i, d in enumerate(t.degrees) if d == 3]
    fives = [k for k, c in enumerate(t.classes) if c.element_order == 5]
    got = {sympy.simplify(t.values[i, k]) for i in threes for k in fives}
    assert got == {sympy.simplify((1 + r5) / 2), sympy.simplify((1 - r5) / 2)}


def test_PSL27_values_on_elements_of_order_7():
    """The two 3-dimensional characters take (−1 ± i√7)/2 on the classes of order 7."""
    t = characters(PSL(2, 7))
    threes = [i for i, d in enumerate(t.degrees) if d == 3]
    sevens = [k for k, c in enumerate(t.classes) if c.element_order == 7]
    got = {sympy.simplify(t.values[i, k]) for i in threes for k in sevens}
    assert got == {sympy.simplify((-1 + i7) / 2), sympy.simplify((-1 - i7) / 2)}
    eight = t.degrees.index(8)
    assert [t.values[eight, k] for k in sevens] == [1, 1]


def test_S4_known_table():
    """Columns (1, (12)(34), (12), (123), (1234)); rows as in every textbook."""
    t = characters(gk.S(4))
    assert [(c.size, c.element_order) for c in t.classes] == [(1, 1), (3, 2), (6, 2), (8, 3),
                                                              (6, 4)]
    rows = {tuple(int(v) for v in t.values.row(i)) for i in range(5)}
    assert rows == {(1, 1, 1, 1, 1), (1, 1, -1, 1, -1), (2, 2, 0, -1, 0), (3, -1, 1, 0, -1),
                    (3, -1, -1, 0, 1)}


def test_Q8_is_quaternionic_by_frobenius_schur():
    t = characters(Q8())
    assert sorted(t.indicators) == [-1, 1, 1, 1, 1]
    assert t.indicators[t.degrees.index(2)] == -1


@pytest.mark.parametrize("case", cases.FINITE_CASES, ids=lambda c: c.id)
def test_order_and_classes_of_catalogue(case):
    G = cases.group(case.id)
    assert G.order() == case.order == len(G.elements())
    cls = conjugacy_classes(G)
    assert sum(c.size for c in cls) == case.order
    assert all(case.order % c.size == 0 for c in cls)


def test_order_of_large_and_infinite_groups():
    assert gk.RubiksCube().order() == 43252003274489856000
    assert gk.SO(3).order() == math.inf
    assert gk.Trivial(3).order() == 1


def test_enumeration_limit_is_a_clear_error():
    with pytest.raises(gk.GroupError, match="more than 100 elements"):
        gk.S(6).elements(limit=100)
    with pytest.raises(gk.GroupError, match="infinite"):
        characters(gk.SO(3))


@pytest.mark.parametrize("case_id", ["S(4)", "S(5)", "D(5)", "C(6)", "Tetrahedral",
                                     "FullOctahedral", "Icosahedral"])
@pytest.mark.parametrize("rep", ["V", "VV", "Sym2"])
def test_decomposition_multiplicities_match_characters(case_id, rep):
    """Each real irrep found by decompose has the character of one complex irrep (real type),
    χ + χ̄ (complex type) or 2χ (quaternionic), and the counts add up to ⟨χ_R, χ_i⟩."""
    G = cases.group(case_id)
    R = cases.bound_rep(cases.REPS[rep], G)
    t = characters(G)
    want = np.array(t.multiplicities(character(R)))
    got = np.zeros(len(t.classes), int)
    for irrep, m in gk.decompose(R):
        mult = np.array(t.multiplicities(character(irrep)))
        expect_norm = {"real": 1, "complex": 2, "quaternionic": 4}[irrep.kind]
        assert int(mult @ mult) == expect_norm
        nu = [t.indicators[i] for i in np.flatnonzero(mult)]
        assert set(nu) == {{"real": 1, "complex": 0, "quaternionic": -1}[irrep.kind]}
        got += m * mult
    assert (got == want).all()


def test_inner_product_accepts_an_equal_table_rebuilt_after_eviction():
    chi = character(gk.V(gk.S(4)) ** 2)
    rebuilt = dataclasses.replace(chi, table=dataclasses.replace(chi.table))
    assert rebuilt.table is not chi.table and inner(chi, rebuilt) == 15  # Bell number B(4)


def test_inner_product_refuses_characters_of_different_groups():
    with pytest.raises(ValueError, match="same group"):
        inner(character(gk.V(gk.S(4))), character(gk.V(A(4))))


def test_inner_product_is_exact_and_matches_the_oracle():
    """⟨χ, χ⟩ = dim End_G(V⊗³), counted independently by the test oracles."""
    chi = character(gk.V(gk.S(4)) ** 3)
    spec = cases.REPS["VVV"]
    assert inner(chi, chi) == cases.count_specs("S(4)", spec, spec)
    assert isinstance(inner(chi, chi), sympy.Rational)


@pytest.mark.parametrize("G, n", [(gk.Z(150), 150),
                                  (gk.from_permutations([list(range(1, 130)) + [0]]), 130)],
                         ids=str)
def test_order_of_permutation_groups_with_long_cycles_is_finite(G, n):
    # a generator of order 150 is beyond the finite-order test's cap; the group is still finite
    assert G.order() == n


@pytest.mark.parametrize("n", [121, 150, 997, 2048])
def test_rotation_groups_of_order_above_the_power_test_are_finite(n):
    """C(n) as a 2×2 rotation by 2π/n: its order is n (not inf) beyond the 120 powers tried
    first; the orbit of (1, 0) under all elements has n distinct points."""
    G = gk.C(n)
    assert G.is_finite and G.order() == n
    pts = np.round(G.elements()[:, :, 0], 9)
    assert len({tuple(p) for p in pts}) == n


@pytest.mark.parametrize("t", np.random.default_rng(7).uniform(0.0, 2 * np.pi, 5))
def test_rotation_by_a_generic_angle_has_infinite_order(t):
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    G = gk.Group([R])
    assert not G.is_finite and G.order() == math.inf


# -- finite groups written in other units (audit) ---------------------------------------------

def _in_units(G, units):
    S = np.diag(units)
    Si = np.linalg.inv(S)
    return gk.Group([S @ h @ Si for h in G.discrete_generators], d=G.d)


@pytest.mark.parametrize("G, units", [
    (gk.D(6), [6.76120815e-01, 4.71904384e04]),      # spans 7·10⁴
    (gk.C(5), [5.00527572e-02, 4.82272195e04]),      # 10⁶
    (gk.Octahedral(), [1.26690339e-01, 2.77052086e01, 8.73289147e05]),
    # keyed as written, these closed with one element under two keys: orders 20 and 6
    (gk.D(6), [1.0, 1e6]),
    (gk.C(5), [1.0, 3e6]),
], ids=str)
def test_finite_group_in_other_units_is_finite_with_its_order(G, units):
    # g⁶ − I of a rotation in these units is 3·10⁻¹¹ by rounding, which a tolerance relative to
    # max |g⁶| = 1 read as "no finite order"; and elements keyed by entries rounded to 9 places
    # never matched, so the closure never ended: is_finite was False, order() refused.
    H = _in_units(G, units)
    assert H.is_finite and H.order() == G.order()
    assert len(H.elements()) == G.order()


def test_finite_group_in_skew_rational_coordinates_stays_finite():
    rng = np.random.default_rng(3)
    A = rng.integers(-3, 4, (4, 4)).astype(float) + 7 * np.eye(4)
    H = gk.Group([A @ h @ np.linalg.inv(A) for h in gk.S(4).discrete_generators], d=4)
    assert H.is_finite and H.order() == 24


@pytest.mark.parametrize("seed", [0, 9])
def test_finite_group_in_skew_rational_coordinates_counts_each_element_once(seed):
    # elements are keyed by entries rounded to 9 places; an entry within rounding noise of a
    # boundary (x.xxxxxxxxx5) can round either way, and S(7) here counted 5,041 and 5,079
    # elements: both roundings of such a tie must identify the same element
    rng = np.random.default_rng(seed)
    A = rng.integers(-3, 4, (7, 7)).astype(float) + 7 * np.eye(7)
    H = gk.Group([A @ h @ np.linalg.inv(A) for h in gk.S(7).discrete_generators], d=7)
    assert H.order() == 5040


def test_exact_reflection_in_other_units_does_not_warn():
    # diag(49, 1) · diag(−1, 1) · diag(49, 1)⁻¹ is diag(−0.9999999999999999, 1): a signed
    # permutation to rounding, which was reported as "within 1e-4 of one but not one".
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        H = _in_units(gk.D(4), [49.0, 1.0])
    assert H.is_finite and H.order() == 8

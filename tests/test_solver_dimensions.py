"""The solver finds *all* equivariant maps: its dimension equals a count made by another method.

Counts come from ``oracles.py`` (character averages over enumerated finite groups, Weyl
integration on compact forms, orbit counting with sympy, closed formulas), never from groupkit.
Together with the equivariance and orthonormality checks in ``test_solver_equivariance.py`` this
shows each basis is a basis of the whole space.
"""

from __future__ import annotations

import pytest

import groupkit as gk

import oracles as orc
from cases import REPS, bound_rep, expected_dim, group, hom_params


@pytest.mark.parametrize("case_id, rin, rout", hom_params())
def test_basis_dimension_equals_independent_count(case_id, rin, rout):
    G = group(case_id)
    rep_in, rep_out = bound_rep(REPS[rin], G), bound_rep(REPS[rout], G)
    basis = gk.solve(rep_in, rep_out)
    assert basis.dim == expected_dim(case_id, rin, rout)
    assert basis.shape == (rep_out.size * rep_in.size, basis.dim)


# -- closed formulas -------------------------------------------------------------------------

@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 12, 20,
                               pytest.param(30, marks=pytest.mark.slow)])
def test_symmetric_group_maps_on_tensor_squares_count_set_partitions(n):
    # Hom(V⊗V, V⊗V) ≅ (V^⊗4)^{S(n)}: set partitions of 4 points into ≤ n blocks (Bell 15, n ≥ 4).
    G = gk.S(n)
    basis = gk.solve(gk.V(G) ** 2, gk.V(G) ** 2)
    assert basis.dim == orc.symmetric_invariants(n, 4)
    if n >= 4:
        assert basis.dim == orc.bell(4) == 15


@pytest.mark.parametrize("n, k", [(3, 3), (4, 3), (6, 3), (3, 5), (7, 2), (5, 4)])
def test_symmetric_group_invariants_of_tensor_powers_count_set_partitions(n, k):
    G = gk.S(n)
    assert gk.solve(gk.V(G) ** k, gk.Scalar).dim == orc.symmetric_invariants(n, k)


@pytest.mark.parametrize("n, k", [(1, 1), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3), (4, 2),
                                  (5, 1), (5, 2), pytest.param(4, 3, marks=pytest.mark.slow)])
def test_orthogonal_group_invariants_are_brauer_counts(n, k):
    # (V^⊗2k)^{O(n)} is spanned by the (2k−1)!! products of Kronecker deltas, independent for n ≥ k.
    G = gk.O(n)
    assert gk.solve(gk.V(G) ** (2 * k), gk.Scalar).dim == orc.double_factorial(2 * k - 1)


@pytest.mark.parametrize("n", [3, 5])
@pytest.mark.parametrize("k", [1, 3])
def test_orthogonal_group_has_no_odd_invariants(n, k):
    G = gk.O(n)
    assert gk.solve(gk.V(G) ** k, gk.Scalar).dim == 0


@pytest.mark.parametrize("n", [2, 3, 4, pytest.param(5, marks=pytest.mark.slow)])
def test_special_orthogonal_group_adds_the_levi_civita_invariant(n):
    # V^⊗n of SO(n) has the O(n) invariants plus ε (which changes sign under reflections).
    brauer = orc.double_factorial(n - 1) if n % 2 == 0 else 0
    assert gk.solve(gk.V(gk.SO(n)) ** n, gk.Scalar).dim == brauer + 1
    assert gk.solve(gk.V(gk.O(n)) ** n, gk.Scalar).dim == brauer


@pytest.mark.parametrize("k", [1, 2, 3])
def test_su2_invariants_of_even_tensor_powers_are_catalan_numbers(k):
    G = gk.SU(2)
    assert gk.solve(gk.V(G) ** (2 * k), gk.Scalar).dim == orc.catalan(k)


@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, 5, 6,
                               pytest.param(7, marks=pytest.mark.slow),
                               pytest.param(8, marks=pytest.mark.slow)])
def test_so3_invariants_of_tensor_powers_are_riordan_numbers(k):
    G = gk.SO(3)
    assert gk.solve(gk.V(G) ** k, gk.Scalar).dim == orc.riordan(k)
    assert orc.riordan(k) == [1, 0, 1, 1, 3, 6, 15, 36, 91][k]


# -- the benchmark list of issue 3 ------------------------------------------------------------

def _so3_layer_count() -> int:
    # Hom(⊕ a_i R_i, ⊕ b_j S_j) = ⊕ Hom(R_i, S_j) ⊗ R^{b_j × a_i}: 32·32 times the small counts.
    summands = ["1", "V", "VV"]
    return sum(32 * 32 * expected_dim("SO(3)", r, s) for r in summands for s in summands)


def _rubik_vv() -> int:
    from sympy.combinatorics.generators import rubik_cube_generators

    return orc.orbit_count_on_tuples([p.array_form for p in rubik_cube_generators()], 48, 2)


def _bench_cases():
    so3, o5, lor, sp2 = gk.SO(3), gk.O(5), gk.Lorentz(), gk.Sp(2)
    s6, s12, rub = gk.S(6), gk.S(12), gk.RubiksCube()
    v, v5 = gk.V(so3), gk.V(o5)
    layer = 32 * v + 32 * v ** 2 + 32 * gk.Scalar
    prod = gk.V(so3) * gk.V(gk.S(4))
    return [
        ("SO(3) V->V", v, v, lambda: expected_dim("SO(3)", "V", "V")),
        ("SO(3) VV->V", v ** 2, v, lambda: expected_dim("SO(3)", "VV", "V")),
        ("SO(3) T4->1", gk.T(4, 0, so3), gk.Scalar, lambda: orc.riordan(4)),
        ("SO(3) T5->1", gk.T(5, 0, so3), gk.Scalar, lambda: orc.riordan(5)),
        ("SO(3) 32V+32V2+32->same", layer, layer, _so3_layer_count),
        ("O(5) VV->VV", v5 ** 2, v5 ** 2, lambda: orc.orthogonal_invariants(5, 4)),
        ("O(5) 10V->10V", 10 * v5, 10 * v5, lambda: 100 * expected_dim("O(5)", "V", "V")),
        ("Lorentz 4VV->1", 4 * gk.V(lor) ** 2, gk.Scalar,
         lambda: 4 * expected_dim("Lorentz", "VV", "1")),
        ("Sp(2) VV->VV", gk.V(sp2) ** 2, gk.V(sp2) ** 2,
         lambda: orc.count(orc.measure_USp(2, 4), orc.power(orc.V(), 2), orc.power(orc.V(), 2))),
        ("S(6) V3->1", gk.V(s6) ** 3, gk.Scalar, lambda: orc.symmetric_invariants(6, 3)),
        ("S(12) VV->VV", gk.V(s12) ** 2, gk.V(s12) ** 2, lambda: orc.bell(4)),
        ("RubiksCube V->V", gk.V(rub), gk.V(rub), _rubik_vv),
        ("SO(3)xS(4) VV'->VV'", prod, prod, lambda: orc.count(
            orc.product(orc.measure_SO(3, 2), orc.finite_measure(gk.S(4).discrete_generators)),
            orc.tensor(orc.V(0), orc.V(1)), orc.tensor(orc.V(0), orc.V(1)))),
    ]


BENCH = _bench_cases()


@pytest.mark.parametrize("name, rep_in, rep_out, count", BENCH, ids=[b[0] for b in BENCH])
def test_benchmark_case_dimension_equals_independent_count(name, rep_in, rep_out, count):
    assert gk.solve(rep_in, rep_out).dim == count()


def test_benchmark_counts_match_the_published_figures():
    # The figures of issue 3 / ANCHORS.md, derived above by independent methods.
    expected = {"SO(3) V->V": 1, "SO(3) VV->V": 1, "SO(3) T4->1": 3, "SO(3) T5->1": 6,
                "SO(3) 32V+32V2+32->same": 9216, "O(5) VV->VV": 3, "O(5) 10V->10V": 100,
                "Lorentz 4VV->1": 4, "Sp(2) VV->VV": 3, "S(6) V3->1": 5, "S(12) VV->VV": 15,
                "SO(3)xS(4) VV'->VV'": 2}
    for name, _, _, count in BENCH:
        if name in expected:
            assert count() == expected[name], name

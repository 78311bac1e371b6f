"""Groups: generators, samples, membership, components, values and keys, products, user groups."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

import groupkit as gk

import oracles as orc
from cases import _CASE_LIST, CASES, FINITE_CASES, group

ALL_IDS = [c.id for c in _CASE_LIST]
ETA = np.diag([1.0, -1.0, -1.0, -1.0])


def _J(m):
    return np.block([[np.zeros((m, m)), np.eye(m)], [-np.eye(m), np.zeros((m, m))]])


def _is_permutation_matrix(g):
    return (np.all((g == 0) | (g == 1)) and np.all(g.sum(0) == 1) and np.all(g.sum(1) == 1))


def _member_of_lie_group(case_id: str, g: np.ndarray) -> list[str]:
    """The defining equations of each continuous library group; returns what g violates."""
    name, _, arg = case_id.partition("(")
    n = g.shape[0]
    eye = np.eye(n)
    det = np.linalg.det(g)
    tol = 1e-9 * max(1.0, np.linalg.norm(g) ** 2)
    fails = []

    def need(ok, what):
        if not ok:
            fails.append(what)

    if name in ("SO", "O"):
        need(np.allclose(g.T @ g, eye, atol=1e-10), "orthogonal")
        if name == "SO":
            need(abs(det - 1) < 1e-10, "det 1")
    elif name in ("SU", "U"):
        need(np.allclose(g.conj().T @ g, eye, atol=1e-10), "unitary")
        if name == "SU":
            need(abs(det - 1) < 1e-10, "det 1")
    elif name == "SL":
        need(np.isrealobj(g) and abs(det - 1) < 1e-9, "real with det 1")
    elif name == "GL":
        need(np.isrealobj(g) and abs(det) > 1e-6, "real invertible")
    elif name == "Sp":
        need(np.abs(g.T @ _J(n // 2) @ g - _J(n // 2)).max() < tol, "preserves J")
    elif name in ("Lorentz", "SO13p", "SO13"):
        need(np.abs(g.T @ ETA @ g - ETA).max() < tol, "preserves the Minkowski form")
        if name != "Lorentz":
            need(abs(det - 1) < 1e-9, "det 1")
        if name == "SO13p":
            need(g[0, 0] >= 1 - 1e-12, "orthochronous")
    elif name == "Trivial":
        need(np.array_equal(g, eye), "identity")
    else:
        raise KeyError(case_id)
    return fails


@pytest.mark.parametrize("case_id", ALL_IDS)
def test_samples_have_the_right_shape(case_id):
    G = group(case_id)
    g = G.samples(4, rng=0)
    assert g.shape == (4, G.d, G.d)
    assert G.samples(0, rng=0).shape == (0, G.d, G.d)
    assert G.sample(rng=0).shape == (G.d, G.d)


@pytest.mark.parametrize("case_id", ALL_IDS)
def test_samples_are_reproducible_with_a_seed(case_id):
    G = group(case_id)
    np.testing.assert_array_equal(G.samples(3, rng=5), G.samples(3, rng=5))
    a = G.samples(3, rng=np.random.default_rng(11))
    b = G.samples(3, rng=np.random.default_rng(11))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case_id", [c.id for c in FINITE_CASES])
def test_finite_group_has_the_expected_order(case_id):
    # Validates the generators, and the enumeration the character oracle averages over.
    case = CASES[case_id]
    assert len(orc.enumerate_group(group(case_id).discrete_generators)) == case.order


def _element_keys(elements):
    return {(np.round(g, 8) + 0.0).tobytes() for g in elements}


@pytest.mark.parametrize("case_id", [c.id for c in FINITE_CASES])
def test_finite_group_samples_are_elements_and_cover_the_group(case_id):
    G = group(case_id)
    elements = _element_keys(orc.enumerate_group(G.discrete_generators))
    n = 20 * len(elements)  # misses an element with probability ≤ |G| e^{-20}
    drawn = _element_keys(G.samples(n, rng=3))
    assert drawn <= elements
    assert drawn == elements


LIE_IDS = [c.id for c in _CASE_LIST if c.order is None and c.perms is None and "x" not in c.id]


@pytest.mark.parametrize("case_id", LIE_IDS)
def test_samples_and_generators_belong_to_the_group(case_id):
    G = group(case_id)
    for g in G.samples(20, rng=2):
        assert _member_of_lie_group(case_id, g) == []
    for h in G.discrete_generators:
        assert _member_of_lie_group(case_id, h) == []


def _algebra_conditions(case_id: str, A: np.ndarray) -> bool:
    name = case_id.partition("(")[0]
    n = A.shape[0]
    if name in ("SO", "O"):
        return np.allclose(A.T, -A)
    if name == "SU":
        return np.allclose(A.conj().T, -A) and abs(np.trace(A)) < 1e-12
    if name == "U":
        return np.allclose(A.conj().T, -A)
    if name == "SL":
        return abs(np.trace(A)) < 1e-12
    if name == "GL":
        return True
    if name == "Sp":
        J = _J(n // 2)
        return np.allclose(A.T @ J + J @ A, 0)
    if name in ("Lorentz", "SO13p", "SO13"):
        return np.allclose(A.T @ ETA + ETA @ A, 0)
    if name == "Trivial":
        return False
    raise KeyError(case_id)


def _expected_algebra_dim(case_id: str, n: int) -> int:
    name = case_id.partition("(")[0]
    return {"SO": n * (n - 1) // 2, "O": n * (n - 1) // 2, "SU": n * n - 1, "U": n * n,
            "SL": n * n - 1, "GL": n * n, "Sp": (n // 2) * (n + 1), "Lorentz": 6, "SO13p": 6,
            "SO13": 6, "Trivial": 0}[name]


@pytest.mark.parametrize("case_id", LIE_IDS)
def test_lie_algebra_spans_the_whole_algebra_of_the_group(case_id):
    G = group(case_id)
    A = G.lie_algebra
    assert all(_algebra_conditions(case_id, a) for a in A)
    flat = A.reshape(len(A), G.d * G.d)
    if np.iscomplexobj(flat):  # the real span of complex matrices
        flat = np.concatenate([flat.real, flat.imag], axis=1)
    rank = np.linalg.matrix_rank(flat) if len(A) else 0
    assert rank == _expected_algebra_dim(case_id, G.d)


@pytest.mark.parametrize("case_id, n_signs", [("O(2)", 2), ("O(3)", 2), ("O(5)", 2),
                                               ("GL(2)", 2), ("GL(3)", 2)])
def test_samples_cover_both_signs_of_the_determinant(case_id, n_signs):
    dets = np.linalg.det(group(case_id).samples(40, rng=4))
    assert len(set(np.sign(dets).astype(int))) == n_signs


def test_lorentz_samples_reach_all_four_components_and_large_boosts():
    g = gk.Lorentz().samples(200, rng=6)
    components = {(int(np.sign(np.linalg.det(x))), int(np.sign(x[0, 0]))) for x in g}
    assert components == {(1, 1), (1, -1), (-1, 1), (-1, -1)}
    gamma = np.abs(g[:, 0, 0])
    assert gamma.max() > 2.0
    assert np.mean(gamma > 2.0) > 0.05


def test_so13_samples_reach_both_components_of_det_one():
    g = gk.SO13().samples(100, rng=6)
    assert {int(np.sign(x[0, 0])) for x in g} == {1, -1}


@pytest.mark.parametrize("case_id", ["SO(3)", "SO(5)", "SU(2)", "U(3)", "Sp(2)", "SL(3)"])
def test_samples_are_spread_far_from_the_identity(case_id):
    # The identity component is covered: traces spread over their whole range, not only near d.
    G = group(case_id)
    g = G.samples(200, rng=8)
    dist = np.linalg.norm(g - np.eye(G.d), axis=(1, 2))
    assert np.median(dist) > 1.0


def test_orthogonal_samples_follow_haar_measure():
    # Moments of the trace under Haar measure on SO(3): E[tr g] = 0, E[(tr g)²] = 1 (Weyl).
    g = gk.SO(3).samples(20000, rng=9)
    tr = np.trace(g, axis1=1, axis2=2)
    exact = orc.measure_SO(3, 2)
    assert abs(tr.mean() - exact.average(orc.V()).real) < 0.05
    assert abs((tr ** 2).mean() - exact.average(orc.power(orc.V(), 2)).real) < 0.06


def test_rubiks_cube_generators_are_sympys_face_turns():
    from sympy.combinatorics import Permutation, PermutationGroup
    from sympy.combinatorics.generators import rubik_cube_generators

    G = gk.RubiksCube()
    cube = PermutationGroup(list(rubik_cube_generators()))
    for h in G.discrete_generators:
        assert _is_permutation_matrix(h)
        perm = Permutation([int(np.argmax(h[:, j])) for j in range(48)])
        assert cube.contains(perm)
    for g in G.samples(5, rng=0):
        assert _is_permutation_matrix(g)
        assert cube.contains(Permutation([int(np.argmax(g[:, j])) for j in range(48)]))
    mine = PermutationGroup([Permutation([int(np.argmax(h[:, j])) for j in range(48)])
                             for h in G.discrete_generators])
    assert mine.order() == cube.order() == 43252003274489856000


def test_permutation_group_samples_are_permutation_matrices():
    for G in (gk.S(7), gk.Z(6)):
        assert all(_is_permutation_matrix(g) for g in G.samples(20, rng=0))


# -- values and keys -------------------------------------------------------------------------

def test_groups_are_equal_and_hash_by_value():
    assert gk.SO(3) == gk.SO(3) and hash(gk.SO(3)) == hash(gk.SO(3))
    assert gk.SO(3) != gk.O(3) and gk.SO(3) != gk.SO(4) and gk.S(4) != gk.Z(4)
    assert len({gk.SO(3), gk.SO(3), gk.O(3), gk.S(4), gk.S(4)}) == 3
    # Equality is by generators, not by name or class.
    same = gk.Group(gk.O(3).discrete_generators, gk.O(3).lie_algebra, name="my O(3)")
    assert same == gk.O(3) and hash(same) == hash(gk.O(3))
    assert gk.Group(lie_algebra=[[[0.0, -1.0], [1.0, 0.0]]]) == gk.SO(2)


KEY_GROUPS = ["gk.SO(3)", "gk.Lorentz()", "gk.S(4)", "gk.SU(2)", "gk.SO(3) * gk.S(4)",
              "gk.RubiksCube()", "gk.Icosahedral()"]


def test_group_keys_are_stable_across_processes():
    code = ("import groupkit as gk\n"
            f"for G in [{', '.join(KEY_GROUPS)}]:\n"
            "    print(G.key)\n")
    # Another process with another str-hash salt: keys must not depend on hash().
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""})
    here = [eval(expr, {"gk": gk}).key for expr in KEY_GROUPS]
    assert out.stdout.split() == here
    assert len(set(here)) == len(here)


def test_generator_arrays_are_read_only():
    G = gk.O(3)
    for arr in (G.discrete_generators, G.lie_algebra):
        assert not arr.flags.writeable
        with pytest.raises(ValueError):
            arr[0, 0, 0] = 5.0


def test_direct_products_flatten():
    A, B, C = gk.SO(3), gk.S(4), gk.Z(3)
    left, right = (A * B) * C, A * (B * C)
    assert left == right and hash(left) == hash(right)
    assert left.factors == (A, B, C)
    assert left.d == 3 + 4 + 3
    assert left.lie_algebra.shape == (3, 10, 10)
    assert left.discrete_generators.shape == (2 + 1, 10, 10)
    assert A * B != B * A


def test_direct_product_samples_are_block_diagonal_members():
    G = gk.SO(3) * gk.S(4)
    for g in G.samples(10, rng=0):
        R, P = g[:3, :3], g[3:, 3:]
        assert np.allclose(g[:3, 3:], 0) and np.allclose(g[3:, :3], 0)
        assert _member_of_lie_group("SO(3)", R) == []
        assert _is_permutation_matrix(P)


# -- user-defined groups ---------------------------------------------------------------------

def test_user_group_from_generators_in_one_call():
    # The rotation group of a square, written by hand.
    quarter = np.array([[0.0, -1.0], [1.0, 0.0]])
    G = gk.Group([quarter], name="C4 by hand")
    assert G.d == 2 and G.is_finite and repr(G) == "C4 by hand"
    measure = orc.finite_measure(G.discrete_generators)
    assert len(measure.weights) == 4
    for rin, rout in [(orc.power(orc.V(), 2), orc.SCALAR), (orc.V(), orc.V()),
                      (orc.power(orc.V(), 2), orc.power(orc.V(), 2))]:
        k_in, k_out = orc.spec_degree(rin), orc.spec_degree(rout)
        dim = gk.solve(gk.V(G) ** k_in, gk.V(G) ** k_out).dim
        assert dim == orc.count(measure, rin, rout)


def test_user_group_with_a_lie_algebra_and_a_discrete_part():
    # O(2) by hand: rotations and one reflection; counts agree with Weyl integration on O(2).
    G = gk.Group([np.diag([-1.0, 1.0])], [[[0.0, -1.0], [1.0, 0.0]]])
    assert G == gk.O(2)
    m = orc.measure_O(2, 4)
    VV = orc.power(orc.V(), 2)
    assert gk.solve(gk.V(G) ** 2, gk.V(G) ** 2).dim == orc.count(m, VV, VV) == 3


def test_group_from_sympy_permutation_group():
    from sympy.combinatorics.named_groups import AlternatingGroup, SymmetricGroup

    G = gk.from_sympy(SymmetricGroup(4))
    assert G.d == 4 and G.is_permutation
    assert len(orc.enumerate_group(G.discrete_generators)) == 24
    assert gk.solve(gk.V(G) ** 2, gk.V(G) ** 2).dim == orc.bell(4)
    A = gk.from_sympy(AlternatingGroup(4), name="A4")
    assert repr(A) == "A4"
    assert len(orc.enumerate_group(A.discrete_generators)) == 12
    m = orc.finite_measure(A.discrete_generators)
    assert gk.solve(gk.V(A) ** 3, gk.Scalar).dim == orc.count(m, orc.power(orc.V(), 3),
                                                              orc.SCALAR)


def test_group_from_permutations():
    G = gk.from_permutations([[1, 0, 2, 3, 4], [1, 2, 3, 4, 0]])  # a swap and a 5-cycle
    assert G.d == 5
    assert len(orc.enumerate_group(G.discrete_generators)) == math.factorial(5)
    assert gk.solve(gk.V(G) ** 2, gk.V(G) ** 2).dim == 15
    # P e_i = e_{p[i]}
    P = G.discrete_generators[1]
    assert P[1, 0] == 1 and P[0, 4] == 1


def test_group_flags_are_derived_from_generators():
    assert gk.S(4).is_permutation and gk.S(4).is_finite
    assert gk.Octahedral().is_signed_permutation and not gk.Octahedral().is_permutation
    assert not gk.Icosahedral().is_signed_permutation
    assert gk.SO(3).is_orthogonal and not gk.SO(3).is_finite
    assert not gk.Lorentz().is_orthogonal and not gk.SL(2).is_orthogonal
    assert gk.SU(2).is_complex and not gk.SO(3).is_complex


@pytest.mark.parametrize("gens, lie", [
    ([np.diag([1.0 + 1e-6, 1.0])], []),                     # orthogonal only to 1e-6
    ([], [1e-12 * np.diag([1.0, -1.0])]),                   # a symmetric algebra, tiny units
])
def test_is_orthogonal_is_exact_to_rounding_and_scale_free(gens, lie):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", gk.ApproximateGroupWarning)
        G = gk.Group(gens, lie, d=2)
    assert not G.is_orthogonal
    assert gk.Group([], [1e-12 * np.array([[0.0, -1.0], [1.0, 0.0]])]).is_orthogonal

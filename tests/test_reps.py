"""Representations: the algebra, values, and ρ / dρ checked against independent constructions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import groupkit as gk
from groupkit.testing import relative_error

import oracles as orc
from cases import REPS, bound_rep, group

SO3 = gk.SO(3)
V3 = gk.V(SO3)


# -- the algebra -----------------------------------------------------------------------------

@pytest.mark.parametrize("rep, size", [
    (V3, 3), (V3 ** 2, 9), (V3 ** 2 + 3 * V3, 18), (2 * V3 + V3 ** 2, 15), (V3 ** 0, 1),
    (gk.Sym(V3, 2), 6), (gk.Alt(V3, 2), 3), (gk.Sym(V3, 3), 10), (gk.Alt(V3, 3), 1),
    (gk.T(2, 1, SO3), 27), (V3 >> V3, 9), (V3 ** 2 >> V3, 27), (gk.Scalar, 1),
    (sum([V3, V3, gk.Scalar]), 7), (gk.Sym(2 * V3, 2), 21), (gk.V(gk.SO(3)) * gk.V(gk.S(4)), 12),
    (gk.V(gk.SO(3)) + gk.V(gk.S(4)), 7),
], ids=lambda x: repr(x) if isinstance(x, gk.Rep) else str(x))
def test_representation_sizes(rep, size):
    assert rep.size == size
    assert rep.rho(rep.group.sample(rng=0) if rep.group is not None else np.eye(1)).shape == (
        size, size)


@pytest.mark.parametrize("G", [gk.SL(3), gk.SO(3), gk.Lorentz(), gk.SU(2)], ids=repr)
def test_maps_between_representations_are_output_tensor_dual_input(G):
    v = gk.V(G)
    for rin, rout in [(v, v), (v ** 2, v), (v + v ** 2, 2 * v), (gk.Sym(v, 2), v.T)]:
        assert (rin >> rout) == rout * rin.T
        assert (rout << rin) == (rin >> rout)
        assert (rin >> rout).size == rin.size * rout.size


@pytest.mark.parametrize("G", [gk.SL(3), gk.Lorentz(), gk.SU(2), gk.S(4)], ids=repr)
def test_dual_of_dual_is_the_representation(G):
    v = gk.V(G)
    user = gk.UserRep(gk.S(4), lambda g: g, size=4, name="P") if G == gk.S(4) else v
    for rep in [v, v ** 2, v + v.T, 3 * v + v ** 2, gk.Sym(v, 2), gk.Alt(v, 2), user,
                gk.V(gk.SO(3)) * v]:
        assert rep.T.T == rep


def test_dual_of_an_orthogonal_groups_vector_is_itself_and_of_others_is_not():
    assert V3.T == V3
    assert gk.V(gk.SL(3)).T != gk.V(gk.SL(3))
    assert gk.V(gk.SU(2)).T != gk.V(gk.SU(2))  # complex: ρ* = conj(ρ), a different matrix


def test_power_multiplicity_and_sum_identities():
    assert V3 ** 3 == V3 * V3 * V3 == V3 * (V3 * V3)
    assert V3 ** 1 == V3 and V3 ** 0 == gk.Scalar
    assert 3 * V3 == V3 + V3 + V3 == V3 * 3 == sum([V3, V3, V3])
    assert V3 + 0 == V3
    assert gk.T(2)(SO3) == gk.T(2, 0, SO3) == V3 ** 2
    assert gk.T(1, 1, gk.SL(2)) == gk.V(gk.SL(2)) * gk.V(gk.SL(2)).T
    assert gk.Scalar * V3 == V3


@pytest.mark.parametrize("rep, text", [
    (V3 ** 2 + 3 * V3 + gk.Scalar, "V⊗V+3V+1"),
    (gk.V(gk.SL(3)).T, "V*"),
    (gk.V(gk.SL(3)) >> gk.V(gk.SL(3)), "V⊗V*"),
    (2 * V3 + V3 ** 2, "2V+V⊗V"),
    (gk.Sym(V3, 2), "Sym^2(V)"),
    (gk.Alt(V3, 2), "Λ^2(V)"),
    (V3 ** 4, "V^⊗4"),
    (gk.Scalar, "1"),
], ids=lambda x: x if isinstance(x, str) else "")
def test_representations_print_in_math_notation(rep, text):
    assert repr(rep) == text == str(rep)
    assert rep._repr_latex_().startswith("$") and rep._repr_latex_().endswith("$")


def test_representations_are_equal_and_hash_by_value():
    a, b = gk.V(gk.SO(3)) ** 2 + gk.V(gk.SO(3)), gk.V(gk.SO(3)) ** 2 + gk.V(gk.SO(3))
    assert a is not b and a == b and hash(a) == hash(b)
    assert len({a, b, V3, gk.V(gk.SO(3))}) == 2
    assert gk.V(gk.SO(3)) != gk.V(gk.O(3))
    assert V3 + V3 ** 2 != V3 ** 2 + V3  # a direct sum's order fixes its coordinates
    assert gk.Sym(V3, 2) != gk.Alt(V3, 2) and gk.Sym(V3, 2) != gk.Sym(V3, 3)
    assert {a: 1}[b] == 1


def test_user_representations_are_equal_by_value():
    G = gk.S(4)

    def sign(g):
        return np.linalg.det(g).reshape(1, 1)

    a = gk.UserRep(G, sign, size=1, name="sgn")
    b = gk.UserRep(G, lambda g: np.round(np.linalg.det(g)).reshape(1, 1), size=1, name="sgn")
    c = gk.UserRep(G, lambda g: np.ones((1, 1)), size=1, name="sgn")
    assert a == b and hash(a) == hash(b)
    assert a != c


def test_representations_are_immutable():
    rep = V3 ** 2 + V3
    with pytest.raises(AttributeError):
        rep.group = gk.O(3)
    with pytest.raises(AttributeError):
        V3.group = gk.O(3)
    s = gk.Sym(V3, 2)
    with pytest.raises(AttributeError):
        s.k = 3


# -- ρ is a homomorphism, dρ its derivative --------------------------------------------------

def _sign_rep(G):
    return gk.UserRep(G, lambda g: np.linalg.det(g).reshape(1, 1),
                      (lambda A: np.trace(A).reshape(1, 1)) if G.lie_algebra.shape[0] else None,
                      size=1, name="det")


def _twisted(G):
    """A user representation on R^d ⊗ R^d: g ↦ g ⊗ g^{-T} (that is V ⊗ V*), given as functions."""
    d = G.d

    def rho(g):
        return np.kron(g, np.linalg.inv(g).T)

    def drho(A):
        return np.kron(A, np.eye(d)) - np.kron(np.eye(d), A.T)

    return gk.UserRep(G, rho, drho if G.lie_algebra.shape[0] else None, size=d * d, name="τ")


NODE_BUILDERS = {
    "V": lambda G: gk.V(G),
    "V*": lambda G: gk.V(G).T,
    "sum": lambda G: 2 * gk.V(G) + gk.Scalar,
    "tensor": lambda G: gk.V(G) * gk.V(G).T,
    "power3": lambda G: gk.V(G) ** 3,
    "hom": lambda G: gk.V(G) ** 2 >> gk.V(G),
    "Sym2": lambda G: gk.Sym(gk.V(G), 2),
    "Alt2": lambda G: gk.Alt(gk.V(G), 2),
    "Sym3": lambda G: gk.Sym(gk.V(G), 3),
    "Alt3": lambda G: gk.Alt(gk.V(G) + gk.Scalar, 3),
    "Sym2(sum)": lambda G: gk.Sym(gk.V(G) + gk.V(G).T, 2),
    "user-det": _sign_rep,
    "user-tensor": _twisted,
    "user-in-sum": lambda G: _sign_rep(G) * gk.V(G) + gk.V(G),
}
HOMOMORPHISM_GROUPS = ["SO(3)", "SL(3)", "Lorentz", "SU(2)", "U(2)", "Sp(1)", "S(4)",
                       "Octahedral", "SO(3)xS(4)"]


@pytest.mark.parametrize("node", list(NODE_BUILDERS))
@pytest.mark.parametrize("case_id", HOMOMORPHISM_GROUPS)
def test_rho_is_a_homomorphism(case_id, node, rng):
    G = group(case_id)
    rep = NODE_BUILDERS[node](G)
    g, h = G.samples(2, rng=rng)
    assert relative_error(rep.rho(g @ h), rep.rho(g) @ rep.rho(h)) < 1e-10
    np.testing.assert_allclose(rep.rho(np.eye(G.d)), np.eye(rep.size), atol=1e-12)
    assert relative_error(rep.rho(np.linalg.inv(g)), np.linalg.inv(rep.rho(g))) < 1e-10


LIE_GROUPS = ["SO(3)", "SL(3)", "Lorentz", "SU(2)", "U(2)", "Sp(1)", "SO(3)xS(4)"]


@pytest.mark.parametrize("node", list(NODE_BUILDERS))
@pytest.mark.parametrize("case_id", LIE_GROUPS)
def test_drho_is_the_derivative_of_rho(case_id, node):
    G = group(case_id)
    rep = NODE_BUILDERS[node](G)
    t = 1e-5
    for A in G.lie_algebra[:4]:
        fd = (rep.rho(scipy.linalg.expm(t * A)) - rep.rho(scipy.linalg.expm(-t * A))) / (2 * t)
        exact = rep.drho(A)
        assert np.linalg.norm(fd - exact) <= 1e-6 * max(1.0, np.linalg.norm(exact))


# -- ρ against independent constructions -----------------------------------------------------

CHARACTER_SPECS = ["V", "V*", "VV", "VV*", "VVV", "2V+VV", "Sym2", "Alt2"]


@pytest.mark.parametrize("case_id", ["SO(3)", "SL(3)", "Lorentz", "SU(3)", "Sp(2)", "S(5)",
                                     "Icosahedral", "GL(2)"])
@pytest.mark.parametrize("name", CHARACTER_SPECS)
def test_trace_of_rho_is_the_character(case_id, name, rng):
    # χ from power sums of g (Sym², Λ² by (χ(g)² ± χ(g²))/2): independent of any basis choice.
    G = group(case_id)
    rep = bound_rep(REPS[name], G)
    for g in G.samples(3, rng=rng):
        chi = orc.character(REPS[name], orc.power_sums_of(g))[0]
        assert abs(np.trace(rep.rho(g)) - chi) <= 1e-9 * max(1.0, abs(chi))


@pytest.mark.parametrize("rep_name", ["Sym3", "Alt3"])
def test_trace_of_higher_symmetric_powers_is_the_character(rep_name, rng):
    G = gk.SL(3)
    rep = NODE_BUILDERS[rep_name](G)
    spec = orc.sym(orc.V(), 3) if rep_name == "Sym3" else orc.alt(
        orc.direct_sum(orc.V(), orc.SCALAR), 3)
    for g in G.samples(3, rng=rng):
        chi = orc.character(spec, orc.power_sums_of(g))[0]
        assert abs(np.trace(rep.rho(g)) - chi) <= 1e-9 * max(1.0, abs(chi))


@pytest.mark.parametrize("case_id", ["SL(3)", "Lorentz", "SU(2)", "S(4)"])
@pytest.mark.parametrize("name", ["V", "V*", "VV", "VV*", "VVV", "2V+VV"])
def test_rho_matches_an_independent_kronecker_construction(case_id, name, rng):
    # Row-major Kronecker products, ρ*(g) = ρ(g)^{-T}, sums concatenated in order.
    G = group(case_id)
    rep = bound_rep(REPS[name], G)
    for g in G.samples(2, rng=rng):
        np.testing.assert_allclose(rep.rho(g), orc.spec_matrix(REPS[name], [g]), atol=1e-10)


def test_reps_of_different_groups_combine_into_the_direct_product(rng):
    A, B = gk.SO(3), gk.S(4)
    rep = gk.V(A) * gk.V(B)
    assert rep.group == A * B
    assert (gk.V(A) + gk.V(B)).group == A * B
    assert (gk.V(A) * gk.V(B) + gk.V(A) ** 2).group == A * B
    for g in (A * B).samples(3, rng=rng):
        R, P = g[:3, :3], g[3:, 3:]
        np.testing.assert_allclose(rep.rho(g), np.kron(R, P), atol=1e-12)
        np.testing.assert_allclose((gk.V(A) + gk.V(B)).rho(g), g, atol=1e-12)
    # a representation of one factor, bound to the product, ignores the other factor
    lifted = (gk.V(A) ** 2)(A * B)
    assert lifted.group == A * B
    g = (A * B).sample(rng=rng)
    np.testing.assert_allclose(lifted.rho(g), np.kron(g[:3, :3], g[:3, :3]), atol=1e-12)


def test_user_representation_enters_the_solver():
    # O(3): the cross product Λ²V → V is a pseudo-vector map, i.e. Λ²V ≅ V ⊗ det; and the
    # Levi-Civita tensor is the one map V⊗V⊗V → det.
    G = gk.O(3)
    det = _sign_rep(G)
    assert gk.solve(gk.V(G) ** 3, det).dim == 1
    assert gk.solve(gk.V(G) ** 3, gk.Scalar).dim == 0
    assert gk.solve(gk.Alt(gk.V(G), 2), gk.V(G) * det).dim == 1
    assert gk.solve(gk.Alt(gk.V(G), 2), gk.V(G)).dim == 0


def test_lifting_into_a_product_with_a_repeated_factor_is_refused_not_guessed():
    # V(SO(3)) on SO(3) × SO(3) could be either copy; it used to be the first one silently, so
    # V(SO(3))(G) * V(SO(3))(G) — meant as V₁ ⊗ V₂, no invariants — had the invariant δ of V₁ ⊗ V₁.
    G = gk.SO(3) * gk.SO(3)
    with pytest.raises(gk.RepError, match="ambiguous"):
        gk.V(gk.SO(3))(G)
    # the product's own representation is fine, and an unrepeated factor still lifts
    assert gk.solve(gk.V(G), gk.V(G)).dim == 2
    assert gk.V(gk.S(3))(gk.SO(3) * gk.S(3) * gk.SO(3)).size == 3

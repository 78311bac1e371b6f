"""emlp interop: groups and representations brought over keep their matrices exactly."""

from __future__ import annotations

import numpy as np
import pytest

import groupkit as gk

pytestmark = pytest.mark.emlp


@pytest.fixture(scope="module")
def em():
    from groupkit._emlp_compat import patch_emlp

    patch_emlp()
    import emlp.groups
    import emlp.reps

    return emlp


@pytest.mark.parametrize("name,args,ours", [
    ("SO", (3,), gk.SO(3)), ("O", (4,), gk.O(4)), ("S", (5,), gk.S(5)), ("Z", (4,), gk.Z(4)),
    ("C", (6,), gk.C(6)), ("D", (4,), gk.D(4)), ("Lorentz", (), gk.Lorentz()),
    ("SO13p", (), gk.SO13p()), ("Sp", (2,), gk.Sp(2)), ("SU", (2,), gk.SU(2)),
    ("SL", (3,), gk.SL(3)),
])
def test_library_groups_map_to_the_library(em, name, args, ours):
    assert gk.from_emlp(getattr(em.groups, name)(*args)) == ours


def test_emlp_GL_is_its_identity_component(em):
    """emlp's GL(n) has no discrete generator (it is GL⁺(n)): a generic group, not ours."""
    G = gk.from_emlp(em.groups.GL(2))
    assert G != gk.GL(2)
    assert np.allclose(G.lie_algebra.sum(0), np.ones((2, 2)))


@pytest.mark.parametrize("build,want", [
    (lambda V, T, Scalar, G: V(G) ** 2 + V(G), "V⊗V+V"),
    (lambda V, T, Scalar, G: V(G) + 3, "V+3"),
    (lambda V, T, Scalar, G: T(2)(G), "V⊗V"),
    (lambda V, T, Scalar, G: V(G).T * V(G), "V⊗V"),
    (lambda V, T, Scalar, G: Scalar(G) + V(G) ** 2, "1+V⊗V"),
], ids=["V2+V", "V+3", "T2", "V*V", "1+V2"])
def test_reps_translate_with_identical_matrices(em, build, want):
    from emlp.reps import Scalar, T, V

    r = build(V, T, Scalar, em.groups.SO(3))
    R = gk.from_emlp(r)
    assert repr(R) == want and R.group == gk.SO(3)
    for g in gk.SO(3).samples(3, rng=0):
        assert np.allclose(R.rho(g), np.asarray(r.rho_dense(g)), atol=1e-6)


def test_permuted_coordinates_stay_exact_as_a_user_rep(em):
    from emlp.reps import Scalar, V

    G = em.groups.SO(3)
    r = V(G) * (V(G) + Scalar)   # emlp reorders the product's coordinates
    R = gk.from_emlp(r)
    g = gk.SO(3).sample(rng=1)
    assert np.allclose(R.rho(g), np.asarray(r.rho_dense(g)), atol=1e-6)
    assert gk.solve(R, R).dim == gk.solve(gk.V(gk.SO(3)) * (gk.V(gk.SO(3)) + 1),
                                          gk.V(gk.SO(3)) * (gk.V(gk.SO(3)) + 1)).dim


def test_emlp_basis_solves_in_groupkit(em):
    """`V(emlp SO(3))`-style use: the converted rep gives groupkit's (and emlp's) count."""
    from emlp.reps import V

    G = em.groups.S(4)
    r = V(G) ** 2
    assert gk.solve(gk.from_emlp(r), gk.from_emlp(r)).dim == 15


@pytest.mark.parametrize("rep", [
    gk.V(gk.SO(3)) ** 2, gk.V(gk.S(4)) + gk.Scalar, gk.V(gk.Lorentz()) * gk.V(gk.Lorentz()).T,
    gk.V(gk.Tetrahedral()) ** 2,
])
def test_to_emlp_round_trip(em, rep):
    r = gk.to_emlp(rep)
    back = gk.from_emlp(r)
    assert back.size == rep.size
    for g in rep.group.samples(3, rng=2):
        assert np.allclose(np.asarray(r.rho_dense(g)), rep.rho(g), atol=1e-6)
        assert np.allclose(back.rho(g), rep.rho(g), atol=1e-6)


def test_to_emlp_refuses_what_emlp_cannot_hold(em):
    with pytest.raises(gk.RepError, match="emlp cannot hold"):
        gk.to_emlp(gk.Sym(gk.V(gk.SO(3)), 2))


def test_unbound_emlp_rep_is_a_clear_error(em):
    from emlp.reps import V

    with pytest.raises(gk.RepError, match="not bound to a group"):
        gk.from_emlp(V)
    with pytest.raises(TypeError, match="emlp group or representation"):
        gk.from_emlp(3)


def test_V_accepts_an_emlp_group(em):
    """`V(emlp SO(3))` used to fail with "V(G) needs a Group"."""
    assert gk.V(em.groups.SO(3)) == gk.V(gk.SO(3))

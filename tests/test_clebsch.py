"""Clebsch–Gordan maps: equivariance, normalisation, and agreement with sympy for SO(3)."""

from __future__ import annotations

import numpy as np
import pytest
from sympy.physics.quantum.cg import CG

import groupkit as gk
from groupkit.clebsch import clebsch_gordan, coupling


def _so3_irrep(l: int) -> gk.Irrep:
    V = gk.V(gk.SO(3))
    R = {0: gk.Sym(V, 2), 1: V, 2: gk.Sym(V, 2), 3: gk.Sym(V, 3)}[l]
    (irrep,) = [r for r in gk.decompose(R).irreps if r.size == 2 * l + 1]
    return irrep


def _L():
    """so(3) generators with [L_x, L_y] = L_z: (L_i)_jk = −ε_ijk."""
    eps = np.zeros((3, 3, 3))
    for i, j, k in [(0, 1, 2), (1, 2, 0), (2, 0, 1)]:
        eps[i, j, k], eps[i, k, j] = 1, -1
    return -eps


def _standard_basis(irrep, l):
    """Columns |l, m⟩, m = −l..l (Condon–Shortley phases), in the irrep's coordinates, built
    from J = i·dρ(L): an eigenvector of J_z for m = −l, then the raising operator."""
    J = [1j * irrep.drho(L) for L in _L()]
    w, vecs = np.linalg.eig(J[2])
    v = vecs[:, np.argmin(np.abs(w + l))]
    Jp = J[0] + 1j * J[1]
    cols = [v]
    for m in range(-l, l):
        v = Jp @ v / np.sqrt(l * (l + 1) - m * (m + 1))
        cols.append(v)
    return np.array(cols).T


@pytest.mark.parametrize("l1,l2,l", [(1, 1, 0), (1, 1, 1), (1, 1, 2), (1, 2, 1), (1, 2, 2),
                                     (1, 2, 3), (2, 2, 2), (2, 1, 3)])
def test_SO3_agrees_with_sympy_up_to_basis_change(l1, l2, l):
    a, b, c = _so3_irrep(l1), _so3_irrep(l2), _so3_irrep(l)
    C = clebsch_gordan(a, b, c)
    assert C.shape == (1, 2 * l + 1, 2 * l1 + 1, 2 * l2 + 1)
    A1, A2, A = _standard_basis(a, l1), _standard_basis(b, l2), _standard_basis(c, l)
    ours = np.einsum("Mm,mij,ia,jb->Mab", np.linalg.inv(A), C[0], A1, A2)
    ref = np.array([[[float(CG(l1, m1, l2, m2, l, M).doit()) for m2 in range(-l2, l2 + 1)]
                     for m1 in range(-l1, l1 + 1)] for M in range(-l, l + 1)])
    k = np.vdot(ref.ravel(), ours.ravel()) / np.vdot(ref.ravel(), ref.ravel())
    assert np.abs(ours - k * ref).max() < 1e-10 * np.abs(ours).max()


@pytest.mark.parametrize("group,n", [(gk.SO(3), 2), (gk.S(4), 2), (gk.Lorentz(), 2),
                                     (gk.SU(2), 3)])
def test_coupling_maps_are_equivariant_and_normalised(group, n):
    irreps = gk.decompose(gk.V(group) ** n).irreps
    a = b = irreps[-1]
    total = 0
    for c, m, C in coupling(a, b):
        assert C.shape[0] == m
        total += m * c.size
        for g in group.samples(3, rng=2):
            lhs = np.einsum("mn,knij->kmij", c.rho(g), C)
            rhs = np.einsum("kmab,ai,bj->kmij", C, a.rho(g), b.rho(g))
            assert np.abs(lhs - rhs).max() < 1e-9 * np.abs(rhs).max()
        gram = np.einsum("kmij,lmij->kl", C, C.conj())
        assert np.allclose(gram, c.size * np.eye(m), atol=1e-10)
    assert total == a.size * b.size


def test_unitarity_for_real_type_orthogonal_irreps():
    one = _so3_irrep(1)
    for c, _, C in coupling(one, one):
        Ck = C[0].reshape(c.size, -1)
        assert np.allclose(Ck @ Ck.T, np.eye(c.size), atol=1e-12)


def test_non_representation_is_rejected():
    with pytest.raises(gk.RepError, match="must be a representation"):
        clebsch_gordan(gk.V(gk.SO(3)), 3, gk.V(gk.SO(3)))


@pytest.mark.parametrize("l1, l2, l", [(1, 1, 0), (1, 1, 1), (1, 1, 2), (2, 1, 1)])
def test_each_map_has_its_first_largest_entry_positive(l1, l2, l):
    from groupkit.clebsch import clebsch_gordan

    a, b, c = _so3_irrep(l1), _so3_irrep(l2), _so3_irrep(l)
    for Ck in clebsch_gordan(a, b, c):
        flat = Ck.ravel()
        assert flat[np.abs(flat).argmax()] > 0


@pytest.mark.parametrize("a,b,c", [
    (gk.Scalar, gk.Scalar, gk.V(gk.SO(3))),            # Hom(1 ⊗ 1, 3) = 0
    (gk.V(gk.SO(3)), gk.Scalar, gk.Scalar),            # Hom(3 ⊗ 1, 1) = 0
    (gk.V(gk.D(5)), gk.Scalar, gk.Scalar),
])
def test_empty_hom_space_gives_an_empty_array(a, b, c):
    # the documented r = 0 case (raised "cannot reshape array of size 0" before the audit)
    C = clebsch_gordan(a, b, c)
    assert C.shape == (0, c.size, a.size, b.size)


def test_number_of_maps_is_dim_hom_from_characters_for_complex_type():
    # C(5) on R²: the 2-dim real irreps are of complex type, so r = dim_R Hom(a ⊗ b, c) is twice
    # the multiplicity; the count comes from characters over the 5 elements enumerated here.
    G = gk.C(5)
    g = G.discrete_generators[0]
    elements = [np.linalg.matrix_power(g, t) for t in range(5)]
    irreps = list(gk.decompose(gk.V(G) + gk.Sym(gk.V(G), 2)).irreps)
    assert any(r.kind == "complex" for r in irreps)
    for a in irreps:
        for b in irreps:
            for c in irreps:
                want = sum(np.trace(a.rho(x)) * np.trace(b.rho(x)) * np.trace(c.rho(x))
                           for x in elements) / 5
                assert clebsch_gordan(a, b, c).shape[0] == round(want)
                assert abs(want - round(want)) < 1e-9

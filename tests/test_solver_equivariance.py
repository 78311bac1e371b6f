"""Every basis the solver returns is equivariant and orthonormal (float64, ≤ 1e-8 relative).

Most tests use the public checker ``groupkit.testing.basis_error`` (20 seeded group elements and
the Lie-algebra generators). The checker itself is tested here too: against a residual computed
with this file's own representation matrices and group elements, and on bases that are wrong.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.stats

import groupkit as gk
from groupkit.testing import basis_error

import oracles as orc
from cases import REPS, bound_rep, group, hom_params

TOL = 1e-8


@pytest.mark.parametrize("case_id, rin, rout", hom_params())
def test_basis_is_equivariant(case_id, rin, rout):
    G = group(case_id)
    rep_in, rep_out = bound_rep(REPS[rin], G), bound_rep(REPS[rout], G)
    Q = gk.equivariant_basis(rep_in, rep_out)
    assert basis_error(Q, rep_in, rep_out, n_samples=20, rng=1) <= TOL


@pytest.mark.parametrize("case_id, rin, rout", hom_params())
def test_basis_columns_are_orthonormal(case_id, rin, rout):
    G = group(case_id)
    rep_in, rep_out = bound_rep(REPS[rin], G), bound_rep(REPS[rout], G)
    Q = gk.equivariant_basis(rep_in, rep_out)
    assert Q.shape == (rep_out.size * rep_in.size, Q.shape[1])
    np.testing.assert_allclose(Q.conj().T @ Q, np.eye(Q.shape[1]), atol=1e-10)


@pytest.mark.parametrize("case_id", ["SU(2)", "SU(3)", "U(2)", "SU(2)xZ(3)"])
def test_complex_groups_give_complex_bases(case_id):
    G = group(case_id)
    Q = gk.equivariant_basis(gk.V(G) * gk.V(G).T, gk.Scalar)
    assert np.iscomplexobj(Q)


# -- the checker, checked with independent code ----------------------------------------------

def _lorentz_elements(rng, n):
    """Boost (rapidity up to 2.5, γ up to ≈ 6) · rotation · P^a · T^b, built from scratch."""
    out = []
    for _ in range(n):
        u = rng.normal(size=3)
        u /= np.linalg.norm(u)
        eta = rng.uniform(0, 2.5)
        B = np.eye(4)
        B[0, 0] = np.cosh(eta)
        B[0, 1:] = B[1:, 0] = np.sinh(eta) * u
        B[1:, 1:] += (np.cosh(eta) - 1) * np.outer(u, u)
        R = np.eye(4)
        R[1:, 1:] = scipy.stats.special_ortho_group.rvs(3, random_state=rng)
        P = np.diag([1.0, -1, -1, -1]) if rng.random() < 0.5 else np.eye(4)
        T = np.diag([-1.0, 1, 1, 1]) if rng.random() < 0.5 else np.eye(4)
        out.append(B @ R @ P @ T)
    return out


def _symplectic_elements(rng, n, m=2):
    """exp(J S) with S symmetric is symplectic for J = [[0, I], [−I, 0]]; times J itself."""
    J = np.block([[np.zeros((m, m)), np.eye(m)], [-np.eye(m), np.zeros((m, m))]])
    out = []
    for _ in range(n):
        S = rng.normal(size=(2 * m, 2 * m))
        out.append(scipy.linalg.expm(J @ (S + S.T) / 2) @ J)
    return out


def _own_elements(case_id, rng, n):
    """Group elements drawn without groupkit, as lists of factor blocks."""
    if case_id == "SO(3)":
        return [[scipy.stats.special_ortho_group.rvs(3, random_state=rng)] for _ in range(n)]
    if case_id == "O(3)":
        return [[scipy.stats.ortho_group.rvs(3, random_state=rng)] for _ in range(n)]
    if case_id == "Lorentz":
        return [[g] for g in _lorentz_elements(rng, n)]
    if case_id == "Sp(2)":
        return [[g] for g in _symplectic_elements(rng, n)]
    if case_id == "S(5)":
        return [[np.eye(5)[rng.permutation(5)]] for _ in range(n)]
    if case_id == "SU(3)":
        out = []
        for _ in range(n):
            u = scipy.stats.unitary_group.rvs(3, random_state=rng)
            out.append([u / np.linalg.det(u) ** (1 / 3)])
        return out
    if case_id == "SO(3)xS(4)":
        return [[scipy.stats.special_ortho_group.rvs(3, random_state=rng),
                 np.eye(4)[rng.permutation(4)]] for _ in range(n)]
    raise KeyError(case_id)


_VV = orc.tensor(orc.V(), orc.V())
OWN_CASES = [
    ("SO(3)", _VV, orc.V()),
    ("O(3)", _VV, _VV),
    ("Lorentz", _VV, _VV),
    ("Lorentz", orc.mult(2, orc.V()), orc.direct_sum(orc.V(), _VV)),
    ("Sp(2)", _VV, orc.SCALAR),
    ("Sp(2)", orc.V(), orc.dual(orc.V())),
    ("S(5)", _VV, _VV),
    ("SU(3)", orc.tensor(orc.V(), orc.dual(orc.V())), orc.SCALAR),
    ("SO(3)xS(4)", orc.tensor(orc.V(0), orc.V(1)), orc.tensor(orc.V(0), orc.V(1))),
]


@pytest.mark.parametrize("case_id, rin, rout", OWN_CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(OWN_CASES)])
def test_basis_is_equivariant_under_independently_built_matrices(case_id, rin, rout):
    G = group(case_id)
    rep_in, rep_out = bound_rep(rin, G), bound_rep(rout, G)
    Q = gk.equivariant_basis(rep_in, rep_out)
    assert Q.shape[1] > 0
    n_out, n_in = orc.spec_size(rout, [f.d for f in G.factors]), orc.spec_size(
        rin, [f.d for f in G.factors])
    rng = np.random.default_rng(7)
    worst = 0.0
    for blocks in _own_elements(case_id, rng, 20):
        a, b = orc.spec_matrix(rin, blocks), orc.spec_matrix(rout, blocks)
        for W in Q.T.reshape(-1, n_out, n_in):
            worst = max(worst, orc.equivariance_residual(W, a, b))
    assert worst <= TOL


def test_checker_flags_a_basis_with_a_non_equivariant_column(rng):
    G = gk.SO(3)
    rep = gk.V(G) ** 2
    Q = gk.equivariant_basis(rep, rep)
    bad = np.concatenate([Q, rng.normal(size=(81, 1))], axis=1)
    assert basis_error(Q, rep, rep) <= TOL
    assert basis_error(bad, rep, rep) > 0.1


def test_checker_flags_invariants_of_a_finite_subgroup_through_the_lie_algebra():
    # The octahedral group has 4 invariants in V^⊗4; one of them (Σ x_i⁴) is not SO(3)-invariant.
    Q = gk.equivariant_basis(gk.V(gk.Octahedral()) ** 4, gk.Scalar)
    assert Q.shape[1] == 4
    rep_so3 = gk.V(gk.SO(3)) ** 4
    assert basis_error(Q, rep_so3, gk.Scalar, n_samples=0, lie=True) > 0.01
    assert basis_error(Q, rep_so3, gk.Scalar, n_samples=20, lie=False) > 0.01


def test_checker_flags_a_map_that_is_only_equivariant_for_the_identity_component():
    # The Levi-Civita tensor is SO(3)-invariant but changes sign under reflections of O(3).
    Q = gk.equivariant_basis(gk.V(gk.SO(3)) ** 3, gk.Scalar)
    assert basis_error(Q, gk.V(gk.SO(3)) ** 3, gk.Scalar) <= TOL
    assert basis_error(Q, gk.V(gk.O(3)) ** 3, gk.Scalar, lie=False) > 0.5


# -- the large cases of issue 3 --------------------------------------------------------------

def _compact_residual(basis: gk.EquivariantBasis, rep_in, rep_out, rng, n_maps=3, n_g=5):
    """Residual of random combinations W = Σ θ_k Q_k, assembled without densifying Q."""
    G = rep_in.group if rep_in.group is not None else rep_out.group
    worst = 0.0
    for g in G.samples(n_g, rng=rng):
        a, b = rep_in.rho(g), rep_out.rho(g)
        for _ in range(n_maps):
            W = basis.weight(rng.normal(size=basis.dim))
            worst = max(worst, orc.equivariance_residual(W, a, b))
    return worst


def test_so3_hidden_layer_basis_is_equivariant_in_compact_form(rng):
    G = gk.SO(3)
    R = 32 * gk.V(G) + 32 * gk.V(G) ** 2 + 32 * gk.Scalar
    basis = gk.solve(R, R)
    assert basis.dim == 9216
    assert _compact_residual(basis, R, R, rng) <= TOL
    for blk in basis.blocks:  # every distinct pair of summands, through the public checker
        assert basis_error(blk.pair.dense(), blk.rep_in, blk.rep_out) <= TOL


def _bench_reps():
    so3, o5, lor, sp2 = gk.SO(3), gk.O(5), gk.Lorentz(), gk.Sp(2)
    prod = gk.V(so3) * gk.V(gk.S(4))
    v5 = gk.V(o5)
    return [
        ("SO(3) T5->1", gk.T(5, 0, so3), gk.Scalar),
        ("O(5) VV->VV", v5 ** 2, v5 ** 2),
        ("O(5) 10V->10V", 10 * v5, 10 * v5),
        ("Lorentz 4VV->1", 4 * gk.V(lor) ** 2, gk.Scalar),
        ("Sp(2) VV->VV", gk.V(sp2) ** 2, gk.V(sp2) ** 2),
        ("S(6) V3->1", gk.V(gk.S(6)) ** 3, gk.Scalar),
        ("S(12) VV->VV", gk.V(gk.S(12)) ** 2, gk.V(gk.S(12)) ** 2),
        ("RubiksCube V->V", gk.V(gk.RubiksCube()), gk.V(gk.RubiksCube())),
        ("SO(3)xS(4) VV'->VV'", prod, prod),
    ]


BENCH = _bench_reps()


@pytest.mark.parametrize("name, rep_in, rep_out", BENCH, ids=[b[0] for b in BENCH])
def test_benchmark_case_basis_is_equivariant(name, rep_in, rep_out):
    assert basis_error(gk.equivariant_basis(rep_in, rep_out), rep_in, rep_out) <= TOL


@pytest.mark.parametrize("n", [8, 20, pytest.param(30, marks=pytest.mark.slow)])
def test_symmetric_group_tensor_square_maps_are_equivariant_at_size(n, rng):
    G = gk.S(n)
    R = gk.V(G) ** 2
    basis = gk.solve(R, R)
    assert _compact_residual(basis, R, R, rng, n_maps=2, n_g=3) <= TOL


def _act_on_every_axis(T: np.ndarray, g: np.ndarray) -> np.ndarray:
    """T ↦ T ×₁ g ×₂ g … (g applied to every index of the tensor T), without forming g^⊗k."""
    for axis in range(T.ndim):
        T = np.moveaxis(np.tensordot(g, T, axes=([1], [axis])), 0, axis)
    return T


def _lie_on_every_axis(T: np.ndarray, A: np.ndarray) -> np.ndarray:
    return sum(np.moveaxis(np.tensordot(A, T, axes=([1], [axis])), 0, axis)
               for axis in range(T.ndim))


@pytest.mark.parametrize("k", [4, 6, pytest.param(8, marks=pytest.mark.slow)])
def test_so3_tensor_power_invariants_are_equivariant_at_size(k, rng):
    # Matrix-free: an invariant tensor T of V^⊗k satisfies T ×_i g = T (and Σ_i T ×_i A = 0);
    # g^⊗k itself (6561² entries for k = 8) is never formed.
    G = gk.SO(3)
    Q = gk.equivariant_basis(gk.V(G) ** k, gk.Scalar)
    assert Q.shape[1] == orc.riordan(k)
    tensors = [q.reshape((3,) * k) for q in Q.T]
    for g in G.samples(5, rng=rng):
        for T in tensors:
            assert np.linalg.norm(_act_on_every_axis(T, g.T) - T) <= TOL * np.linalg.norm(T)
    for A in G.lie_algebra:
        for T in tensors:
            assert np.linalg.norm(_lie_on_every_axis(T, A.T)) <= TOL * np.linalg.norm(T)


# -- compact forms agree with the dense basis ------------------------------------------------

FORM_CASES = [("SO(3)", "2V+VV", "2V+VV"), ("S(4)", "2V+VV", "VV"), ("SU(2)", "VV*", "VV*"),
              ("Lorentz", "V", "2V+VV")]


@pytest.mark.parametrize("case_id, rin, rout", FORM_CASES)
def test_compact_forms_agree_with_the_dense_basis(case_id, rin, rout, rng):
    G = group(case_id)
    rep_in, rep_out = bound_rep(REPS[rin], G), bound_rep(REPS[rout], G)
    basis = gk.solve(rep_in, rep_out)
    Q = basis.dense()
    np.testing.assert_allclose(basis.sparse().toarray(), Q, atol=1e-14)
    theta = rng.normal(size=basis.dim)
    W = basis.weight(theta)
    np.testing.assert_allclose(W.reshape(-1), Q @ theta, atol=1e-12)
    np.testing.assert_allclose(basis.coefficients(W), theta, atol=1e-10)
    X = rng.normal(size=(rep_out.size, rep_in.size))
    P = basis.project(X)
    np.testing.assert_allclose(P.reshape(-1), Q @ (Q.conj().T @ X.reshape(-1)), atol=1e-10)
    np.testing.assert_allclose(basis.project(P), P, atol=1e-10)


@pytest.mark.parametrize("case_id, rin, rout", FORM_CASES)
def test_equivariant_projector_projects_onto_the_equivariant_maps(case_id, rin, rout, rng):
    G = group(case_id)
    rep_in, rep_out = bound_rep(REPS[rin], G), bound_rep(REPS[rout], G)
    P = gk.equivariant_projector(rep_in, rep_out)
    N = rep_in.size * rep_out.size
    assert P.shape == (N, N)
    v = rng.normal(size=N)
    Pv = P @ v
    np.testing.assert_allclose(P @ Pv, Pv, atol=1e-10)
    W = Pv.reshape(rep_out.size, rep_in.size)
    for g in G.samples(5, rng=rng):
        assert orc.equivariance_residual(W, rep_in.rho(g), rep_out.rho(g)) <= TOL
    # and nothing equivariant is lost: P fixes every basis column
    Q = gk.equivariant_basis(rep_in, rep_out)
    np.testing.assert_allclose(P @ Q[:, 0], Q[:, 0], atol=1e-10)

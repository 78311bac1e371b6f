"""Irreducible decomposition: block structure, and multiplicities against independent counts.

The count checked for every catalogue group: dim End_G(R) = Σ_i m_i² · dim End_G(ρ_i), where the
left side comes from the oracles (characters / Weyl integration, no groupkit code) and the right
side from the decomposition (multiplicities and types). The trivial irrep's multiplicity is
checked against the oracle's count of invariants.
"""

from __future__ import annotations

import numpy as np
import pytest

import groupkit as gk

import cases
import oracles as orc

# three representations per group (Λ²(C¹) = 0 for U(1); the Rubik's cube's V⊗V is too large)
_REPS = ("V", "VV", "Sym2")
_SPECIAL = {
    "U(1)": ("V", "VV", "VV*"),
    "RubiksCube": ("V", "2V", "V+1"),
}
_EXTRA = {"2V": orc.direct_sum(orc.V(), orc.V()), "V+1": orc.direct_sum(orc.V(), orc.SCALAR)}


def _spec(name):
    return _EXTRA.get(name) or cases.REPS[name]


def _params():
    out = []
    for c in cases._CASE_LIST:
        for r in _SPECIAL.get(c.id, _REPS):
            out.append(pytest.param(c.id, r, id=f"{c.id}:{r}"))
    return out


def _block_mask(dims):
    n = sum(dims)
    mask = np.zeros((n, n), bool)
    i = 0
    for k in dims:
        mask[i:i + k, i:i + k] = True
        i += k
    return mask


def _End_dim(irrep: gk.Irrep) -> int:
    if irrep.is_complex:
        return 1
    return {"real": 1, "complex": 2, "quaternionic": 4}[irrep.kind]


@pytest.mark.parametrize("case_id,rep", _params())
def test_decomposition_of_catalogue(case_id, rep):
    G = cases.group(case_id)
    spec = _spec(rep)
    R = cases.bound_rep(spec, G)
    dec = gk.decompose(R)
    n = R.size
    # the summands fill the space, and Q is invertible with the given inverse
    assert sum(dec.dims) == n
    assert np.abs(dec.Q_inv @ dec.Q - np.eye(n)).max() < 1e-10
    assert dec.completely_reducible
    # Q⁻¹ρ(g)Q is block-diagonal, and each copy carries exactly the irrep's matrices
    mask = _block_mask(dec.dims)
    for g in G.samples(4, rng=7):
        Bg = dec.block_diagonal(g)
        scale = np.abs(Bg).max()
        assert np.abs(Bg[~mask]).max(initial=0.0) <= 1e-10 * scale
        for i, (irrep, m) in enumerate(dec):
            want = irrep.rho(g)
            for c in range(m):
                s = dec.columns(i, c)
                assert np.abs(Bg[s, s] - want).max() <= 1e-10 * scale
    # independent counts: the commutant's dimension and the invariants
    end = sum(m * m * _End_dim(r) for r, m in dec)
    trivial = sum(m for r, m in dec if r.is_trivial)
    assert (end, trivial) == _oracle_counts(case_id, rep, spec)


def _oracle_counts(case_id, rep, spec):
    """(dim End_G(R), dim R^G) from the oracles; the Rubik's cube by orbit counting."""
    case = cases.CASES[case_id]
    if case.perms is None:
        return cases.count_specs(case_id, spec, spec), cases.count_specs(case_id, orc.SCALAR, spec)
    pairs = orc.orbit_count_on_tuples(case.perms(), case.d, 2)   # End(V)
    points = orc.orbit_count_on_tuples(case.perms(), case.d, 1)  # V^G
    return {"V": (pairs, points), "2V": (4 * pairs, 2 * points),
            "V+1": (pairs + 2 * points + 1, points + 1)}[rep]


@pytest.mark.parametrize("rep,dims", [
    ("V", (3,)), ("VV", (1, 3, 5)), ("Sym3", (3, 7)), ("VVV", (1, 3, 3, 3, 5, 5, 7)),
    ("Alt2", (3,)), ("Sym2", (1, 5)),
])
def test_SO3_matches_angular_momentum_coupling(rep, dims):
    """1⊗1 = 0⊕1⊕2, Sym³(1) = 1⊕3, 1⊗1⊗1 = 0 ⊕ 3·1 ⊕ 2·2 ⊕ 3 (dims 2l+1)."""
    V = gk.V(gk.SO(3))
    R = {"V": V, "VV": V ** 2, "Sym3": gk.Sym(V, 3), "VVV": V ** 3, "Alt2": gk.Alt(V, 2),
         "Sym2": gk.Sym(V, 2)}[rep]
    assert tuple(sorted(gk.decompose(R).dims)) == dims


@pytest.mark.parametrize("group,rep,dims", [
    (gk.SU(2), "VVVV", (1, 1, 3, 3, 3, 5)),        # spin ½⊗⁴ = 2·0 ⊕ 3·1 ⊕ 2
    (gk.SU(3), "VV*", (1, 8)),                       # 3 ⊗ 3̄ = 1 ⊕ 8
    (gk.SU(3), "VV", (3, 6)),                        # 3 ⊗ 3 = 3̄ ⊕ 6
    (gk.Sp(2), "VV", (1, 5, 10)),                    # Λ² = 1 ⊕ 5 (symplectic trace), Sym² = 10
    (gk.SL(3), "VV*", (1, 8)),                       # gl(3) = scalars ⊕ sl(3)
    (gk.Lorentz(), "VV", (1, 6, 9)),                 # metric, F_μν, symmetric traceless
    (gk.O(4), "Alt2", (6,)),                         # irreducible for O(4) (not for SO(4))
    (gk.SO(4), "Alt2", (3, 3)),                      # self-dual ⊕ anti-self-dual
])
def test_known_decompositions_of_Lie_groups(group, rep, dims):
    V = gk.V(group)
    R = {"VVVV": V ** 4, "VV*": V * V.T, "VV": V * V, "Alt2": gk.Alt(V, 2)}[rep]
    assert tuple(sorted(gk.decompose(R).dims)) == dims


@pytest.mark.parametrize("group,rep,kinds", [
    (gk.SO(2), "V", ("complex",)),
    (gk.C(3), "V", ("complex",)),
    (gk.SO(3), "V", ("real",)),
    (gk.SU(2), "V", ("quaternionic",)),
    (gk.SU(3), "V", ("complex",)),
    (gk.SO13p(), "Alt2", ("complex",)),   # the Hodge star squares to −1 on Λ²(R^{1,3})
    (gk.Lorentz(), "Alt2", ("real",)),    # parity anticommutes with it
])
def test_types_real_complex_quaternionic(group, rep, kinds):
    R = gk.V(group) if rep == "V" else gk.Alt(gk.V(group), 2)
    assert gk.decompose(R).kinds == kinds


def test_quaternion_group_on_R4_is_quaternionic():
    """Q8 acting on H = R⁴ by left multiplication: irreducible over R with End = H."""
    from groupkit.finite import Q8

    dec = gk.decompose(gk.V(Q8()))
    assert dec.dims == (4,) and dec.kinds == ("quaternionic",)


def _E(i, j, n):
    m = np.zeros((n, n))
    m[i, j] = 1.0
    return m


@pytest.mark.parametrize("name,algebra", [
    ("Borel", [_E(0, 0, 2), _E(0, 1, 2), _E(1, 1, 2)]),
    ("Heisenberg", [_E(0, 1, 3), _E(0, 2, 3), _E(1, 2, 3)]),
])
def test_not_completely_reducible_is_said(name, algebra):
    G = gk.Group((), algebra, name=name)
    with pytest.warns(gk.NotCompletelyReducibleWarning, match="not completely reducible"):
        dec = gk.decompose(gk.V(G))
    assert not dec.completely_reducible
    assert len(dec.irreps) == 1 and not dec.irreps[0].irreducible
    assert dec.irreps[0].kind is None and "not completely reducible" in repr(dec)


def test_orthogonal_rep_gives_orthogonal_Q():
    dec = gk.decompose(gk.V(gk.S(5)) ** 2)
    assert np.abs(dec.Q.T @ dec.Q - np.eye(25)).max() < 1e-10


def test_isotypic_projectors_are_equivariant_and_sum_to_identity():
    G = gk.Lorentz()
    R = gk.V(G) ** 2
    dec = gk.decompose(R)
    Ps = [dec.isotypic_projector(i) for i in range(len(dec))]
    assert np.abs(sum(Ps) - np.eye(16)).max() < 1e-10
    g = G.sample(rng=3)
    for P in Ps:
        assert np.abs(P @ P - P).max() < 1e-9
        rg = R.rho(g)
        assert np.abs(rg @ P - P @ rg).max() < 1e-9 * np.abs(rg).max()


def test_decompose_rejects_non_representations():
    with pytest.raises(gk.RepError, match="representation"):
        gk.decompose(gk.SO(3))


# -- exact decomposition ----------------------------------------------------------------------

def _exact(m):
    import sympy

    return sympy.Matrix(np.vectorize(lambda v: sympy.nsimplify(float(v), rational=True))(m))


# (dims of the copies, multiplicities per irrep), from the textbook decompositions:
# SO(3) 1⊗1 = 0 ⊕ 1 ⊕ 2; S(4) (1 ⊕ std)⊗(1 ⊕ std) = 2·triv ⊕ 3·std ⊕ 2-dim ⊕ sign⊗std;
# Lorentz (½,½)⊗(½,½) = scalar ⊕ antisymmetric (6, real irrep) ⊕ symmetric traceless;
# octahedral rotations T₁⊗T₁ = A₁ ⊕ E ⊕ T₁ ⊕ T₂; SU(2) ½⊗½ = 0 ⊕ 1; SL(3) V⊗V* = 1 ⊕ adjoint.
@pytest.mark.parametrize("group,rep,want", [
    (gk.SO(3), "VV", ((1, 3, 5), (1, 1, 1))),
    (gk.S(4), "VV", ((1, 1, 2, 3, 3, 3, 3), (2, 1, 3, 1))),
    (gk.Lorentz(), "VV", ((1, 6, 9), (1, 1, 1))),
    (gk.Octahedral(), "VV", ((1, 2, 3, 3), (1, 1, 1, 1))),
    (gk.Sp(1), "VV", ((1, 3), (1, 1))),
    (gk.SL(3), "VV*", ((1, 8), (1, 1))),
])
def test_exact_decomposition_is_rational_and_block_diagonal(group, rep, want):
    V = gk.V(group)
    R = V * V if rep == "VV" else V * V.T
    dec = gk.decompose(R, exact=True)
    assert (dec.dims, dec.multiplicities) == want
    Q = dec.exact_Q
    assert all(v.is_Rational for v in Q)
    Qi = Q.inv()
    mask = _block_mask(dec.dims)
    gens = [R.rho(h) for h in group.discrete_generators] + [R.drho(A) for A in group.lie_algebra]
    for m in gens:
        B = Qi * _exact(m) * Q
        assert all(B[i, j] == 0 for i, j in zip(*np.nonzero(~mask)))
        # copies of one irrep carry identical matrices
        for i, (_, k) in enumerate(dec):
            blocks = [B[dec.columns(i, c), dec.columns(i, c)] for c in range(k)]
            assert all(b == blocks[0] for b in blocks)


def test_exact_decomposition_refuses_irrational_splittings():
    """Z(5) on R⁵ is 1 ⊕ 4 over Q but 1 ⊕ 2 ⊕ 2 over R (cos 72° is irrational)."""
    with pytest.raises(gk.DecompositionError, match="not defined over the rationals"):
        gk.decompose(gk.V(gk.Z(5)), exact=True)


def test_exact_latex_shows_Q():
    s = gk.decompose(gk.V(gk.S(3)), exact=True)._repr_latex_()
    assert s.startswith("$V \\cong \\mathbf{1} \\oplus \\mathbf{2}") and "bmatrix" in s


@pytest.mark.parametrize("group,n", [(gk.SO(3), 3), (gk.Lorentz(), 2), (gk.SU(2), 2),
                                     (gk.SO(2) * gk.SO(3), 2)])
def test_trivial_summand_is_trivial_to_the_solver(group, n):
    # The trivial summand's dρ(A) = L dρ(A) B is rounding noise (1e-32) and its naive error
    # bound L dρ(|A|) B cancels to 0, so the noise counted as a genuine action and the solver
    # found Hom(1, Scalar) = 0 (and SU(2)'s trivial irrep got kind "complex") before the audit.
    # Oracle: ρ(g) = 1 on sampled elements (tolerance 1e-12), so Hom(t, 1) = Hom(1, t) = 1.
    dec = gk.decompose(gk.V(group) ** n)
    t = dec.irreps[0]
    assert t.is_trivial and t.size == 1
    for g in group.samples(5, rng=3):
        assert abs(t.rho(g)[0, 0] - 1) < 1e-12
    assert gk.solve(t, gk.Scalar).dim == 1
    assert gk.solve(gk.Scalar, t).dim == 1
    assert t.kind == "real"  # Frobenius–Schur indicator +1, also for the complex group SU(2)


def test_trivial_summand_of_a_product_of_irreps_is_trivial_to_the_solver():
    # nested: the 5 of SO(3) from V⊗V⊗V, then the trivial summand of 5 ⊗ 5 (its parent is a
    # tensor product of Irreps, whose own dρ(|A|) cancels as well); Hom(t, 1) was 0.
    five = next(r for r in gk.decompose(gk.V(gk.SO(3)) ** 3).irreps if r.size == 5)
    t = gk.decompose(five * five).irreps[0]
    assert t.is_trivial and t.size == 1
    for g in gk.SO(3).samples(5, rng=4):
        assert abs(t.rho(g)[0, 0] - 1) < 1e-12
    assert gk.solve(t, gk.Scalar).dim == 1

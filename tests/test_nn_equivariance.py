"""Every groupkit.nn module is equivariant for a catalogue of groups: compact and non-compact,
real and complex, continuous, finite and products. Checked with the shared checker
(random group elements from G.samples, seeded), float64 ≤ 1e-10 and float32 ≤ 1e-4."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groupkit as gk
from groupkit import Scalar, V
from groupkit.nn import (
    EMLP, EquivariantBilinear, EquivariantLinear, GatedNonlinearity, NormNonlinearity,
    PointwiseNonlinearity, gated,
)
from groupkit.testing import equivariance_error

TOL = {torch.float64: 1e-10, torch.float32: 1e-4}
DTYPES = [torch.float64, torch.float32]


def _o5():
    v = V(gk.O(5))
    return 3 * Scalar + 2 * v + v * v


def _so3():
    v = V(gk.SO(3))
    return 2 * Scalar + 2 * v + v * v


def _lorentz():
    v = V(gk.Lorentz())
    return 2 * Scalar + 2 * v + v * v.T


def _so13p():
    v = V(gk.SO13p())
    return 2 * Scalar + v + v.T + v * v.T


def _su2():
    v = V(gk.SU(2))
    return 2 * Scalar + v + v.T + v * v.T


def _u2():
    v = V(gk.U(2))
    return 2 * Scalar + v + v * v.T


def _s4():
    v = V(gk.S(4))
    return 2 * Scalar + 2 * v + v * v


def _octahedral():
    v = V(gk.Octahedral())
    return 2 * Scalar + 2 * v + v * v


def _so3_s4():
    a, b = V(gk.SO(3)), V(gk.S(4))
    return Scalar + a + b + a * b


# name → (hidden representation, is the group compact)
CATALOGUE = {
    "O(5)": (_o5, True),
    "SO(3)": (_so3, True),
    "Lorentz O(1,3)": (_lorentz, False),
    "SO+(1,3)": (_so13p, False),
    "SU(2)": (_su2, True),
    "U(2)": (_u2, True),
    "S(4)": (_s4, True),
    "Octahedral": (_octahedral, True),
    "SO(3)xS(4)": (_so3_s4, True),
}


def _check(module, dtype, **kwargs):
    module = module.to(dtype)
    err = equivariance_error(module, rng=1, **kwargs)
    assert err <= TOL[dtype], f"equivariance error {err:.2e} > {TOL[dtype]:.0e}"
    return err


@pytest.fixture(params=list(CATALOGUE), scope="module")
def case(request):
    make, compact = CATALOGUE[request.param]
    return make(), compact


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_equivariant(case, dtype):
    rep, _ = case
    _check(EquivariantLinear(rep, gated(rep), dtype=torch.float64), dtype)


@pytest.mark.parametrize("products", ["contract", "all"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_bilinear_quadratic_equivariant(case, dtype, products):
    rep, _ = case
    layer = EquivariantBilinear(rep, rep, products=products, dtype=torch.float64)
    assert layer.triples, "the layer should keep some products"
    _check(layer, dtype)


@pytest.mark.parametrize("products", ["contract", "all"])
def test_bilinear_two_inputs_equivariant(case, products):
    rep, _ = case
    layer = EquivariantBilinear(rep, rep, products=products, dtype=torch.float64,
                                scalar_products=True)
    err = equivariance_error(layer, (rep, rep), rep, rng=2)
    assert err <= 1e-10


@pytest.mark.parametrize("dtype", DTYPES)
def test_gated_nonlinearity_equivariant(case, dtype):
    rep, _ = case
    module = GatedNonlinearity(rep)
    # it has no parameters: a wrapper with one parameter sets the dtype the checker uses
    wrapped = torch.nn.Sequential(module)
    wrapped.rep_in, wrapped.rep_out = module.rep_in, module.rep_out
    wrapped.register_parameter("anchor", torch.nn.Parameter(torch.zeros(1, dtype=dtype)))
    err = equivariance_error(wrapped, rng=1)
    assert err <= TOL[dtype]


@pytest.mark.parametrize("dtype", DTYPES)
def test_norm_nonlinearity_equivariant_or_refused(case, dtype):
    rep, compact = case
    if not compact:
        with pytest.raises(gk.RepError, match="not compact"):
            NormNonlinearity(rep)
        return
    _check(NormNonlinearity(rep), dtype)


@pytest.mark.parametrize("products", ["contract", "all"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_emlp_equivariant(case, dtype, products):
    rep, _ = case
    G = rep.group
    model = EMLP(V(G) + Scalar, V(G) + Scalar, G, ch=rep, num_layers=2, dtype=torch.float64,
                 bilinear_options={"products": products})
    _check(model, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_emlp_with_bilinear_in_some_layers_equivariant(case, dtype):
    rep, _ = case
    G = rep.group
    model = EMLP(V(G) + Scalar, V(G) + Scalar, G, ch=rep, num_layers=3,
                 bilinear=[True, False, True], dtype=torch.float64)
    _check(model, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_emlp_uniform_hidden_equivariant(dtype):
    """The paper's O(5) architecture with uniform_rep hidden layers (small ch)."""
    G = gk.O(5)
    model = EMLP(2 * V(G), Scalar, G, ch=100, num_layers=3, dtype=torch.float64)
    _check(model, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pointwise_on_permutation_reps(dtype):
    rep = 2 * V(gk.S(4)) + V(gk.S(4)) ** 2
    _check(torch.nn.Sequential(EquivariantLinear(rep, rep), PointwiseNonlinearity(rep)), dtype,
           rep_in=rep, rep_out=rep)


def test_pointwise_refused_for_rotations():
    with pytest.raises(gk.RepError, match="permutation"):
        PointwiseNonlinearity(V(gk.SO(3)))


def test_not_equivariant_is_detected():
    """The checker is not vacuous: a plain MLP on the same shapes fails it."""
    from groupkit.nn import MLP

    G = gk.O(5)
    model = MLP(2 * V(G), V(G), ch=32, num_layers=2, dtype=torch.float64)
    assert equivariance_error(model, rng=1) > 1e-2


@pytest.mark.parametrize("scale", [1e-11, 1e-14])
def test_norm_nonlinearity_refused_for_a_noncompact_group_in_tiny_units(scale):
    # sl(2) written in tiny units once passed the "orthogonal generators" shortcut (an absolute
    # tolerance), and the layer used the identity as its (non-invariant) form.
    G = gk.Group([], list(scale * gk.SL(2).lie_algebra))
    with pytest.raises(gk.RepError, match="not compact"):
        NormNonlinearity(V(G))



def _skew(G, S):
    S = np.asarray(S)
    Si = np.linalg.inv(S)
    return gk.Group([S @ h @ Si for h in G.discrete_generators],
                    [S @ A @ Si for A in G.lie_algebra], d=G.d)


_SHEAR = [[1.0, 1.0, 0.0], [0.0, 1.0, 2.0], [1.0, 0.0, 1.0]]


@pytest.mark.parametrize("rep", [
    pytest.param(lambda: V(_skew(gk.SO(3), _SHEAR)).T * V(_skew(gk.SO(3), _SHEAR)),
                 id="SO(3)-sheared:V*⊗V"),
    pytest.param(lambda: V(_skew(gk.O(3), _SHEAR)) * V(_skew(gk.O(3), _SHEAR)) + Scalar,
                 id="O(3)-sheared:V⊗V+1"),
    pytest.param(lambda: V(_skew(gk.S(3), _SHEAR)).T * V(_skew(gk.S(3), _SHEAR)),
                 id="S(3)-sheared:V*⊗V"),
    pytest.param(lambda: V(_skew(gk.O(3), np.diag([1e-3, 1.0, 1e3]))), id="O(3)-units:V"),
])
def test_norm_nonlinearity_for_a_compact_group_in_other_coordinates(rep):
    # A compact group keeps an invariant positive-definite form in any coordinates. For a
    # reducible summand (V*⊗V = 1 + 3 + 5) no single solved form need be definite — a
    # combination is; and in units spanning 10⁶ the form is definite but badly conditioned.
    # Both were refused as "not compact".
    rep = rep()
    _check(NormNonlinearity(rep, dtype=torch.float64), torch.float64)


@pytest.mark.parametrize("rep", [
    pytest.param(lambda: gk.Sym(V(gk.SU(2)), 2), id="SU(2):Sym2"),
    pytest.param(lambda: V(_skew(gk.SU(2), [[2.0, 0.5 + 0.2j], [0.1j, 1.0]])), id="SU(2)-skew:V"),
    pytest.param(lambda: V(_skew(gk.U(2), [[1.0, 0.3], [0.0, 1.0]])).T
                 * V(_skew(gk.U(2), [[1.0, 0.3], [0.0, 1.0]])), id="U(2)-sheared:V*⊗V"),
])
def test_norm_nonlinearity_for_a_compact_complex_group_uses_a_hermitian_form(rep):
    # The norm is v ↦ vᴴ M v, so M must satisfy ρᴴ M ρ = M; the invariant *bilinear* forms
    # (ρᵀ F ρ = F) were solved instead, and every non-unitary summand of a compact complex group
    # (even Sym²(V) of SU(2) in its own basis) was refused as "not compact".
    _check(NormNonlinearity(rep(), dtype=torch.float64), torch.float64)


def test_norm_nonlinearity_names_the_size_limit_when_the_hermitian_solve_is_skipped(
        monkeypatch):
    # above the dense solve's limit a compact complex group may find no form: the error must
    # say so, not call the group non-compact
    from groupkit.nn import nonlinear
    monkeypatch.setattr(nonlinear, "_HERMITIAN_LIMIT", 0)
    with pytest.raises(gk.RepError, match="too large"):
        NormNonlinearity(gk.Sym(V(gk.SU(2)), 2))


def test_norm_nonlinearity_refused_for_a_noncompact_complex_group():
    G = gk.Group([], [np.array([[0.0, 1j], [0.0, 0.0]])])   # unipotent: no invariant norm
    with pytest.raises(gk.RepError, match="not compact"):
        NormNonlinearity(V(G))

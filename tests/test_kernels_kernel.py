"""ImplicitKernel building blocks: harmonic reps (against the dimension formulas and Schur's
lemma), invariant forms, the bilinear basis size (against Clebsch–Gordan counting), the envelope,
the initial scale, edge features, groups without an invariant form, and bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groupkit as gk
from groupkit import O, SO, SU, Lorentz, Scalar, Sp, V, solve
from groupkit.testing import relative_error

from kernels import ImplicitKernel, harmonic, space_geometry
from kernels.bilinear import BilinearWeight
from kernels.embedding import envelope

pytestmark = pytest.mark.torch


# -- harmonic representations -----------------------------------------------------------------

@pytest.mark.parametrize("l", range(5))
def test_harmonic_sizes_match_dimension_formulas(l):
    assert harmonic(V(SO(3)), l).size == 2 * l + 1
    assert harmonic(V(O(3)), l).size == 2 * l + 1
    assert harmonic(V(Lorentz()), l).size == (l + 1) ** 2
    assert harmonic(V(SO(2)), l).size == (1 if l == 0 else 2)


def test_harmonic_so3_reps_are_distinct_irreps():
    # Schur: dim Hom(Y_l, Y_m) = δ_lm for the real irreps of SO(3).
    Y = [harmonic(V(SO(3)), l) for l in range(4)]
    for a in range(4):
        for b in range(4):
            assert solve(Y[a], Y[b]).dim == (a == b)


def test_harmonic_rho_is_a_representation(rng):
    Y = harmonic(V(Lorentz()), 2)
    g, h = Lorentz().samples(2, rng=rng)
    assert np.allclose(Y.rho(g @ h), Y.rho(g) @ Y.rho(h), atol=1e-9)


def test_harmonic_needs_a_form():
    with pytest.raises(gk.RepError, match="no invariant symmetric form"):
        harmonic(V(Sp(1)), 2)


# -- geometry ---------------------------------------------------------------------------------

def test_space_geometry_forms_are_invariant(rng):
    for G in (SO(3), Lorentz(), O(2)):
        geo = space_geometry(V(G))
        for g in G.samples(3, rng=rng):
            for F in geo.forms:
                assert np.allclose(g.T @ F @ g, F, atol=1e-10)
    assert space_geometry(V(SO(3))).compact
    lor = space_geometry(V(Lorentz()))
    assert not lor.compact
    assert np.array_equal(np.abs(lor.radius_form), np.eye(4))
    assert space_geometry(V(Sp(1))).radius_form is None


# -- the bilinear last layer ------------------------------------------------------------------

def _triangle(a, b, c):
    return abs(a - b) <= c <= a + b


def test_bilinear_dimension_matches_clebsch_gordan():
    G = SO(3)
    Y = [harmonic(V(G), l) for l in range(3)]
    mult_h, mult_in, mult_out = (3, 1, 2), (2, 1, 1), (1, 2, 2)
    rep_h = sum((m * Y[l] for l, m in enumerate(mult_h)), start=0)
    rep_in = sum((m * Y[l] for l, m in enumerate(mult_in)), start=0)
    rep_out = sum((m * Y[l] for l, m in enumerate(mult_out)), start=0)
    expect = sum(mult_h[p] * mult_in[r] * mult_out[s]
                 for p in range(3) for r in range(3) for s in range(3) if _triangle(p, r, s))
    assert BilinearWeight(rep_h, rep_in, rep_out).dim == expect


def test_bilinear_weight_is_equivariant(rng):
    G = O(3)
    Y2 = harmonic(V(G), 2)
    rep_h, rep_in, rep_out = 2 * Scalar + V(G) + Y2, Scalar + V(G), V(G) + Y2
    W = BilinearWeight(rep_h, rep_in, rep_out, dtype=torch.float64)().detach().numpy()
    for g in G.samples(3, rng=rng):
        Wg = np.einsum("oa,ahb,hH,bi->oHi", rep_out.rho(g), W, np.linalg.inv(rep_h.rho(g)),
                       np.linalg.inv(rep_in.rho(g)))
        assert relative_error(Wg, W) < 1e-12


# -- envelope, scale, evaluation --------------------------------------------------------------

def test_envelope_is_smooth_and_vanishes_at_the_cutoff():
    t = torch.tensor([0.0, 0.5, 1.0, 1.5], dtype=torch.float64)
    u = envelope(t)
    assert u[0] == 1 and u[2] == 0 and u[3] == 0 and 0 < u[1] < 1
    # Just inside the cut-off u, u′ and u″ are O(δ³), O(δ²), O(δ): continuous to second order.
    d = 1e-4
    s = torch.tensor([1 - d], dtype=torch.float64, requires_grad=True)
    v = envelope(s)
    (d1,) = torch.autograd.grad(v.sum(), s, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), s)
    assert abs(v.item()) < 100 * d ** 3
    assert abs(d1.item()) < 200 * d ** 2 and abs(d2.item()) < 300 * d


def test_kernel_vanishes_beyond_the_cutoff():
    G = SO(3)
    k = ImplicitKernel(G, Scalar + V(G), V(G), cutoff=1.5, dtype=torch.float64)
    x = torch.randn(20, 3, dtype=torch.float64)
    x = x / x.norm(dim=1, keepdim=True) * torch.linspace(1.5, 4, 20, dtype=torch.float64)[:, None]
    with torch.no_grad():
        assert torch.count_nonzero(k(x)) == 0
        assert k(x * 0.5).abs().max() > 0


def test_lorentz_envelope_cuts_off_by_interval():
    G = Lorentz()
    k = ImplicitKernel(G, Scalar, V(G), cutoff=1.0, dtype=torch.float64)
    # A light-like separation far away: interval 0, inside the cut-off; a space-like one with
    # |interval| = 4 > 1: outside.
    light = torch.tensor([[5.0, 5.0, 0.0, 0.0]], dtype=torch.float64)
    space_like = torch.tensor([[0.0, 2.0, 0.0, 0.0]], dtype=torch.float64)
    with torch.no_grad():
        assert k(space_like).abs().max() == 0
        assert torch.isfinite(k(light)).all()


def test_initial_kernel_scale_is_about_one():
    G = SO(3)
    Y2 = harmonic(V(G), 2)
    rep = 2 * Scalar + 2 * V(G) + 2 * Y2
    k = ImplicitKernel(G, rep, rep, cutoff=2.0, dtype=torch.float64)
    gen = torch.Generator().manual_seed(123)  # not the calibration seed
    x = k.sample_positions(4000, gen)
    f = torch.randn(4000, rep.size, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        y = torch.einsum("noi,ni->no", k(x), f)
    assert 0.8 < float(y.pow(2).mean()) < 1.25


def test_edge_features_enter_invariantly(rng):
    G = SO(3)
    k = ImplicitKernel(G, Scalar + V(G), V(G), cutoff=2.0, edge_features=2,
                       dtype=torch.float64)
    x = torch.randn(6, 3, dtype=torch.float64)
    e = torch.randn(6, 2, dtype=torch.float64)
    with torch.no_grad():
        K = k(x, e)
        assert relative_error(K.numpy(), k(x, e + 1).numpy()) > 1e-4  # they matter
        for g in G.samples(3, rng=rng):
            gt = torch.as_tensor(g)
            Kg = k(x @ gt.T, e)
            expect = gt @ K @ torch.as_tensor(np.linalg.inv(k.rep_in.rho(g)))
            assert relative_error(Kg.numpy(), expect.numpy()) < 1e-12
    with pytest.raises(ValueError, match="edge_features=2"):
        k(x)
    with pytest.raises(ValueError, match="edge_attr must have shape"):
        k(x, e[:, :1])


def test_group_without_invariant_form(rng):
    """Sp(1) on R² preserves only an antisymmetric form: no radius, no envelope, but the
    polynomial features still give an exactly equivariant kernel."""
    G = Sp(1)
    k = ImplicitKernel(G, Scalar + V(G), V(G) + Scalar, dtype=torch.float64)
    x = torch.randn(8, 2, dtype=torch.float64) * 0.5
    with torch.no_grad():
        K = k(x)
        for g in G.samples(3, rng=rng):
            Kg = k(x @ torch.as_tensor(g).T)
            expect = torch.as_tensor(k.rep_out.rho(g)) @ K @ torch.as_tensor(
                np.linalg.inv(k.rep_in.rho(g)))
            assert relative_error(Kg.numpy(), expect.numpy()) < 1e-10
    with pytest.raises(gk.RepError, match="cutoff=None"):
        ImplicitKernel(G, Scalar, V(G), cutoff=1.0)


def test_bad_input():
    G = SO(3)
    with pytest.raises(gk.RepError, match="not a representation of SO\\(3\\)"):
        ImplicitKernel(G, V(O(2)), V(G))
    with pytest.raises(gk.RepError, match="complex"):
        ImplicitKernel(SU(2), V(SU(2)), V(SU(2)))
    with pytest.raises(gk.RepError, match="kernel would be zero"):
        ImplicitKernel(G, Scalar, V(G), hidden=2 * Scalar, degree=1)
    with pytest.raises(gk.RepError, match="hidden must be"):
        ImplicitKernel(G, Scalar, V(G), hidden="big")
    with pytest.raises(ValueError, match="cutoff must be positive"):
        ImplicitKernel(G, Scalar, V(G), cutoff=0.0)
    with pytest.raises(gk.RepError, match="not compact"):
        ImplicitKernel(Lorentz(), Scalar, V(Lorentz()), normalize=True)
    k = ImplicitKernel(G, Scalar, V(G))
    with pytest.raises(ValueError, match="last dimension 3"):
        k(torch.randn(4, 2))

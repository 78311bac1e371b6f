"""The fast paths of issue 16 against independent oracles: one-operation weight assembly (every
mode against the basis's own numpy assembly and its adjoint), the inference cache (hits while
autograd is off, rebuilt on every kind of parameter change), the kernels' last layer (sparse
against per-triple assembly), the two-stage contraction and degree buckets of PointConv
(against explicit per-edge kernel matrices), and the edge encoder's shortcuts (against the
defining formulas of the radius, the invariant forms and Sym^k)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import groupkit as gk
from groupkit import SO, Scalar, V, solve
from groupkit.nn import EquivariantLinear, gated, uniform_rep
from groupkit.nn.linear import BasisAssembler

from groupkit import tensor
from groupkit.solver import _summand_table
from kernels import PointConv, harmonic, radius_graph
from kernels import bilinear as kernel_bilinear
from kernels import embedding as kernel_embedding
from kernels.bilinear import BilinearWeight
from kernels.embedding import EdgeEncoder
from kernels.geometry import space_geometry

pytestmark = pytest.mark.torch


def _cases():
    O5 = gk.O(5)
    h = uniform_rep(60, O5)
    S3, SU2, S4 = gk.SO(3), gk.SU(2), gk.S(4)
    return {
        "O(5) hidden": (h, gated(h)),
        "SO(3) mixed": (2 * Scalar + 3 * V(S3) + V(S3) ** 2, Scalar + 2 * V(S3) + V(S3) ** 2),
        "SU(2) complex": (V(SU2) + V(SU2) * V(SU2).T, 2 * Scalar + V(SU2)),
        "S(4) orbits": (V(S4) ** 2, V(S4) ** 2 + V(S4)),
    }


CASES = _cases()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("mode", ["sparse", "dense", "blocks"])
def test_every_assembly_mode_gives_the_basis_weight(case, mode):
    rin, rout = CASES[case]
    basis = solve(rin, rout)
    asm = BasisAssembler(basis, dtype=torch.float64, mode=mode)
    rng = np.random.default_rng(0)
    theta = rng.standard_normal(basis.dim)
    if basis.is_complex:
        theta = theta + 1j * rng.standard_normal(basis.dim)
    W = asm(torch.as_tensor(theta)).numpy()
    expect = basis.weight(theta)  # numpy, block by block: an independent assembly
    assert W.shape == expect.shape
    assert np.abs(W - expect).max() <= 1e-12 * max(1.0, np.abs(expect).max())


@pytest.mark.parametrize("case", ["O(5) hidden", "SO(3) mixed", "S(4) orbits"])
def test_assembly_gradient_is_the_adjoint(case):
    """∂⟨G, W(θ)⟩/∂θ = Qᵀ vec(G): the basis's own projection coefficients of G."""
    rin, rout = CASES[case]
    basis = solve(rin, rout)
    asm = BasisAssembler(basis, dtype=torch.float64)
    theta = torch.randn(basis.dim, dtype=torch.float64, requires_grad=True)
    G = np.random.default_rng(1).standard_normal((rout.size, rin.size))
    (asm(theta) * torch.as_tensor(G)).sum().backward()
    expect = basis.coefficients(G)
    assert np.abs(theta.grad.numpy() - expect).max() <= 1e-12 * np.abs(expect).max()


def test_the_usual_layer_assembles_in_one_sparse_operation():
    h = uniform_rep(384, gk.O(5))
    layer = EquivariantLinear(h, gated(h))
    assert layer.assembler.mode == "sparse"


# -- inference cache -----------------------------------------------------------------------------

def _layer():
    G = SO(3)
    return EquivariantLinear(2 * Scalar + 2 * V(G), Scalar + 3 * V(G), dtype=torch.float64)


def test_cache_hits_only_while_autograd_is_off():
    layer = _layer()
    with torch.no_grad():
        assert layer.weight_matrix() is layer.weight_matrix()
        assert layer.bias_vector() is layer.bias_vector()
    W = layer.weight_matrix()
    assert W.grad_fn is not None and W is not layer.weight_matrix()


@pytest.mark.parametrize("change", ["optimizer", "load_state_dict", "reset", "data", "cast"])
def test_cache_is_rebuilt_when_parameters_change(change):
    layer = _layer()
    x = torch.randn(5, layer.rep_in.size, dtype=torch.float64)
    with torch.no_grad():
        layer(x)  # fills the cache
    if change == "optimizer":
        layer.bias.data.normal_()  # give the bias something to change too
        opt = torch.optim.SGD(layer.parameters(), lr=0.5)
        layer(x).pow(2).sum().backward()
        opt.step()
    elif change == "load_state_dict":
        other = _layer()
        with torch.no_grad():
            other.weight.normal_()
            other.bias.normal_()
        layer.load_state_dict(other.state_dict())
    elif change == "reset":
        layer.reset_parameters()
    elif change == "data":
        layer.weight.data = torch.randn_like(layer.weight)
    else:
        layer = layer.float()
        x = x.float()
    with torch.no_grad():
        cached = layer(x)
        layer._cache.clear()
        fresh = layer(x)
    assert cached.dtype == fresh.dtype
    assert torch.equal(cached, fresh)


# -- the kernels' last layer and point convolutions ----------------------------------------------

def _bilinear():
    G = SO(3)
    Y2 = harmonic(V(G), 2)
    return BilinearWeight(4 * Scalar + 2 * V(G) + 2 * Y2, 2 * Scalar + 3 * V(G) + Y2,
                          Scalar + 2 * V(G) + 2 * Y2, dtype=torch.float64)


def _explicit_last_layer(bw) -> torch.Tensor:
    """W (out, H, in) written out entry block by entry block from the solver's triple bases."""
    W = torch.zeros(bw.rep_out.size, bw.rep_h.size, bw.rep_in.size, dtype=torch.float64)
    start = 0
    for S, so in _summand_table(bw.rep_out):
        for P, po in _summand_table(bw.rep_h):
            for R, ro in _summand_table(bw.rep_in):
                Q = solve(tensor(P, R), S).dense()
                k = Q.shape[1]
                if k == 0:
                    continue
                Q = torch.as_tensor(Q.reshape(S.size, P.size, R.size, k))
                n = len(so) * len(po) * len(ro) * k
                th = bw.weight.detach()[start:start + n].reshape(len(so), len(po), len(ro), k)
                start += n
                for b, o in enumerate(so):
                    for c, p in enumerate(po):
                        for a, r in enumerate(ro):
                            W[o:o + S.size, p:p + P.size, r:r + R.size] += \
                                torch.einsum("sprk,k->spr", Q, th[b, c, a])
    return W


@pytest.mark.parametrize("mode", ["sparse", "triples"])
def test_last_layer_assembly_matches_explicit_blocks(mode, monkeypatch):
    if mode == "triples":  # pretend the sparse form would be too large
        monkeypatch.setattr(kernel_bilinear, "_SPARSE_FILL", -(1 << 40))
    bw = _bilinear()
    assert bw.mode == mode
    assert torch.allclose(bw(), _explicit_last_layer(bw), rtol=0, atol=1e-13)


def test_two_stage_contraction_equals_the_dense_weight():
    bw = _bilinear()
    assert bw.two_stage
    gen = torch.Generator().manual_seed(3)
    T = torch.randn(6, bw.rep_h.size, bw.rep_in.size, dtype=torch.float64, generator=gen)
    with torch.no_grad():
        expect = torch.einsum("ohi,nhi->no", bw._assemble(), T)
        ph, pi = bw.input_permutations()
        got = bw.apply(T[:, ph][:, :, pi])
    assert torch.allclose(got, expect, rtol=0, atol=1e-12 * float(expect.abs().max()))


@pytest.mark.parametrize("two_stage", [True, False])
def test_point_conv_paths_match_explicit_kernels_on_irregular_graphs(two_stage):
    """Degrees 0 (an isolated point) to many, unsorted edges; both contractions."""
    G = SO(3)
    Y2 = harmonic(V(G), 2)
    rep = 3 * Scalar + 2 * V(G) + 2 * Y2
    conv = PointConv(G, rep, rep, cutoff=1.0, self_interaction=False, bias=False,
                     dtype=torch.float64)
    conv.kernel.bilinear.two_stage = two_stage
    conv.kernel.bilinear.min_two_stage_nodes = 0  # even on 50 points
    gen = torch.Generator().manual_seed(0)
    pos = torch.rand(50, 3, generator=gen, dtype=torch.float64) * 2
    pos[0] = 50.0  # isolated
    f = torch.randn(50, rep.size, generator=gen, dtype=torch.float64)
    ei = radius_graph(pos, 0.8)
    ei = ei[:, torch.randperm(ei.shape[1], generator=gen)]
    deg = torch.bincount(ei[1], minlength=50)
    assert deg[0] == 0 and deg.unique().numel() > 4
    with torch.no_grad():
        out = conv(f, pos, ei)
        K = conv.kernel(pos[ei[0]] - pos[ei[1]])
        ref = torch.zeros_like(out).index_add_(0, ei[1], torch.einsum("eoi,ei->eo", K,
                                                                      f[ei[0]]))
    assert torch.allclose(out, ref, rtol=0, atol=1e-12 * float(ref.abs().max()))
    assert torch.equal(out[0], torch.zeros_like(out[0]))


# -- the edge encoder's shortcuts (orthogonal spaces, monomial symmetric powers) ----------------

def _encoder_spaces():
    return {
        "O(3), degree 3": (V(gk.O(3)), 3, None),
        "SO(2), degree 2": (V(gk.SO(2)), 2, None),
        "S(4) permutations (two forms)": (V(gk.S(4)), 2, None),
        "Lorentz (indefinite)": (V(gk.Lorentz()), 2, False),
    }


def _encoder_inputs(space):
    """Seeded float64 positions, the first one at the origin (where r is clamped)."""
    x = torch.randn(64, space.size, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(3))
    x[0] = 0
    return x


@pytest.mark.parametrize("fallback", [False, True], ids=["shortcuts", "general GEMM"])
@pytest.mark.parametrize("name", list(_encoder_spaces()))
def test_edge_encoder_matches_its_defining_formulas(name, fallback, monkeypatch):
    """Radius, invariant forms and Sym^k coordinates against the definitions evaluated in numpy:
    r = sqrt|xᵀMx|, q_k = xᵀF_k x / s², Sym^k(x̂) = x̂^⊗k @ coordinates (float64, 1e-12), with
    the monomial tables and, forced, with the general tensor-power GEMM."""
    if fallback:
        monkeypatch.setattr(kernel_embedding, "_monomial_table", lambda *args: None)
    space, degree, normalize = _encoder_spaces()[name]
    enc = EdgeEncoder(space, degree=degree, n_radial=4, length_scale=1.7, normalize=normalize)
    assert enc._monomials == ([] if fallback else list(range(2, degree + 1)))
    x = _encoder_inputs(space)
    before, after, r = enc.geometric(x)
    geo, X = space_geometry(space), x.numpy()
    r_ref = np.sqrt(np.abs(np.einsum("ni,ij,nj->n", X, geo.radius_form, X)))
    np.testing.assert_allclose(r.numpy()[1:], r_ref[1:], rtol=1e-12)
    assert 0 < r[0] < 1e-11  # clamped, not 0: the gradient stays finite
    q_ref = np.einsum("ni,kij,nj->nk", X, geo.forms, X) / 1.7 ** 2
    np.testing.assert_allclose(before[-1].numpy(), q_ref, rtol=1e-12, atol=1e-14)
    xs = after[0].numpy()
    for k, got in zip(range(2, degree + 1), after[1:]):
        power = xs
        for _ in range(k - 1):
            power = np.einsum("na,nb->nab", power, xs).reshape(len(xs), -1)
        ref = power @ np.asarray(gk.Sym(space, k).coordinates).T
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", list(_encoder_spaces()))
def test_edge_encoder_gradients_are_finite_at_the_origin_and_match_finite_differences(name):
    """Backward through every feature is finite at x = 0 (coincident points), and gradcheck
    (float64 central differences) passes at random points."""
    space, degree, normalize = _encoder_spaces()[name]
    enc = EdgeEncoder(space, degree=degree, n_radial=4, length_scale=1.7, normalize=normalize)
    x = _encoder_inputs(space).requires_grad_()
    feats, _ = enc(x)
    (g,) = torch.autograd.grad(feats.sum(), x)
    assert torch.isfinite(g).all()
    y = x.detach()[1:6].clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda z: enc(z)[0], (y,))


def test_edge_encoder_takes_its_shortcuts_on_orthogonal_spaces():
    """O(3): r² = x·x, the form a multiple of I, Sym² and Sym³ as weighted monomials; the
    permutation representation of S(4) has I as radius form but a second form (the all-ones
    matrix); the Lorentz metric takes the general contractions."""
    enc = EdgeEncoder(V(gk.O(3)), degree=3)
    assert enc._identity_radius and enc._identity_forms and enc._monomials == [2, 3]
    perm = EdgeEncoder(V(gk.S(4)), degree=2)
    assert perm._identity_radius and not perm._identity_forms
    lorentz = EdgeEncoder(V(gk.Lorentz()), degree=2, normalize=False)
    assert not lorentz._identity_radius and not lorentz._identity_forms

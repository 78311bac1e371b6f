"""groupkit.nn modules as PyTorch modules: hidden representations, checkpoints, torch.compile,
dtypes and devices, bad input, and the mathematics of the bilinear layer."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch

import groupkit as gk
from groupkit import Scalar, T, V
from groupkit.nn import (
    EMLP, MLP, EquivariantBilinear, EquivariantLinear, GatedNonlinearity, NormNonlinearity, gated,
    num_gates, tensor_rank_counts, uniform_rep,
)


# -- hidden representations ------------------------------------------------------------------

def test_uniform_rep_matches_the_paper_allocation():
    """The EMLP paper's O(5) model: 134 scalars, 25 vectors, 5 matrices (384 channels), plus
    30 gates — the figures quoted for emlp's model."""
    rep = uniform_rep(384, gk.O(5))
    assert rep.size == 384
    counts = {}
    for s in rep.summands():
        counts[str(s)] = counts.get(str(s), 0) + 1
    assert counts == {"1": 134, "V": 25, "V⊗V": 5}
    assert num_gates(rep) == 30 and gated(rep).size == 414


@pytest.mark.parametrize("ch,d", [(384, 5), (384, 3), (384, 4), (128, 5), (100, 2), (7, 5),
                                  (1, 3)])
def test_rank_counts_fill_the_channels(ch, d):
    counts = tensor_rank_counts(ch, d)
    assert sum(n * d ** r for r, n in enumerate(counts)) == ch
    # the largest rank fits: (R+1)·d^R ≤ ch
    R = len(counts) - 1
    assert (R + 1) * d ** R <= ch


def test_uniform_rep_splits_ranks_binomially_for_non_orthogonal_groups():
    G = gk.Lorentz()
    rep = uniform_rep(384, G)
    assert rep.size == 384
    kinds = {str(s) for s in rep.summands()}
    assert {"V", "V*", "V⊗V*"} <= kinds  # V ≠ V* for the Lorentz group
    assert uniform_rep(384, G) == rep  # deterministic


def test_explicit_hidden_reps():
    G = gk.SO(3)
    h1, h2 = 4 * Scalar + 2 * V(G), 3 * Scalar + V(G) ** 2
    model = EMLP(V(G), Scalar, G, ch=[h1, h2])
    assert model.hidden == [h1, h2]
    assert len(model.network) == 3
    with pytest.raises(TypeError, match="ch must be"):
        EMLP(V(G), Scalar, G, ch="wide")


def test_bilinear_can_be_chosen_per_layer():
    G = gk.SO(3)
    model = EMLP(V(G), Scalar, G, ch=40, num_layers=3, bilinear=[True, True, False],
                 dtype=torch.float64)
    assert [b.bilinear is not None for b in model.network[:3]] == [True, True, False]
    last = model.network[2]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(5, last.rep_in.size, dtype=torch.float64, generator=gen)
    torch.testing.assert_close(last(x), last.nonlinearity(last.linear(x)), rtol=0, atol=0)
    everywhere = EMLP(V(G), Scalar, G, ch=40, num_layers=3, dtype=torch.float64)
    n_params = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n_params(everywhere) - n_params(model) == n_params(everywhere.network[2].bilinear)


@pytest.mark.parametrize("bilinear, error", [([True, False], ValueError), ("yes", TypeError),
                                             ([1, 0, 1], TypeError)])
def test_per_layer_bilinear_needs_one_bool_per_hidden_layer(bilinear, error):
    G = gk.SO(3)
    with pytest.raises(error, match="one per hidden layer|one bool per hidden layer"):
        EMLP(V(G), Scalar, G, ch=40, num_layers=3, bilinear=bilinear)


# -- checkpoints -----------------------------------------------------------------------------

def _roundtrip(model_factory):
    torch.manual_seed(1)
    model = model_factory()
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    torch.manual_seed(2)  # a different initialisation, overwritten by the checkpoint
    fresh = model_factory()
    fresh.load_state_dict(torch.load(buf, weights_only=True))
    return model, fresh, buf.getbuffer().nbytes


def test_checkpoint_holds_coefficients_only_and_reloads_identically():
    G = gk.O(5)

    def factory():
        return EMLP(2 * V(G), Scalar, G, ch=100, num_layers=2, dtype=torch.float64)

    model, fresh, nbytes = _roundtrip(factory)
    keys = set(model.state_dict())
    params = {name for name, _ in model.named_parameters()}
    assert keys == params, f"non-parameter entries in the checkpoint: {keys - params}"
    n_params = sum(p.numel() for p in model.parameters())
    assert nbytes < 8 * n_params + 200_000  # no bases in the file
    x = torch.randn(16, 10, dtype=torch.float64)
    assert torch.equal(model(x), fresh(x))


# This model is constant (no path from V to the scalar output): groupkit warns; the test only
# checks the checkpoint round trip.
@pytest.mark.filterwarnings("ignore::groupkit.DegenerateModelWarning")
def test_complex_checkpoint_roundtrip():
    G = gk.SU(2)
    rep = 2 * Scalar + V(G) + V(G) * V(G).T

    def factory():
        return EMLP(V(G), Scalar, G, ch=rep, num_layers=1, dtype=torch.float64)

    model, fresh, _ = _roundtrip(factory)
    x = torch.randn(5, 2, dtype=torch.complex128)
    assert torch.equal(model(x), fresh(x))


# -- dtypes, devices, torch.compile ----------------------------------------------------------

def test_float32_and_float64_agree():
    G = gk.SO(3)
    torch.manual_seed(0)
    m64 = EMLP(2 * V(G), V(G), G, ch=60, num_layers=2, dtype=torch.float64)
    m32 = EMLP(2 * V(G), V(G), G, ch=60, num_layers=2, dtype=torch.float32)
    m32.load_state_dict({k: v.float() for k, v in m64.state_dict().items()})
    x = torch.randn(8, 6, dtype=torch.float64)
    a, b = m64(x), m32(x.float()).double()
    assert torch.allclose(a, b, rtol=1e-4, atol=1e-5)


def test_to_dtype_keeps_complex_bases():
    """Module.to(dtype) casts complex buffers to real ones; groupkit keeps them as real pairs,
    so converting a complex-group model stays exact."""
    G = gk.SU(2)
    rep = 2 * Scalar + V(G) + V(G) * V(G).T
    model = EMLP(V(G), V(G), G, ch=rep, num_layers=1, dtype=torch.float32)
    model = model.to(torch.float64)
    from groupkit.testing import equivariance_error

    assert equivariance_error(model, rng=0) < 1e-10


def test_batch_shapes():
    G = gk.O(3)
    model = EMLP(V(G), V(G), G, ch=40, num_layers=1, dtype=torch.float64)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    assert model(x).shape == (2, 5, 3)
    assert torch.allclose(model(x).reshape(10, 3), model(x.reshape(10, 3)))
    assert model(x[0, 0]).shape == (3,)


@pytest.mark.parametrize("group", ["O(5)", "SU(2)"])
def test_device_argument_places_every_tensor(group):
    """device= puts every parameter and buffer there (checked on the meta device, which needs
    no GPU): nothing is left on the CPU to fail at the first forward on CUDA."""
    G = gk.O(5) if group == "O(5)" else gk.SU(2)
    ch = 100 if group == "O(5)" else 2 * Scalar + V(G) + V(G) * V(G).T
    modules = [EMLP(V(G), V(G), G, ch=ch, num_layers=2, device="meta")]
    if group == "O(5)":
        modules.append(NormNonlinearity(Scalar + V(G), device="meta"))
    for m in modules:
        off = [n for n, t in [*m.named_parameters(), *m.named_buffers()] if t.device.type != "meta"]
        assert not off, f"left on the CPU: {off}"


def test_torch_compile():
    """Dynamo traces the modules without graph breaks; the aot_eager backend keeps the test fast
    on CPU (inductor compiles C++ and takes minutes here) while exercising the same graph
    capture and autograd."""
    G = gk.O(3)
    torch.manual_seed(0)
    model = EMLP(V(G) + Scalar, Scalar, G, ch=40, num_layers=2)
    compiled = torch.compile(model, backend="aot_eager", fullgraph=True)
    x = torch.randn(7, 4)
    y = compiled(x)
    assert torch.allclose(y, model(x), atol=1e-6)
    y.sum().backward()
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


# -- bad input -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    G = gk.O(3)
    return EMLP(2 * V(G), Scalar, G, ch=30, num_layers=1)


def test_wrong_last_dimension_raises(small):
    for shape in [(4, 5), (4, 7), (5,), (4, 6, 1)]:
        with pytest.raises(ValueError, match="last dimension .* must be 6"):
            small(torch.randn(*shape))


def test_no_silent_broadcast_in_layers():
    rep = 3 * Scalar + V(gk.O(3))
    for layer in [EquivariantLinear(rep, rep), EquivariantBilinear(rep, rep),
                  GatedNonlinearity(rep)]:
        with pytest.raises(ValueError, match="last dimension"):
            layer(torch.randn(4, 1))


def test_wrong_dtype_raises(small):
    with pytest.raises(TypeError, match="dtype torch.float64 but the module has torch.float32"):
        small(torch.randn(4, 6, dtype=torch.float64))
    with pytest.raises(TypeError, match="dtype"):
        small(torch.ones(4, 6, dtype=torch.int64))


def test_wrong_device_raises(small):
    with pytest.raises(ValueError, match="is on meta but the module is on cpu"):
        small(torch.empty(4, 6, device="meta"))


def test_not_a_tensor_raises(small):
    with pytest.raises(TypeError, match="expects a torch.Tensor"):
        small(np.zeros((4, 6), dtype=np.float32))


def test_nan_propagates_to_its_own_sample_only(small):
    """Documented behaviour: NaN inputs are not checked (no device synchronisation); they
    propagate to the outputs of the samples that contain them and nowhere else."""
    x = torch.randn(5, 6)
    x[2, 1] = float("nan")
    y = small(x)
    assert torch.isnan(y[2]).all()
    assert torch.isfinite(y[[0, 1, 3, 4]]).all()


# -- the bilinear layer's mathematics --------------------------------------------------------

def test_bilinear_is_bilinear():
    rep = 2 * Scalar + 2 * V(gk.SO(3)) + V(gk.SO(3)) ** 2
    layer = EquivariantBilinear(rep, rep, products="all", dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    x, y1, y2 = (torch.randn(4, rep.size, dtype=torch.float64, generator=g) for _ in range(3))
    assert torch.allclose(layer(x, y1 + 2 * y2), layer(x, y1) + 2 * layer(x, y2))
    assert torch.allclose(layer(3 * x, y1), 3 * layer(x, y1))
    assert torch.allclose(layer(2 * x), 4 * layer(x))
    assert layer(x).abs().max() > 1e-3


def test_bilinear_spans_the_invariant_quadratics():
    """First fundamental theorem for O(n): every O(3)-invariant quadratic form in two vectors is
    a combination of x₁·x₁, x₁·x₂, x₂·x₂ (3 of them). The layer's outputs lie in that span, and
    over random parameters they fill it."""
    G = gk.O(3)
    rep_in = 2 * V(G)
    x = torch.randn(50, 6, dtype=torch.float64)
    x1, x2 = x[:, :3], x[:, 3:]
    basis = torch.stack([(x1 * x1).sum(1), (x1 * x2).sum(1), (x2 * x2).sum(1)], dim=1)
    outputs = []
    for seed in range(6):
        torch.manual_seed(seed)
        layer = EquivariantBilinear(rep_in, Scalar, dtype=torch.float64)
        out = layer(x)[:, 0]
        coef = torch.linalg.lstsq(basis, out[:, None]).solution
        assert torch.allclose(basis @ coef, out[:, None], atol=1e-10)
        outputs.append(out)
    assert torch.linalg.matrix_rank(torch.stack(outputs, 1)) == 3


def test_bilinear_outer_products_reach_rank_two_tensors():
    """V ⊗ V → T(2) for SO(3): x⊗y, y⊗x and (x·y)·I span the equivariant bilinear maps (3 of
    them, the dimension of Hom(V⊗V, V⊗V)); the layer reaches all of them."""
    G = gk.SO(3)
    x = torch.randn(40, 3, dtype=torch.float64)
    y = torch.randn(40, 3, dtype=torch.float64)
    xy = torch.einsum("ni,nj->nij", x, y).reshape(40, 9)
    yx = torch.einsum("ni,nj->nji", x, y).reshape(40, 9)
    dot = (x * y).sum(1)[:, None] * torch.eye(3, dtype=torch.float64).reshape(1, 9)
    # SO(3) also has ε: x×y as a vector, embedded as the antisymmetric part is already xy − yx
    basis = torch.stack([xy.reshape(-1), yx.reshape(-1), dot.reshape(-1)], 1)
    outs = []
    for seed in range(5):
        torch.manual_seed(seed)
        layer = EquivariantBilinear(V(G), T(2, 0, G), products="all", dtype=torch.float64)
        out = layer(x, y).reshape(-1)
        coef = torch.linalg.lstsq(basis, out[:, None]).solution
        assert torch.allclose(basis @ coef, out[:, None], atol=1e-10)
        outs.append(out)
    assert torch.linalg.matrix_rank(torch.stack(outs, 1)) == 3


@pytest.mark.parametrize("products", ["contract", "all"])
def test_bilinear_parameters_all_learn(products):
    rep = gated(uniform_rep(100, gk.O(5)))
    layer = EquivariantBilinear(rep, rep, products=products)
    layer(torch.randn(8, rep.size)).pow(2).sum().backward()
    for name, p in layer.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_contraction_products_match_emlp_set():
    """The default products of the paper's O(5) hidden layer are emlp's: scalar × vector,
    vector · vector, matrix × vector, scalar × matrix and ⟨matrix, matrix⟩ — five triples, no
    solve."""
    rep = gated(uniform_rep(384, gk.O(5)))
    layer = EquivariantBilinear(rep, rep)
    names = {0: "1", 1: "V", 2: "VV"}
    got = {(names[t.left], names[t.right], names[t.out]) for t in layer.triples}
    assert got == {("V", "1", "V"), ("V", "V", "1"), ("VV", "V", "V"), ("VV", "1", "VV"),
                   ("VV", "VV", "1")}
    assert all(t.kind == "contract" for t in layer.triples)


def _bilinear_reference(layer, x, y):
    """B(x, y) from the layer's definition, term by term in numpy: per triple (T, R, S), the
    mixed channels ℓ_l = Σ_c A[l, c] x_T[c] and ρ_m = Σ_c C[m, c] y_R[c], the basis maps
    (the solver's basis of Hom(T ⊗ R, S), or the contraction reading a copy of T as the
    matrix M[s, r] = t[idx[s·|R| + r]], scaled by 1/√(|S||R|)) and
    out_S[b] = Σ_{l,p,m} θ[b, l, p, m] B_p(ℓ_l, ρ_m), written at the copies' offsets.
    x, y: (n, size) arrays (complex for complex layers)."""
    from groupkit.nn._layout import summand_types

    ins, outs = summand_types(layer.rep_in), summand_types(layer.rep_out)
    p = {}
    for k, v in layer.named_parameters():
        v = v.detach()
        p[k] = (torch.view_as_complex(v) if layer.is_complex else v).numpy()
    out = np.zeros((x.shape[0], layer.rep_out.size), dtype=np.result_type(x, y, *p.values()))

    def copies(z, t):
        return np.stack([z[:, o:o + t.size] for o in t.offsets], axis=1)  # (n, c, |t|)

    for tr in layer.triples:
        T, R, S = ins[tr.left], ins[tr.right], outs[tr.out]
        ell = np.einsum("lc,ncd->nld", p[f"mix_left.{tr.left}"], copies(x, T))
        rho = np.einsum("mc,ncd->nmd", p[f"mix_right.{tr.right}"], copies(y, R))
        if tr.kind == "contract":
            idx = getattr(layer, f"basis{tr.index}").numpy()
            M = ell[:, :, idx].reshape(len(x), -1, S.size, R.size)
            B = np.einsum("nlsr,nmr->nlsm", M, rho)[:, :, None] / math.sqrt(S.size * R.size)
        else:
            Q = gk.solve(gk.tensor(T.rep, R.rep), S.rep).dense()
            Q = Q.reshape(S.size, T.size, R.size, -1)
            B = np.einsum("strp,nlt,nmr->nlpsm", Q, ell, rho)
        o = np.einsum("blpm,nlpsm->nbs", p[f"coef.{tr.index}"], B)
        for b, off in enumerate(S.offsets):
            out[:, off:off + S.size] += o[:, b]
    return out


def _product_group_vectors():
    from groupkit.reps import lift

    G = gk.SO(2) * gk.SO(3)
    return tuple(lift(V(F), G) for F in G.factors)


def _bilinear_case(case):
    """(layer, two inputs?, complex inputs?) for :func:`test_bilinear_matches_its_definition…`;
    each case names the evaluation paths it reaches."""
    if case == "o5-hidden":  # the EMLP's five contractions, identity identifications, folds
        rep = gated(uniform_rep(60, gk.O(5)))
        return EquivariantBilinear(rep, rep, dtype=torch.float64), False, False
    if case == "product-scattered":
        # types split into runs on both sides (the output is reassembled from pieces), and a
        # contraction whose identification T ≅ S ⊗ R* transposes the tensor factors
        # (V₁ ⊗ V₂ acting on V₁ to give V₂)
        V1, V2 = _product_group_vectors()
        rep = Scalar + V1 + V2 + V1 * V2 + Scalar + V2
        layer = EquivariantBilinear(rep, rep, dtype=torch.float64)
        assert not all(layer._identity.values())
        return layer, False, False
    if case == "product-two-inputs-unreached-output":
        # B(x, y) with contractions, and an output type no product reaches (zeros)
        V1, V2 = _product_group_vectors()
        rep = 2 * Scalar + V1 + V2 + V1 * V2
        layer = EquivariantBilinear(rep, rep + V1 * V1 * V2, dtype=torch.float64)
        assert len({t.out for t in layer.triples}) < len(layer._out_sizes)
        return layer, True, False
    if case == "so3-all-scalar-products":
        # every solved product, scalar products included: all eight (first, order) paths of
        # dense triples, the left factor folded when it has size 1 (C1 = 2, r = 3)
        G = gk.SO(3)
        rep = 2 * Scalar + 2 * V(G) ** 2 + V(G)
        layer = EquivariantBilinear(rep, rep, products="all", scalar_products=True,
                                    dtype=torch.float64)
        sizes = layer._in_sizes
        assert any(t.first == "right" and t.order == "mix" and sizes[t.left][1] == 1
                   and t.r > 1 for t in layer.triples)
        assert {(t.first, t.order) for t in layer.triples if t.kind == "dense"} == {
            ("left", "mix"), ("left", "features"), ("right", "mix"), ("right", "features")}
        return layer, True, False
    if case == "o3-one-channel":
        # one channel per type: scalar × tensor mixes the many scalar copies first instead of
        # folding them into θ
        G = gk.O(3)
        rep = 6 * Scalar + 3 * V(G) + V(G) ** 2
        return EquivariantBilinear(rep, rep, channels=1, dtype=torch.float64), False, False
    if case == "su2-complex":
        G = gk.SU(2)
        rep = 2 * Scalar + V(G) + V(G) * V(G) + V(G)
        layer = EquivariantBilinear(rep, rep, dtype=torch.float64)
        assert layer.is_complex
        return layer, True, True
    raise ValueError(case)


BILINEAR_CASES = ["o5-hidden", "product-scattered", "product-two-inputs-unreached-output",
                  "so3-all-scalar-products", "o3-one-channel", "su2-complex"]


@pytest.mark.parametrize("case", BILINEAR_CASES)
def test_bilinear_matches_its_definition_term_by_term(case):
    torch.manual_seed(0)
    layer, two, cplx = _bilinear_case(case)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # every parameter away from its initial scale
        for q in layer.parameters():
            q.copy_(torch.randn(q.shape, generator=g, dtype=q.dtype))
    dt = torch.complex128 if cplx else torch.float64
    size = layer.rep_in.size
    x = torch.randn(2, 3, size, generator=g, dtype=dt)  # two leading batch dimensions
    y = torch.randn(2, 3, size, generator=g, dtype=dt) if two else x
    got = layer(x, y if two else None).detach().reshape(6, -1).numpy()
    want = _bilinear_reference(layer, x.reshape(6, size).numpy(), y.reshape(6, size).numpy())
    assert np.abs(want).max() > 1e-3
    assert np.abs(got - want).max() <= 1e-10 * np.abs(want).max()


@pytest.mark.parametrize("case", BILINEAR_CASES)
def test_bilinear_takes_an_empty_batch(case):
    layer, two, cplx = _bilinear_case(case)
    x = torch.zeros(0, layer.rep_in.size,
                    dtype=torch.complex128 if cplx else torch.float64)
    out = layer(x, x.clone() if two else None)
    assert out.shape == (0, layer.rep_out.size)


@pytest.mark.parametrize("case", ["product-scattered", "so3-all-scalar-products"])
def test_bilinear_gradients_pass_gradcheck(case):
    torch.manual_seed(0)
    layer, two, _ = _bilinear_case(case)
    g = torch.Generator().manual_seed(2)
    x = torch.randn(3, layer.rep_in.size, generator=g, dtype=torch.float64,
                    requires_grad=True)
    y = torch.randn(3, layer.rep_in.size, generator=g, dtype=torch.float64,
                    requires_grad=True)
    params = tuple(layer.parameters())

    def f(x, y, *ps):
        return torch.func.functional_call(layer, dict(zip(
            [k for k, _ in layer.named_parameters()], ps)), (x, y if two else None))

    assert torch.autograd.gradcheck(f, (x, y, *params), eps=1e-6, atol=1e-7)


def test_bilinear_initial_scale():
    """With unit-variance inputs each output coordinate that receives products has standard
    deviation about ``gain``."""
    rep = 3 * Scalar + 8 * V(gk.O(4))
    torch.manual_seed(0)
    layer = EquivariantBilinear(rep, rep, gain=0.5, dtype=torch.float64)
    out = layer(torch.randn(4000, rep.size, dtype=torch.float64))
    assert math.isclose(out[:, 3:].std().item(), 0.5, rel_tol=0.35)


def test_plain_mlp_shapes():
    G = gk.O(5)
    mlp = MLP(2 * V(G), Scalar, ch=32, num_layers=2)
    assert mlp(torch.randn(3, 10)).shape == (3, 1)


@pytest.mark.parametrize("rows", [6, 10_000])  # the three-operation form, then the runs
def test_gated_fast_path_matches_definition(rows):
    """The default (fast) gated nonlinearity equals its definition, values and gradients:
    scalars through SiLU, every other summand times σ(its own gate)."""
    G = gk.O(3)
    rep = 2 * Scalar + 2 * V(G) + V(G) ** 2 + Scalar + V(G)
    torch.manual_seed(0)
    x = torch.randn(rows, gated(rep).size, dtype=torch.float64, requires_grad=True)
    out = GatedNonlinearity(rep)(x)
    expect, pos, gate = [], 0, rep.size
    for s in rep.summands():
        v = x[:, pos:pos + s.size]
        if s == Scalar:
            expect.append(torch.nn.functional.silu(v))
        else:
            expect.append(v * torch.sigmoid(x[:, gate:gate + 1]))
            gate += 1
        pos += s.size
    expect = torch.cat(expect, dim=1)
    assert torch.allclose(out, expect, rtol=1e-12, atol=1e-14)
    w = torch.randn_like(out)
    (g_fast,) = torch.autograd.grad((out * w).sum(), x)
    (g_def,) = torch.autograd.grad((expect * w).sum(), x)
    assert torch.allclose(g_fast, g_def, rtol=1e-12, atol=1e-14)
    generic = GatedNonlinearity(rep, activation=torch.nn.SiLU())
    assert torch.allclose(generic(x), out)


def test_casting_a_float32_layer_to_float64_restores_exact_bases():
    # Bases are rebuilt from float64 masters on .double(), not upcast from float32 roundings.
    from groupkit import SO, Scalar, V
    from groupkit.nn import EquivariantLinear
    from groupkit.testing import equivariance_error

    G = SO(3)
    layer = EquivariantLinear(V(G) ** 2 + V(G), V(G) ** 2 + Scalar, dtype=torch.float32)
    assert equivariance_error(layer.double()) < 1e-12


def test_casting_a_float32_bilinear_layer_to_float64_restores_exact_bases():
    from groupkit import SO, V
    from groupkit.nn import EquivariantBilinear
    from groupkit.testing import equivariance_error

    G = SO(3)
    torch.manual_seed(0)
    rep = 3 * V(G) + V(G) ** 2   # products='all': solved (dense) bases, not only contractions
    layer = EquivariantBilinear(rep, rep, products="all", dtype=torch.float32)
    assert equivariance_error(layer.double()) < 1e-12

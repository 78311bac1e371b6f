"""PointConv: the fused contraction against an explicit per-edge reference, aggregation modes,
degenerate graphs (empty, isolated and coincident points), initial scale, gradients, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupkit import SO, Scalar, V

from kernels import PointConv, harmonic, knn_graph, radius_graph

pytestmark = pytest.mark.torch

G = SO(3)
Y2 = harmonic(V(G), 2)
REP_IN = 2 * Scalar + V(G) + Y2
REP_OUT = Scalar + 2 * V(G) + Y2


def _conv(**kw):
    kw.setdefault("cutoff", 1.0)
    kw.setdefault("dtype", torch.float64)
    return PointConv(G, REP_IN, REP_OUT, **kw)


def _cloud(n=40, seed=0, dtype=torch.float64):
    gen = torch.Generator().manual_seed(seed)
    pos = torch.rand(n, 3, generator=gen, dtype=dtype) * 2
    f = torch.randn(n, REP_IN.size, generator=gen, dtype=dtype)
    return pos, f


def _reference(conv: PointConv, f, pos, ei, mean=False):
    """Σ_j K(x_j − x_i) f_j with the explicit per-edge kernel matrices and a python loop."""
    with torch.no_grad():
        K = conv.kernel(pos[ei[0]] - pos[ei[1]])  # (E, out, in)
        out = torch.zeros(len(f), conv.rep_out.size, dtype=f.dtype)
        deg = torch.zeros(len(f), dtype=f.dtype)
        for e in range(ei.shape[1]):
            out[ei[1, e]] += K[e] @ f[ei[0, e]]
            deg[ei[1, e]] += 1
        if mean:
            out = out / deg.clamp_min(1)[:, None]
        return out


@pytest.mark.parametrize("method", ["padded", "scatter"])
@pytest.mark.parametrize("aggregation", ["sum", "mean"])
def test_fused_contraction_matches_explicit_kernels(method, aggregation):
    conv = _conv(method=method, aggregation=aggregation, self_interaction=False, bias=False,
                 chunk_size=7)
    pos, f = _cloud()
    ei = radius_graph(pos, 0.7)  # irregular degrees
    ei = ei[:, torch.randperm(ei.shape[1])]  # and unsorted
    assert torch.bincount(ei[1]).unique().numel() > 3
    with torch.no_grad():
        out = conv(f, pos, ei)
    ref = _reference(conv, f, pos, ei, mean=aggregation == "mean")
    assert torch.allclose(out, ref, rtol=1e-12, atol=1e-12 * ref.abs().max())


def test_knn_fast_path_matches_reference():
    conv = _conv(self_interaction=False, bias=False)
    pos, f = _cloud()
    ei = knn_graph(pos, 5)
    with torch.no_grad():
        out = conv(f, pos, ei)
    ref = _reference(conv, f, pos, ei)
    assert torch.allclose(out, ref, rtol=1e-12, atol=1e-12 * ref.abs().max())


def test_self_interaction_and_scale():
    conv = _conv()
    pos, f = _cloud()
    ei = knn_graph(pos, 5)
    with torch.no_grad():
        out = conv(f, pos, ei)
        expect = (_reference(conv, f, pos, ei) + conv.self_interaction(f)) / np.sqrt(2)
    assert torch.allclose(out, expect, rtol=1e-12, atol=1e-12 * expect.abs().max())


def test_edges_beyond_cutoff_contribute_nothing():
    conv = _conv(self_interaction=False, cutoff=0.5)
    pos, f = _cloud(n=10)
    pos[9] = torch.tensor([10.0, 0, 0], dtype=pos.dtype)
    ei = torch.tensor([[1, 2, 3], [0, 0, 0]])
    far = torch.cat([ei, torch.tensor([[9], [0]])], dim=1)
    with torch.no_grad():
        assert torch.equal(conv(f, pos, ei), conv(f, pos, far))


def test_empty_graph_gives_self_interaction_only():
    conv = _conv()
    pos, f = _cloud(n=6)
    empty = torch.zeros(2, 0, dtype=torch.long)
    with torch.no_grad():
        out = conv(f, pos, empty)
    assert torch.allclose(out, conv.self_interaction(f) / np.sqrt(2))
    # and no points at all
    out0 = conv(f[:0], pos[:0], empty)
    assert out0.shape == (0, REP_OUT.size)
    out0.sum().backward()  # gradients reach the parameters without error


def test_isolated_points_get_zero_message():
    conv = _conv(self_interaction=False, bias=False)
    pos, f = _cloud(n=8)
    ei = torch.tensor([[1, 2, 0], [0, 0, 1]])  # points 2..7 receive nothing
    with torch.no_grad():
        out = conv(f, pos, ei)
    assert torch.isfinite(out).all()
    assert torch.equal(out[2:], torch.zeros_like(out[2:]))
    assert out[:2].abs().max() > 0


def test_coincident_points_are_finite_with_finite_gradients():
    conv = _conv()
    pos, f = _cloud(n=5)
    pos[1] = pos[0]  # x = 0 on the edges 0 ↔ 1
    pos.requires_grad_(True)
    f.requires_grad_(True)
    ei = torch.tensor([[1, 0, 2, 0], [0, 1, 0, 0]])  # includes a self loop (x = 0) too
    out = conv(f, pos, ei)
    assert torch.isfinite(out).all()
    out.pow(2).sum().backward()
    assert torch.isfinite(pos.grad).all() and torch.isfinite(f.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in conv.parameters() if p.grad is not None)


def test_coincident_message_is_the_isotropic_kernel():
    """At x = 0, K(0) commutes with the group: it is an equivariant map rep_in → rep_out."""
    conv = _conv()
    with torch.no_grad():
        K0 = conv.kernel(torch.zeros(1, 3, dtype=torch.float64))[0].numpy()
    for g in G.samples(3, rng=0):
        lhs, rhs = REP_OUT.rho(g) @ K0, K0 @ REP_IN.rho(g)
        assert np.abs(lhs - rhs).max() <= 1e-12 * max(np.abs(K0).max(), 1)


def test_gradcheck():
    conv = PointConv(G, Scalar + V(G), V(G), cutoff=1.0, hidden=2 * Scalar + V(G),
                     dtype=torch.float64)
    gen = torch.Generator().manual_seed(1)
    pos = torch.rand(4, 3, generator=gen, dtype=torch.float64).requires_grad_(True)
    f = torch.randn(4, 4, generator=gen, dtype=torch.float64).requires_grad_(True)
    ei = knn_graph(pos.detach(), 2)
    assert torch.autograd.gradcheck(lambda a, b: conv(a, b, ei), (f, pos), fast_mode=True)


def test_initial_output_variance_is_about_one():
    G3 = SO(3)
    rep = 4 * Scalar + 4 * V(G3) + 4 * harmonic(V(G3), 2)
    k = 12
    conv = PointConv(G3, rep, rep, length_scale=0.3, avg_degree=k, dtype=torch.float64)
    gen = torch.Generator().manual_seed(2)
    pos = torch.rand(400, 3, generator=gen, dtype=torch.float64)
    f = torch.randn(400, rep.size, generator=gen, dtype=torch.float64)
    with torch.no_grad():
        out = conv(f, pos, knn_graph(pos, k))
    var = float(out.pow(2).mean())
    assert 0.3 < var < 3.0, var


def test_state_dict_holds_parameters_only():
    conv = _conv()
    keys = set(conv.state_dict())
    assert keys == {n for n, _ in conv.named_parameters()}


def test_float32_runs_and_backward():
    conv = _conv(dtype=torch.float32)
    pos, f = _cloud(dtype=torch.float32)
    out = conv(f, pos, knn_graph(pos, 4))
    assert out.dtype == torch.float32
    out.sum().backward()


def test_bad_input():
    conv = _conv()
    pos, f = _cloud(n=5)
    ei = torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(IndexError, match="only 5 points"):
        conv(f, pos, torch.tensor([[0, 5], [1, 2]]))
    with pytest.raises(IndexError, match="-1"):
        conv(f, pos, torch.tensor([[0, -1], [1, 2]]))
    with pytest.raises(ValueError, match=r"pos must have shape \(5, 3\)"):
        conv(f, torch.randn(5, 2, dtype=torch.float64), ei)
    with pytest.raises(ValueError, match=r"pos must have shape"):
        conv(f, pos[:4], ei)
    with pytest.raises(ValueError, match=rf"features must have shape \(N, {REP_IN.size}\)"):
        conv(f[:, :-1], pos, ei)
    with pytest.raises(TypeError, match="dtype"):
        conv(f.float(), pos.float(), ei)
    with pytest.raises(TypeError, match="integers"):
        conv(f, pos, ei.double())
    with pytest.raises(ValueError, match="edge_attr"):
        conv(f, pos, ei, torch.zeros(3, 1, dtype=torch.float64))
    with pytest.raises(ValueError, match="aggregation"):
        _conv(aggregation="max")
    with pytest.raises(ValueError, match="method"):
        _conv(method="dense")

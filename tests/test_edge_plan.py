"""EdgePlan: per-graph work shared by PointConv layers gives the layers' own answer — against
explicit per-edge kernel matrices (float64, relative error ≤ 1e-10), with equal gradients, on
regular and irregular graphs, for several layers with different encoder settings on one plan —
and a plan built from other tensors is refused."""

from __future__ import annotations

import pytest
import torch

from groupkit import O, Scalar, V
from groupkit.nn import gated
from groupkit.testing import relative_error

from kernels import EdgePlan, PointConv, harmonic, knn_graph, radius_graph
from kernels.data.graphs import full_graph
from kernels.plan import bucket_layout

pytestmark = pytest.mark.torch


def _graph(kind, pos, gen):
    if kind == "full":
        return full_graph([5] * (pos.shape[0] // 5))
    if kind == "knn":
        return knn_graph(pos, 6)
    ei = radius_graph(pos, 0.8)  # the last point is isolated; edges shuffled
    return ei[:, torch.randperm(ei.shape[1], generator=gen)]


def _setup(kind, seed=0, n=40, **conv_options):
    G = O(3)
    Y2 = harmonic(V(G), 2)
    rep = 2 * Scalar + V(G) + Y2
    torch.manual_seed(seed)
    convs = [PointConv(G, rep, rep, cutoff=1.5, hidden=4 * Scalar + 2 * V(G) + 2 * Y2,
                       edge_features=1, dtype=torch.float64, **conv_options),
             PointConv(G, rep, gated(rep), cutoff=1.5, length_scale=0.7, edge_features=1,
                       hidden=2 * Scalar + V(G) + Y2, dtype=torch.float64, **conv_options)]
    gen = torch.Generator().manual_seed(seed)
    pos = torch.rand(n, 3, generator=gen, dtype=torch.float64) * 2
    pos[-1] = 40.0
    ei = _graph(kind, pos, gen)
    f = torch.randn(n, rep.size, generator=gen, dtype=torch.float64)
    e = torch.randn(ei.shape[1], 1, generator=gen, dtype=torch.float64)
    return convs, pos, f, ei, e


def _explicit(conv, f, pos, ei, e):
    """c · (Σ_j K(x_j − x_i, e_ij) f_j + S f_i + b), every edge's kernel matrix formed."""
    K = conv.kernel(pos[ei[0]] - pos[ei[1]], e)  # (E, out, in)
    msg = torch.einsum("eoi,ei->eo", K, f[ei[0]])
    out = torch.zeros(len(f), K.shape[1], dtype=f.dtype).index_add_(0, ei[1], msg)
    return (out + conv.self_interaction(f)) * conv.scale


@pytest.mark.parametrize("kind", ["full", "knn", "radius"])
@pytest.mark.parametrize("method", ["auto", "padded", "gathered", "scatter", "edge"])
def test_layers_sharing_a_plan_equal_explicit_kernels(kind, method):
    convs, pos, f, ei, e = _setup(kind, method=method)
    plan = EdgePlan(pos, ei)
    with torch.no_grad():
        for conv in convs:  # two encoder settings: two geometric parts in one plan
            got = conv(f, pos, ei, e, plan=plan)
            assert relative_error(got, _explicit(conv, f, pos, ei, e)) <= 1e-10
            assert torch.equal(got, conv(f, pos, ei, e))  # the same operations
    assert len(plan._geometric) == 2


@pytest.mark.parametrize("kind", ["full", "radius"])
def test_gradients_through_a_plan_equal_those_without(kind):
    """∂/∂(features, positions, edge features, every parameter) of a two-layer stack."""
    convs, pos, f, ei, e = _setup(kind, seed=1)
    gen = torch.Generator().manual_seed(5)
    w = torch.randn(len(f), convs[1].rep_out.size, generator=gen, dtype=torch.float64)

    def grads(use_plan):
        for conv in convs:
            conv.zero_grad(set_to_none=True)
        x, p, a = (t.clone().requires_grad_() for t in (f, pos, e))
        plan = EdgePlan(p, ei) if use_plan else None
        y = convs[0](x, p, ei, a, plan=plan)
        y = convs[1](y, p, ei, a, plan=plan)
        (y * w).sum().backward()
        return [x.grad, p.grad, a.grad] + [q.grad for c in convs for q in c.parameters()]

    for got, ref in zip(grads(True), grads(False)):
        assert relative_error(got, ref) <= 1e-10


def test_a_plan_of_other_tensors_is_refused():
    convs, pos, f, ei, e = _setup("full")
    plan = EdgePlan(pos, ei)
    with pytest.raises(ValueError, match="plan must be an EdgePlan"):
        convs[0](f, pos.clone(), ei, e, plan=plan)
    with pytest.raises(ValueError, match="plan must be an EdgePlan"):
        convs[0](f, pos, ei.clone(), e, plan=plan)


@pytest.mark.parametrize("kind", ["full", "radius"])
def test_bucket_layout_lists_every_in_edge_once(kind):
    """Each target's bucket row holds exactly its in-edges (by source), padding elsewhere;
    regular target-sorted graphs are flagged as views."""
    _, pos, _, ei, _ = _setup(kind)
    n = pos.shape[0]
    src, tgt = ei[0], ei[1]
    deg = torch.bincount(tgt, minlength=n)
    lay = bucket_layout(src, tgt, deg, n)
    if kind == "full":
        assert lay.regular and lay.width == 4
        return
    assert not lay.regular
    rows = torch.cat([torch.nn.functional.pad(s, (0, lay.width - s.shape[1]), value=n)
                      for s in lay.sources])
    nodes = lay.order.tolist()
    for node, row in zip(nodes, rows.tolist()):
        expect = sorted(src[tgt == node].tolist())
        assert sorted(v for v in row if v != n) == expect


@pytest.mark.parametrize("kind", ["full", "radius"])
@pytest.mark.parametrize("group", ["O(3)", "SO(3)"])
def test_symmetric_graphs_run_the_mlp_on_half_the_edges(kind, group):
    """On a symmetric graph with symmetric edge features, h(x_ij) = ρ_h(−I) h(x_ji): the kernel
    MLP runs on one edge of each reverse pair and the layer still equals explicit kernels on
    every edge (and its gradients those without a plan)."""
    from groupkit import SO

    G = {"O(3)": O(3), "SO(3)": SO(3)}[group]
    Y2 = harmonic(V(G), 2)
    rep = 2 * Scalar + V(G) + Y2
    torch.manual_seed(4)
    conv = PointConv(G, rep, gated(rep), cutoff=1.5, hidden=4 * Scalar + 2 * V(G) + 2 * Y2,
                     edge_features=1, dtype=torch.float64)
    assert conv.kernel.parity_signs() is not None
    gen = torch.Generator().manual_seed(7)
    pos = torch.rand(40, 3, generator=gen, dtype=torch.float64) * 2
    ei = _graph(kind, pos, gen)
    u = torch.randn(40, generator=gen, dtype=torch.float64)
    e = (u[ei[0]] * u[ei[1]])[:, None]  # symmetric: e_ij = e_ji
    f = torch.randn(40, rep.size, generator=gen, dtype=torch.float64)
    rows = []
    conv.kernel.mlp.register_forward_hook(lambda m, args, out: rows.append(args[0].shape[0]))
    plan = EdgePlan(pos, ei)
    with torch.no_grad():
        got = conv(f, pos, ei, e, plan=plan)
        assert rows == [ei.shape[1] // 2]
        assert relative_error(got, _explicit(conv, f, pos, ei, e)) <= 1e-10
    w = torch.randn(got.shape, generator=gen, dtype=torch.float64)

    def grads(use_plan):
        conv.zero_grad(set_to_none=True)
        x, p = f.clone().requires_grad_(), pos.clone().requires_grad_()
        (conv(x, p, ei, e, plan=EdgePlan(p, ei) if use_plan else None) * w).sum().backward()
        return [x.grad, p.grad] + [q.grad for q in conv.parameters()]

    for a, b in zip(grads(True), grads(False)):
        assert relative_error(a, b) <= 1e-10


def test_parity_needs_every_layer_to_commute_with_minus_identity():
    """SO(3) maps V → V⊗V (x ↦ its antisymmetric tensor, an axial vector) that −I does not
    respect; O(3) has no such map. Asymmetric edge features also keep the full path."""
    from groupkit import SO

    for G, expect in ((SO(3), False), (O(3), True)):
        conv = PointConv(G, Scalar + V(G), V(G), cutoff=1.0,
                         hidden=2 * Scalar + V(G) + V(G) ** 2, dtype=torch.float64)
        assert (conv.kernel.parity_signs() is not None) == expect
    conv = PointConv(O(3), Scalar + V(O(3)), V(O(3)), cutoff=1.0, edge_features=1,
                     dtype=torch.float64)
    pos = torch.randn(10, 3, dtype=torch.float64)
    ei = full_graph([5, 5])
    rows = []
    conv.kernel.mlp.register_forward_hook(lambda m, args, out: rows.append(args[0].shape[0]))
    e = torch.randn(ei.shape[1], 1, dtype=torch.float64)  # not symmetric
    conv(torch.randn(10, 4, dtype=torch.float64), pos, ei, e, plan=EdgePlan(pos, ei))
    assert rows == [ei.shape[1]]

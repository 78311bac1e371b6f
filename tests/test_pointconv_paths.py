"""PointConv's aggregation paths give one answer: the source-side ("gathered") stage 1, the T path
("padded"), the automatic choice per degree bucket and the scatter path, on regular (fully
connected, k-NN) and irregular (radius, unsorted, isolated points) graphs, against explicit
per-edge kernel matrices K(x_ij) f_j summed by index_add (float64, relative error ≤ 1e-10),
with equal gradients; and the stage-1 tables of both two-stage paths entry by entry."""

from __future__ import annotations

import pytest
import torch

from groupkit import O, SO, Scalar, V
from groupkit.nn import gated
from groupkit.testing import relative_error

from kernels import PointConv, SteerablePointNet, harmonic, knn_graph, radius_graph
from kernels.data.graphs import full_graph

pytestmark = pytest.mark.torch

METHODS = ["auto", "padded", "gathered", "scatter", "edge"]


def _reps(name):
    G = {"SO(3)": SO(3), "O(3)": O(3)}[name]
    Y2 = harmonic(V(G), 2)
    hidden = 4 * Scalar + 2 * V(G) + 2 * Y2
    return G, 2 * Scalar + V(G) + Y2, gated(hidden), hidden


def _graph(kind, pos, gen):
    n = pos.shape[0]
    if kind == "full":  # N-body-like: systems of 5, fully connected, sorted by target
        return full_graph([5] * (n // 5))
    if kind == "knn":
        return knn_graph(pos, 6)
    ei = radius_graph(pos, 0.8)  # degrees 0 (the far point) to many, then shuffled
    return ei[:, torch.randperm(ei.shape[1], generator=gen)]


def _setup(kind, group="O(3)", seed=0, n=40):
    G, rep_in, rep_out, hidden = _reps(group)
    torch.manual_seed(seed)
    conv = PointConv(G, rep_in, rep_out, cutoff=1.5, hidden=hidden, self_interaction=False,
                     bias=False, dtype=torch.float64)
    conv.kernel.bilinear.min_two_stage_nodes = 0  # the two-stage paths even on 40 points
    gen = torch.Generator().manual_seed(seed)
    pos = torch.rand(n, 3, generator=gen, dtype=torch.float64) * 2
    pos[-1] = 40.0  # isolated in the radius graph
    f = torch.randn(n, rep_in.size, generator=gen, dtype=torch.float64)
    return conv, pos, f, _graph(kind, pos, gen)


def _explicit(conv, f, pos, ei):
    """Σ_j K(x_j − x_i) f_j with every edge's kernel matrix formed (no bilinear shortcut)."""
    K = conv.kernel(pos[ei[0]] - pos[ei[1]])  # (E, out, in)
    msg = torch.einsum("eoi,ei->eo", K, f[ei[0]])
    return torch.zeros(len(f), K.shape[1], dtype=f.dtype).index_add_(0, ei[1], msg)


@pytest.mark.parametrize("kind", ["full", "knn", "radius"])
@pytest.mark.parametrize("method", METHODS)
def test_every_method_equals_explicit_kernels(kind, method):
    conv, pos, f, ei = _setup(kind)
    conv.method = method
    with torch.no_grad():
        out = conv(f, pos, ei)
        ref = _explicit(conv, f, pos, ei)
    assert relative_error(out, ref) <= 1e-10


@pytest.mark.parametrize("kind", ["full", "radius"])
@pytest.mark.parametrize("method", ["auto", "padded", "gathered", "edge"])
def test_gradients_equal_the_scatter_path(kind, method):
    """∂/∂(features, positions, every parameter) of a fixed projection of the output."""
    conv, pos, f, ei = _setup(kind, seed=1)
    gen = torch.Generator().manual_seed(5)
    w = torch.randn(len(f), conv.rep_out.size, generator=gen, dtype=torch.float64)

    def grads(m):
        conv.method = m
        conv.zero_grad(set_to_none=True)
        x, p = f.clone().requires_grad_(), pos.clone().requires_grad_()
        (conv(x, p, ei) * w).sum().backward()
        return [x.grad, p.grad] + [q.grad for q in conv.parameters()]

    for got, ref in zip(grads(method), grads("scatter")):
        assert relative_error(got, ref) <= 1e-10


@pytest.mark.parametrize("width", [1, 3, 4])
def test_gathered_stage1_equals_the_t_stage1(width):
    """The source-side tables give the same Y per input pair as stage 1 applied to T."""
    conv, _, _, _ = _setup("full")
    C = conv.kernel.bilinear.contraction
    gen = torch.Generator().manual_seed(width)
    n_src, n = 9, 7
    H, c_in = conv.kernel.bilinear.rep_h.size, conv.rep_in.size
    f = torch.randn(n_src, c_in, generator=gen, dtype=torch.float64)
    hp = torch.randn(n, width, H, generator=gen, dtype=torch.float64)
    sp = torch.randint(0, n_src, (n, width), generator=gen)
    T = torch.einsum("nwh,nwi->nhi", hp, f[sp])
    got = C.stage1_gathered(hp, C.source_tables(f), sp)
    ref = C.stage1(T)
    assert len(got) == len(ref) == len(C.pairs)
    for y, r in zip(got, ref):
        assert y.shape == r.shape
        assert relative_error(y, r) <= 1e-12


@pytest.mark.parametrize("method", ["auto", "padded", "scatter"])
def test_small_graphs_take_the_dense_product_and_agree(method):
    """Below min_two_stage_nodes the layer applies the dense W (one GEMM): same result."""
    conv, pos, f, ei = _setup("radius")
    bil = conv.kernel.bilinear
    conv.method = method
    with torch.no_grad():
        two = conv(f, pos, ei)
        bil.min_two_stage_nodes = len(f) + 1
        assert not bil.uses_two_stage(len(f))
        dense = conv(f, pos, ei)
    assert relative_error(dense, two) <= 1e-10


@pytest.mark.parametrize("k", [4, 30])
def test_auto_on_small_graphs_takes_the_cheaper_of_edge_side_and_dense_w(k, monkeypatch):
    """Below min_two_stage_nodes, "auto" applies the edge-side contraction exactly when it
    counts fewer multiply-adds than the dense W on T: at degree 4 on an N-body-like layer
    (many copies per type), not at degree 30; both give the explicit kernels' answer."""
    G = O(3)
    rep = 8 * Scalar + 4 * V(G)
    torch.manual_seed(3)
    conv = PointConv(G, rep, gated(rep), hidden=4 * Scalar + 2 * V(G) + 2 * harmonic(V(G), 2),
                     cutoff=1.5, self_interaction=False, bias=False, dtype=torch.float64)
    bil = conv.kernel.bilinear
    n = 40
    assert n < bil.min_two_stage_nodes
    H, c_in, c_out = bil.rep_h.size, bil.rep_in.size, bil.rep_out.size
    tables = [(torch.empty(n, k, H), None)]
    cheaper = bil.edge_side_cost(n, n * k) < n * k * H * c_in + n * c_out * H * c_in
    assert conv._edge_side(tables, n) == cheaper == (k == 4)
    calls = []
    build = bil.edge_side
    monkeypatch.setattr(bil, "edge_side", lambda: calls.append(1) or build())
    gen = torch.Generator().manual_seed(k)
    pos = torch.rand(n, 3, generator=gen, dtype=torch.float64)
    f = torch.randn(n, rep.size, generator=gen, dtype=torch.float64)
    ei = knn_graph(pos, k)
    with torch.no_grad():
        out = conv(f, pos, ei)
        assert bool(calls) == (k == 4)
        assert relative_error(out, _explicit(conv, f, pos, ei)) <= 1e-10
    conv.method = "padded"
    assert not conv._edge_side(tables, n)
    conv.method = "edge"
    assert conv._edge_side(tables, n)


def test_the_two_stage_threshold_falls_with_the_saving():
    """Larger layers save more per node, so they switch to two stages on smaller graphs."""
    G, rep_in, _, _ = _reps("O(3)")
    small = PointConv(G, rep_in, rep_in, cutoff=1.0, hidden=1).kernel.bilinear
    large = PointConv(G, 4 * rep_in, 4 * rep_in, cutoff=1.0, hidden=4).kernel.bilinear
    assert large.two_stage
    assert large.min_two_stage_nodes < small.min_two_stage_nodes or not small.two_stage


def test_auto_takes_the_gathered_path_at_small_degree_only():
    conv, _, _, _ = _setup("full")
    assert conv.kernel.bilinear.two_stage
    chosen = [conv._gathered(w) for w in range(1, 257)]
    assert chosen[0] and not chosen[-1]
    assert chosen == sorted(chosen, reverse=True)  # one threshold: small widths only
    conv.method = "padded"
    assert not conv._gathered(1)


@pytest.mark.parametrize("method", ["gathered", "padded", "edge"])
def test_network_on_fully_connected_systems_is_equivariant(method):
    """A 2-layer SteerablePointNet on N-body-sized systems: a random O(3) element (rotation
    times a reflection) applied to positions and features together."""
    G, rep_in, _, hidden = _reps("O(3)")
    torch.manual_seed(2)
    net = SteerablePointNet(G, rep_in, hidden, V(G), layers=2, cutoff=3.0, method=method,
                            dtype=torch.float64)
    for conv in net.convs:
        conv.kernel.bilinear.min_two_stage_nodes = 0  # the two-stage paths on 20 points
    gen = torch.Generator().manual_seed(3)
    pos = torch.randn(20, 3, generator=gen, dtype=torch.float64)
    f = torch.randn(20, rep_in.size, generator=gen, dtype=torch.float64)
    ei = full_graph([5] * 4)
    Qm, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen, dtype=torch.float64))
    g = -Qm if torch.det(Qm) > 0 else Qm  # an improper element
    rho_in = torch.as_tensor(rep_in.rho(g.numpy()), dtype=torch.float64)
    with torch.no_grad():
        out = net(f, pos, ei)
        moved = net(f @ rho_in.T, pos @ g.T, ei)
    assert relative_error(moved, out @ g.T) <= 1e-10


@pytest.mark.parametrize("shape", [(3, 5, 2, 4), (3, 2, 5, 4), (2, 4, 3, 1), (2, 1, 3, 6)])
def test_bmm_gradients_equal_torch_bmm_in_either_orientation(shape):
    """kernels.contract.bmm's backward (which picks the wider orientation per gradient) gives
    torch.bmm's gradients, for short and long inner sides and for transposed-view operands."""
    from kernels.contract import bmm

    n, i, k, j = shape
    gen = torch.Generator().manual_seed(1)
    a = torch.randn(n, k, i, generator=gen, dtype=torch.float64).transpose(1, 2)  # a view
    b = torch.randn(n, k, j, generator=gen, dtype=torch.float64)
    w = torch.randn(n, i, j, generator=gen, dtype=torch.float64)
    grads = []
    for f in (bmm, torch.bmm):
        x, y = a.clone().requires_grad_(), b.clone().requires_grad_()
        grads.append(torch.autograd.grad((f(x, y) * w).sum(), (x, y)))
    for g, ref in zip(*grads):
        assert torch.allclose(g, ref, rtol=1e-12, atol=1e-14)

"""Baselines: EGNN is E(3)-equivariant (rotations, reflections, translations, permutations);
the plain GNN is not; e3nn's tensor-product convolutions are O(3)-equivariant."""

import pytest
import torch

from kernels.baselines import GNN, EGNNDynamics, EGNNRegressor
from kernels.data.graphs import full_graph
from kernels.graph import knn_graph

TOL = {torch.float32: 1e-4, torch.float64: 1e-8}


def _orthogonal(dtype, reflect):
    q, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64))
    if (torch.det(q) < 0) != reflect:
        q = q @ torch.diag(torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))
    return q.to(dtype)


def _rel(a, b):
    a, b = a.detach(), b.detach()
    return float((a - b).norm() / b.norm().clamp(min=1e-30))


def _nbody_inputs(dtype, sizes=(5, 5)):
    n = sum(sizes)
    return (torch.randn(n, 3, dtype=dtype), torch.randn(n, 3, dtype=dtype),
            torch.randint(0, 2, (n,)).to(dtype) * 2 - 1, full_graph(sizes))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reflect", [False, True])
def test_egnn_dynamics_is_e3_equivariant(dtype, reflect):
    model = EGNNDynamics(hidden=16, layers=3).to(dtype)
    for p in model.parameters():  # larger coordinate weights than the init, to test something
        torch.nn.init.normal_(p, std=0.1)
    pos, vel, q, ei = _nbody_inputs(dtype)
    R, t = _orthogonal(dtype, reflect), torch.randn(3, dtype=dtype)
    out = model(pos, vel, q, ei)
    moved = model(pos @ R.T + t, vel @ R.T, q, ei)
    assert _rel(moved, out @ R.T + t) < TOL[dtype]
    assert _rel(out, pos) > 1e-3  # the model does move the particles


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_egnn_dynamics_is_permutation_equivariant(dtype):
    model = EGNNDynamics(hidden=16, layers=2).to(dtype)
    pos, vel, q, ei = _nbody_inputs(dtype, sizes=(6,))
    perm = torch.randperm(6)
    inv = torch.argsort(perm)
    out = model(pos, vel, q, ei)
    permuted = model(pos[perm], vel[perm], q[perm], inv[ei])
    assert _rel(permuted, out[perm]) < TOL[dtype]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reflect", [False, True])
def test_egnn_regressor_is_invariant(dtype, reflect):
    model = EGNNRegressor(5, hidden=16, layers=2).to(dtype)
    sizes = [4, 7]
    pos = torch.randn(11, 3, dtype=dtype)
    feats = torch.nn.functional.one_hot(torch.randint(0, 5, (11,)), 5).to(dtype)
    batch = torch.repeat_interleave(torch.arange(2), torch.tensor(sizes))
    ei = full_graph(sizes)
    R, t = _orthogonal(dtype, reflect), torch.randn(3, dtype=dtype)
    out = model(feats, pos, ei, batch)
    assert out.shape == (2,)
    assert _rel(model(feats, pos @ R.T + t, ei, batch), out) < TOL[dtype]


def test_gnn_shapes_and_it_is_not_rotation_invariant():
    pos, vel, q, ei = _nbody_inputs(torch.float64, sizes=(5,))
    model = GNN(6, 3, hidden=16, layers=2, edge_dim=1).double()
    qq = (q[ei[0]] * q[ei[1]]).unsqueeze(-1)
    out = model(torch.cat([pos, vel], 1), ei, qq)
    assert out.shape == (5, 3)
    R = _orthogonal(torch.float64, False)
    rotated = model(torch.cat([pos @ R.T, vel @ R.T], 1), ei, qq)
    assert _rel(rotated, out @ R.T) > 1e-3
    pooled = GNN(6, 2, hidden=8, layers=1, readout="sum").double()
    assert pooled(torch.cat([pos, vel], 1), ei, batch=torch.tensor([0, 0, 1, 1, 1])).shape == (2, 2)


def test_baselines_have_egnn_sizes():
    # EGNN's N-body model (4 layers, width 64) and QM9 model (7 layers, width 128, 15 inputs)
    n = sum(p.numel() for p in EGNNDynamics().parameters())
    m = sum(p.numel() for p in EGNNRegressor(15).parameters())
    assert 100_000 < n < 200_000 and 700_000 < m < 800_000


def _d_matrix(irreps, R):
    """The O(3) action on irreps of degree ≤ 1, built here from R (e3nn's l = 1 components are
    x, y, z; its own D_from_matrix is only float32-accurate)."""
    blocks = []
    for mul, ir in irreps:
        s = torch.det(R) if ir.p * (-1) ** ir.l == -1 else torch.ones((), dtype=R.dtype)
        g = {0: torch.ones(1, 1, dtype=R.dtype), 1: R}[ir.l] * s
        blocks += [g] * mul
    return torch.block_diag(*blocks)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("reflect", [False, True])
def test_e3nn_network_is_o3_equivariant(dtype, reflect):
    pytest.importorskip("e3nn")
    from e3nn import o3

    from kernels.baselines import E3nnNet

    irreps_in, irreps_out = o3.Irreps("2x0e + 1x1o"), o3.Irreps("1x0e + 1x0o + 1x1o + 1x1e")
    net = E3nnNet(irreps_in, "8x0e + 4x1o + 4x1e + 2x2e", irreps_out, layers=2,
                  max_radius=4.0, dtype=dtype)
    pos = torch.randn(12, 3, dtype=dtype)
    x = irreps_in.randn(12, -1, dtype=dtype)
    batch = torch.repeat_interleave(torch.arange(2), 6)
    ei = knn_graph(pos, 4, batch=batch)
    R = _orthogonal(dtype, reflect)
    D_in, D_out = _d_matrix(irreps_in, R), _d_matrix(irreps_out, R)
    out = net(x, pos, ei)
    assert out.shape == (12, irreps_out.dim)
    assert _rel(net(x @ D_in.T, pos @ R.T, ei), out @ D_out.T) < TOL[dtype]


@pytest.mark.parametrize("reflect", [False, True])
def test_e3nn_dynamics_is_e3_equivariant(reflect):
    pytest.importorskip("e3nn")
    from kernels.baselines import E3nnDynamics

    dtype = torch.float64
    model = E3nnDynamics(hidden="8x0e + 4x1o + 4x1e + 2x2e", layers=2, dtype=dtype)
    pos, vel, q, ei = _nbody_inputs(dtype)
    R, t = _orthogonal(dtype, reflect), torch.randn(3, dtype=dtype)
    out = model(pos, vel, q, ei)
    assert _rel(model(pos @ R.T + t, vel @ R.T, q, ei), out @ R.T + t) < TOL[dtype]
    assert _rel(out, pos) > 1e-3

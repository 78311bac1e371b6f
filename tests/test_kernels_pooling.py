"""Pooling and readouts: invariance for compact and non-compact groups, the number of quadratic
invariants against Schur's lemma, pooling per graph, and an invariant graph-level pipeline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupkit import SO, Lorentz, O, Scalar, V
from groupkit.testing import relative_error

from kernels import (InvariantReadout, QuadraticInvariants, SteerablePointNet, batch_vector,
                     global_pool, harmonic, knn_graph)

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("G", [SO(3), O(3), Lorentz()], ids=str)
def test_quadratic_invariants_are_invariant(G, rng):
    rep = 2 * Scalar + 2 * V(G) + harmonic(V(G), 2)
    q = QuadraticInvariants(rep)
    # One invariant form per real irreducible summand type (Schur), plus the two scalars.
    assert q.n_out == 2 + 3
    x = torch.as_tensor(rng.normal(size=(5, rep.size)))
    base = q(x).numpy()
    for g in G.samples(3, rng=rng):
        xg = x @ torch.as_tensor(rep.rho(g)).T
        assert relative_error(q(xg).numpy(), base) < 1e-10


def test_quadratic_invariant_is_the_norm_for_rotations(rng):
    q = QuadraticInvariants(V(SO(3)))
    x = torch.as_tensor(rng.normal(size=(4, 3)))
    vals = q(x)[:, 0]
    # The form is orthonormal in the Frobenius norm: I/√3 for SO(3), up to sign.
    assert torch.allclose(vals.abs(), x.pow(2).sum(1) / np.sqrt(3))


def test_global_pool():
    x = torch.arange(12, dtype=torch.float64).reshape(6, 2)
    batch = torch.tensor([0, 0, 2, 2, 2, 0])
    s = global_pool(x, batch)
    assert s.tolist() == [[0 + 2 + 10, 1 + 3 + 11], [0, 0], [4 + 6 + 8, 5 + 7 + 9]]
    m = global_pool(x, batch, reduce="mean")
    assert torch.allclose(m[0], torch.tensor([4.0, 5.0], dtype=torch.float64))
    assert m[1].eq(0).all()
    assert global_pool(x, batch, num_graphs=4).shape == (4, 2)
    with pytest.raises(ValueError, match="reduce"):
        global_pool(x, batch, reduce="max")


def test_invariant_graph_pipeline(rng):
    """net → global_pool → InvariantReadout is invariant for a batch of two point clouds."""
    G = SO(3)
    rep_in, hidden = Scalar + V(G), 2 * Scalar + V(G) + harmonic(V(G), 2)
    net = SteerablePointNet(G, rep_in, hidden, hidden, cutoff=3.0, dtype=torch.float64)
    head = InvariantReadout(hidden, 2, hidden=16, dtype=torch.float64)
    batch = batch_vector([10, 7])
    pos = torch.as_tensor(rng.normal(size=(17, 3)))
    f = torch.as_tensor(rng.normal(size=(17, 4)))
    ei = knn_graph(pos, 4, batch=batch)

    def predict(f, pos):
        with torch.no_grad():
            return head(global_pool(net(f, pos, ei), batch)).numpy()

    y = predict(f, pos)
    assert y.shape == (2, 2)
    for g in G.samples(3, rng=rng):
        gt = torch.as_tensor(g)
        yg = predict(f @ torch.as_tensor(net.rep_in.rho(g)).T, pos @ gt.T + 1.0)
        assert relative_error(yg, y) < 1e-10


def test_quadratic_invariants_reject_wrong_size():
    with pytest.raises(ValueError, match="last dimension"):
        QuadraticInvariants(V(SO(3)))(torch.zeros(2, 4))

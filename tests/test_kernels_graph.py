"""Graph builders against brute-force numpy enumeration, batches, the Minkowski metric, and bad
input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from groupkit import Lorentz

from kernels import batch_vector, check_edge_index, knn_graph, radius_graph

pytestmark = pytest.mark.torch


def _edges(ei: torch.Tensor) -> set[tuple[int, int]]:
    return set(map(tuple, ei.T.tolist()))


def _cloud(rng, sizes=(7, 1, 0, 12), d=3):
    pos = torch.as_tensor(rng.normal(size=(sum(sizes), d)))
    batch = batch_vector(sizes)
    return pos, batch


def test_batch_vector():
    assert batch_vector([2, 0, 3]).tolist() == [0, 0, 2, 2, 2]
    with pytest.raises(ValueError, match="non-negative"):
        batch_vector([2, -1])


@pytest.mark.parametrize("loop", [False, True])
def test_radius_graph_matches_brute_force(rng, loop):
    pos, batch = _cloud(rng)
    # Shuffle so that graphs are not contiguous.
    perm = torch.as_tensor(rng.permutation(len(pos)))
    pos, batch = pos[perm], batch[perm]
    r = 1.2
    ei = radius_graph(pos, r, batch=batch, loop=loop, chunk_size=5)
    P, b = pos.numpy(), batch.numpy()
    expect = {(j, i) for i, j in itertools.product(range(len(P)), repeat=2)
              if b[i] == b[j] and (loop or i != j) and np.sum((P[i] - P[j]) ** 2) <= r * r}
    assert _edges(ei) == expect
    assert ei.shape[1] == len(expect)  # no duplicates
    assert torch.all(ei[1, 1:] >= ei[1, :-1])  # sorted by target


def test_radius_graph_max_neighbors(rng):
    pos, batch = _cloud(rng, sizes=(30,))
    ei = radius_graph(pos, 10.0, max_neighbors=4)
    deg = torch.bincount(ei[1], minlength=30)
    assert (deg == 4).all()
    P = pos.numpy()
    for i in range(30):
        d = np.sum((P - P[i]) ** 2, axis=1)
        d[i] = np.inf
        assert set(ei[0, ei[1] == i].tolist()) == set(np.argsort(d)[:4].tolist())


@pytest.mark.parametrize("loop", [False, True])
def test_knn_graph_matches_brute_force(rng, loop):
    pos, batch = _cloud(rng)
    k = 4
    ei = knn_graph(pos, k, batch=batch, loop=loop, chunk_size=3)
    P, b = pos.numpy(), batch.numpy()
    expect = set()
    for i in range(len(P)):
        same = np.flatnonzero(b == b[i])
        if not loop:
            same = same[same != i]
        d = np.sum((P[same] - P[i]) ** 2, axis=1)
        expect |= {(int(j), i) for j in same[np.argsort(d)[:k]]}
    assert _edges(ei) == expect
    # A graph with one point and no self loops has no edges; the 12-point graph has k per point.
    deg = torch.bincount(ei[1], minlength=len(P))
    assert deg[b == 3].eq(k).all()
    assert deg[b == 1].eq(1 if loop else 0).all()


def test_minkowski_radius_graph_is_lorentz_invariant(rng):
    G = Lorentz()
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    pos = torch.as_tensor(rng.normal(size=(40, 4)))
    ei = radius_graph(pos, 0.8, metric=eta)
    assert ei.shape[1] > 0
    for g in G.samples(3, rng=rng):
        ei_g = radius_graph(pos @ torch.as_tensor(g).T, 0.8, metric=eta)
        assert _edges(ei_g) == _edges(ei)


def test_empty_inputs():
    pos = torch.zeros(0, 3)
    assert radius_graph(pos, 1.0).shape == (2, 0)
    assert knn_graph(pos, 3).shape == (2, 0)
    assert knn_graph(torch.zeros(1, 3), 3).shape == (2, 0)


def test_coincident_points_are_neighbours():
    pos = torch.zeros(3, 2)
    assert _edges(radius_graph(pos, 0.0)) == {(j, i) for i in range(3) for j in range(3)
                                              if i != j}


def test_bad_input():
    pos = torch.randn(5, 3)
    with pytest.raises(ValueError, match=r"shape \(N, d\)"):
        radius_graph(torch.randn(5), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        knn_graph(torch.full((3, 2), float("nan")), 1)
    with pytest.raises(ValueError, match="batch"):
        radius_graph(pos, 1.0, batch=torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="k must be"):
        knn_graph(pos, 0)
    with pytest.raises(ValueError, match="metric"):
        radius_graph(pos, 1.0, metric=np.eye(2))
    with pytest.raises(ValueError, match="non-negative"):
        radius_graph(pos, -1.0)


def test_check_edge_index():
    ok = torch.tensor([[0, 1], [1, 2]])
    assert check_edge_index(ok, 3) is not None
    with pytest.raises(IndexError, match="only 3 points"):
        check_edge_index(torch.tensor([[0, 3], [1, 2]]), 3)
    with pytest.raises(IndexError, match="-1"):
        check_edge_index(torch.tensor([[0, -1], [1, 2]]), 3)
    with pytest.raises(ValueError, match=r"\(2, E\)"):
        check_edge_index(torch.tensor([0, 1, 2]), 3)
    with pytest.raises(TypeError, match="integers"):
        check_edge_index(torch.tensor([[0.0, 1.0], [1.0, 2.0]]), 3)

"""The k-d tree path of the graph builders gives exactly the brute-force path's edges, in the
same order, on random clouds (batches, loops, neighbour caps, metrics, both float dtypes); the
brute path remains for indefinite metrics; a non-Euclidean space without a metric warns."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from groupkit import SO, Lorentz, MetricWarning, V

from kernels import batch_vector, knn_graph, radius_graph

pytestmark = pytest.mark.torch


def _cloud(rng, sizes, d, dtype):
    pos = torch.as_tensor(rng.normal(size=(sum(sizes), d)), dtype=dtype)
    batch = batch_vector(sizes)
    perm = torch.as_tensor(rng.permutation(len(pos)))  # graphs not contiguous
    return pos[perm], batch[perm]


CASES = [((300,), 3), ((50, 1, 0, 120, 7), 3), ((200,), 2), ((150, 90), 5)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("sizes,d", CASES)
@pytest.mark.parametrize("loop", [False, True])
@pytest.mark.parametrize("max_neighbors", [None, 5])
def test_radius_graph_tree_equals_brute_force(rng, dtype, sizes, d, loop, max_neighbors):
    pos, batch = _cloud(rng, sizes, d, dtype)
    kw = dict(batch=batch, loop=loop, max_neighbors=max_neighbors)
    tree = radius_graph(pos, 0.9, method="kdtree", **kw)
    brute = radius_graph(pos, 0.9, method="brute", chunk_size=64, **kw)
    assert tree.shape[1] > 0
    assert torch.equal(tree, brute)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("sizes,d", CASES)
@pytest.mark.parametrize("loop", [False, True])
@pytest.mark.parametrize("k", [1, 6, 16])
def test_knn_graph_tree_equals_brute_force(rng, dtype, sizes, d, loop, k):
    pos, batch = _cloud(rng, sizes, d, dtype)
    tree = knn_graph(pos, k, batch=batch, loop=loop, method="kdtree")
    brute = knn_graph(pos, k, batch=batch, loop=loop, method="brute", chunk_size=64)
    assert torch.equal(tree, brute)


def test_positive_definite_metric_uses_the_tree_with_the_same_edges(rng):
    A = rng.normal(size=(3, 3))
    M = A @ A.T + np.eye(3)
    pos = torch.as_tensor(rng.normal(size=(200, 3)))
    assert torch.equal(radius_graph(pos, 1.5, metric=M, method="kdtree"),
                       radius_graph(pos, 1.5, metric=M, method="brute"))
    assert torch.equal(knn_graph(pos, 8, metric=M, method="kdtree"),
                       knn_graph(pos, 8, metric=M, method="brute"))


def test_minkowski_metric_takes_the_brute_force_path(rng):
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    pos = torch.as_tensor(rng.normal(size=(60, 4)))
    assert torch.equal(radius_graph(pos, 0.8, metric=eta),
                       radius_graph(pos, 0.8, metric=eta, method="brute"))
    with pytest.raises(ValueError, match="positive-definite metric"):
        radius_graph(pos, 0.8, metric=eta, method="kdtree")


def test_coincident_points_without_loops():
    pos = torch.zeros(5, 3)
    ei = knn_graph(pos, 2, method="kdtree")
    assert (ei[0] != ei[1]).all() and torch.bincount(ei[1]).eq(2).all()


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method must be"):
        knn_graph(torch.zeros(3, 2), 1, method="ball")


def test_space_with_a_non_identity_invariant_form_warns_without_a_metric(rng):
    pos = torch.as_tensor(rng.normal(size=(20, 4)))
    with pytest.warns(MetricWarning, match="metric="):
        radius_graph(pos, 1.0, space=V(Lorentz()))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        radius_graph(pos, 1.0, space=V(Lorentz()), metric=np.diag([1.0, -1, -1, -1]))
        knn_graph(pos[:, :3], 3, space=V(SO(3)))

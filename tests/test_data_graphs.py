"""Graph datasets and the collate function for point clouds of varying size."""

import numpy as np
import pytest
import torch

from kernels.data import NBodySplit
from kernels.data.graphs import GraphCollate, GraphDataset, full_graph


def _clouds(sizes, seed=0):
    g = np.random.default_rng(seed)
    return [g.standard_normal((n, 3)) for n in sizes], [g.standard_normal((n, 2)) for n in sizes]


def test_full_graph_has_every_ordered_pair_within_each_graph():
    ei = full_graph([3, 4])
    assert ei.shape == (2, 3 * 2 + 4 * 3)
    graph = (ei >= 3).long()
    assert torch.equal(graph[0], graph[1])  # no edge joins two graphs
    assert (ei[0] != ei[1]).all()
    assert len({tuple(e) for e in ei.T.tolist()}) == ei.shape[1]


@pytest.mark.parametrize("sizes", [[], [1], [5] * 4, [3, 1, 0, 4, 3, 2, 6]])
def test_full_graph_lists_pairs_graph_by_graph_by_target_then_source(sizes):
    start, expected = 0, []
    for n in sizes:  # brute force over all ordered pairs of each graph
        expected += [(start + j, start + i) for i in range(n) for j in range(n) if i != j]
        start += n
    ei = full_graph(sizes)
    assert ei.dtype == torch.long and [tuple(e) for e in ei.T.tolist()] == expected


@pytest.mark.parametrize("edges", ["full", ("radius", 1.5), ("knn", 2), None])
def test_collate_concatenates_and_keeps_graphs_apart(edges):
    pos, feats = _clouds([3, 5, 2])
    ds = GraphDataset(pos, feats, [0.5, 1.5, 2.5])
    b = ds.collate(edges)([ds[i] for i in range(3)])
    assert b.pos.shape == (10, 3) and b.x.shape == (10, 2) and b.y.tolist() == [0.5, 1.5, 2.5]
    assert b.batch.tolist() == [0] * 3 + [1] * 5 + [2] * 2 and b.num_graphs == 3
    if b.edge_index.numel():
        assert torch.equal(b.batch[b.edge_index[0]], b.batch[b.edge_index[1]])


def test_node_targets_are_concatenated_and_labels_stay_integer():
    pos, feats = _clouds([2, 3])
    nodes = GraphDataset(pos, feats, [np.ones((2, 3)), np.zeros((3, 3))], node_target=True)
    assert nodes.collate()([nodes[0], nodes[1]]).y.shape == (5, 3)
    labels = GraphDataset(pos, feats, [3, 7])
    y = labels.collate()([labels[0], labels[1]]).y
    assert y.dtype == torch.long and y.tolist() == [3, 7]


def test_works_as_a_dataloader_collate_fn():
    pos, feats = _clouds([4] * 6)
    ds = GraphDataset(pos, feats, np.arange(6.0))
    loader = torch.utils.data.DataLoader(ds, batch_size=4, collate_fn=ds.collate())
    assert [b.num_graphs for b in loader] == [4, 2]


def test_nbody_split_becomes_node_level_samples():
    loc = np.random.default_rng(1).standard_normal((2, 41, 5, 3))
    ds = GraphDataset.from_nbody(NBodySplit(loc, loc, np.ones((2, 5))))
    pos, x, y = ds[1]
    assert x.shape == (5, 4) and torch.equal(y, torch.as_tensor(loc[1, 40], dtype=torch.float32))


def test_mismatched_samples_are_rejected():
    pos, feats = _clouds([2, 3])
    with pytest.raises(ValueError, match="sample 1"):
        GraphDataset(pos, [feats[0], feats[0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="one entry per sample"):
        GraphDataset(pos, feats, [0.0])
    with pytest.raises(ValueError, match="edges must be"):
        GraphCollate("complete")

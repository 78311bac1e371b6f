"""Batches: every world size sees the same global batches (split across ranks), epochs are
permutations seeded by (seed, epoch), and point clouds collate into graph batches."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from groupkit.train import GraphBatch, PointClouds, as_dataset, collate_point_clouds
from groupkit.train.distributed import epoch_batches

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("n, batch, world", [(69, 16, 2), (100, 10, 3), (7, 3, 2)])
def test_ranks_split_the_single_process_batches(n, batch, world):
    one = epoch_batches(n, batch, seed=5, epoch=2)
    split = [epoch_batches(n, batch, seed=5, epoch=2, rank=r, world=world) for r in range(world)]
    for step, (idx, size) in enumerate(one):
        if size < world:  # too small to give every rank a sample: dropped under DDP only
            assert all(len(s) == step for s in split)
            continue
        parts = [s[step][0] for s in split]
        assert np.array_equal(np.concatenate(parts), idx)
        assert all(s[step][1] == size for s in split)
        assert max(map(len, parts)) - min(map(len, parts)) <= 1


def test_epochs_are_seeded_permutations():
    a = np.concatenate([b for b, _ in epoch_batches(50, 8, seed=1, epoch=0)])
    b = np.concatenate([b for b, _ in epoch_batches(50, 8, seed=1, epoch=1)])
    assert sorted(a) == sorted(b) == list(range(50)) and not np.array_equal(a, b)
    assert np.array_equal(a, np.concatenate([b for b, _ in epoch_batches(50, 8, seed=1,
                                                                          epoch=0)]))
    assert [len(b) for b, _ in epoch_batches(50, 8, seed=1, epoch=0, drop_last=True)] == [8] * 6


def test_collate_concatenates_clouds_and_builds_graphs_within_each():
    rng = np.random.default_rng(0)
    pos = [rng.normal(size=(n, 3)) for n in (4, 1, 6)]
    feats = [rng.normal(size=(len(p), 2)) for p in pos]
    data = PointClouds(pos, x=feats, y=np.arange(3.0), dtype=torch.float64)
    seen = []

    def graph(p, batch):
        seen.append(batch.tolist())
        return torch.stack([torch.arange(len(p)), torch.arange(len(p))])
    b = collate_point_clouds([data[i] for i in range(3)], graph)
    assert b.ptr.tolist() == [0, 4, 5, 11] and b.num_graphs == len(b) == 3
    assert seen == [[0] * 4 + [1] + [2] * 6]
    assert torch.equal(b.x[4], torch.as_tensor(feats[1][0]))
    assert b.y.tolist() == [0.0, 1.0, 2.0]
    moved = b.to(torch.float32)
    assert moved.pos.dtype == torch.float32 and moved.batch.dtype == torch.long
    assert isinstance(moved, GraphBatch)


def test_per_point_targets_are_concatenated():
    pos = [np.zeros((2, 3)), np.zeros((3, 3))]
    data = PointClouds(pos, y=[np.ones(2), np.zeros(3)])
    b = collate_point_clouds([data[0], data[1]], per_point=True)
    assert b.y.tolist() == [1, 1, 0, 0, 0]
    with pytest.raises(ValueError, match="per_point=True"):
        collate_point_clouds([data[0], data[1]])


@pytest.mark.parametrize("bad, message", [
    (dict(pos=[np.zeros(3)]), r"shape \(n, d\)"),
    (dict(pos=[np.zeros((2, 3))], x=[np.zeros((3, 1))]), r"features must have shape \(2, c\)"),
    (dict(pos=[np.zeros((2, 3))], y=[1.0, 2.0]), "2 targets for 1 clouds"),
])
def test_point_clouds_refuse_inconsistent_arrays(bad, message):
    pos = bad.pop("pos")
    with pytest.raises(ValueError, match=message):
        PointClouds(pos, **bad)


def test_as_dataset_converts_floating_arrays_to_the_model_dtype():
    ds = as_dataset((np.zeros((4, 2)), np.arange(4)), dtype=torch.float32)
    x, y = ds[0]
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    with pytest.raises(TypeError, match="tuple of arrays"):
        as_dataset("data.csv")

"""Graph and set networks (groupkit.nn.ign): the mean-normalised permutation layers.

Oracle: each diagram map written out by brute force over index tuples (entry 1 where the
indices satisfy the partition's equalities), divided by n^(number of summed indices).
"""

from itertools import product

import numpy as np
import pytest
import torch

from groupkit import S, V
from groupkit.nn import IGN2, DeepSets, PermutationLayer
from groupkit.partition_basis import PartitionBasis


def _diagram_matrix(blocks, k_out: int, k_in: int, n: int) -> np.ndarray:
    """D[(out tuple), (in tuple)] = 1 when positions in one block carry equal indices."""
    D = np.zeros((n ** k_out, n ** k_in))
    for idx in product(range(n), repeat=k_out + k_in):
        if all(len({idx[p] for p in b}) == 1 for b in blocks):
            o = np.ravel_multi_index(idx[:k_out], (n,) * k_out) if k_out else 0
            i = np.ravel_multi_index(idx[k_out:], (n,) * k_in) if k_in else 0
            D[o, i] = 1.0
    return D


@pytest.mark.parametrize("k_in,k_out", [(2, 2), (2, 0), (1, 1), (2, 1)])
@pytest.mark.parametrize("n", [4, 5])
def test_mean_layer_coefficient_is_the_diagram_map_divided_by_n_per_sum(k_in, k_out, n):
    layer = PermutationLayer(k_in, k_out, 1, 1, bias=False, normalize="mean").double()
    pb = PartitionBasis.of(V(S(n)) ** k_in, V(S(n)) ** k_out if k_out else V(S(n)) ** 0)
    x = torch.randn(3, 1, *([n] * k_in), dtype=torch.float64,
                    generator=torch.Generator().manual_seed(n))
    for c in range(layer.weight.numel()):
        blocks = pb.blocks(c)
        summed = sum(all(p >= k_out for p in b) for b in blocks)
        D = _diagram_matrix(blocks, k_out, k_in, n) / n ** summed
        with torch.no_grad():
            layer.weight.zero_()
            layer.weight[c] = 1.0
        expected = x.reshape(3, -1) @ torch.as_tensor(D).T
        torch.testing.assert_close(layer(x).reshape(3, -1), expected, rtol=0, atol=1e-12)


def test_mean_layer_spans_the_same_maps_as_the_frobenius_layer():
    # The two parametrisations differ by an invertible transform of the 15 coefficients.
    torch.manual_seed(0)
    mean = PermutationLayer(2, 2, 1, 1, normalize="mean").double()
    frob = PermutationLayer(2, 2, 1, 1, normalize="frobenius").double()
    x = torch.randn(2, 1, 6, 6, dtype=torch.float64)
    mean(x)
    with torch.no_grad():
        frob.weight.copy_(mean._theta(6, 0, mean.weight) / 6.0)   # frobenius scales by n^1
        frob.bias.copy_(mean._theta(6, 1, mean.bias) / 6.0)
    torch.testing.assert_close(frob(x), mean(x), rtol=0, atol=1e-12)


def test_mean_ign_computes_the_same_intensive_quantity_at_every_size():
    # Complete graphs: every mean of the adjacency is 1 − 1/n off the diagonal; with only the
    # diagonal-free maps the IGN's pooled features converge as n grows, not blow up.
    torch.manual_seed(1)
    model = IGN2(1, 8, 1).double()
    outs = [model(torch.ones(1, n, n, dtype=torch.float64) - torch.eye(n, dtype=torch.float64))
            for n in (50, 100, 200)]
    assert abs(outs[1].item() - outs[0].item()) < 0.2
    assert abs(outs[2].item() - outs[1].item()) < 0.5 * abs(outs[1].item() - outs[0].item()) \
        + 1e-9


@pytest.mark.parametrize("normalize", ["mean", "frobenius"])
def test_models_are_invariant_under_relabelling(normalize):
    torch.manual_seed(2)
    ign = IGN2(1, 4, 2, normalize=normalize).double()
    x = torch.randn(3, 7, 7, dtype=torch.float64)
    p = torch.randperm(7)
    torch.testing.assert_close(ign(x[:, p][:, :, p]), ign(x), rtol=0, atol=1e-12)
    sets = DeepSets(2, 4, 1, normalize=normalize).double()
    y = torch.randn(3, 2, 7, dtype=torch.float64)
    torch.testing.assert_close(sets(y[:, :, p]), sets(y), rtol=0, atol=1e-12)


def test_unknown_normalisation_is_refused():
    with pytest.raises(ValueError, match="normalize must be"):
        PermutationLayer(2, 2, 1, 1, normalize="sum")

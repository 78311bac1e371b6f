"""Symmetric groups at graph scale: partition bases and structured layers (issue 17).

Oracles: sympy's Bell and Stirling numbers, the enumeration solver (every index tuple), the
dense layer, and equivariance under random permutations.
"""

import numpy as np
import pytest
import scipy.sparse
import sympy
import torch

import groupkit as gk
from groupkit import A, S, Scalar, V
from groupkit import _orbits
from groupkit._constraint import Constraint
from groupkit._partitions import bell, coarsenings, restricted_bell, set_partitions
from groupkit.partition_basis import PartitionBasis, PartitionPairBasis, position_groups
from groupkit.solver import hom_space

RNG = np.random.default_rng(17)


def sympy_restricted_bell(k: int, n: int) -> int:
    """Σ_{b ≤ n} S(k, b), Stirling numbers of the second kind from sympy."""
    from sympy.functions.combinatorial.numbers import stirling

    return int(sum(stirling(k, b) for b in range(0, min(k, n) + 1)))


@pytest.mark.parametrize("k", range(0, 9))
def test_set_partitions_count_is_bell(k):
    assert len(set_partitions(k)) == int(sympy.bell(k)) == bell(k)


@pytest.mark.parametrize("k,n", [(k, n) for k in range(1, 8) for n in range(1, 9)])
def test_restricted_counts_match_stirling_sums(k, n):
    assert len(set_partitions(k, n)) == restricted_bell(k, n) == sympy_restricted_bell(k, n)


@pytest.mark.parametrize("k", range(1, 6))
def test_mobius_inverts_zeta(k):
    # Σ_{π ≤ σ ≤ τ} μ(π, σ) = δ(π, τ): coarsening twice with μ must give the identity.
    parts = set_partitions(k)
    idx = {p: i for i, p in enumerate(parts)}
    mu = np.zeros((len(parts),) * 2)
    zeta = np.zeros_like(mu)
    for p in parts:
        for s, m in coarsenings(p):
            mu[idx[s], idx[p]] = m
            zeta[idx[s], idx[p]] = 1
    np.testing.assert_array_equal(zeta @ mu, np.eye(len(parts)))


@pytest.mark.parametrize("n,k", [(n, k) for n in range(1, 7) for k in range(1, 7)
                                 if n ** k <= 50_000])
def test_dim_is_restricted_bell(n, k):
    p = k // 2
    basis = gk.solve(V(S(n)) ** (k - p) if k - p else Scalar, V(S(n)) ** p if p else Scalar,
                     cache=False)
    assert basis.dim == sympy_restricted_bell(k, n)


def _pairs():
    G3, G2 = S(3), S(2)
    yield V(S(4)) ** 2, V(S(4)) ** 2
    yield V(S(3)) ** 3, V(S(3))
    yield V(S(2)) ** 2, V(S(2)) ** 2  # n < 2k: restricted count
    yield Scalar, V(S(5)) ** 2
    yield V(G3) * V(G2), V(G2) * V(G3)
    yield V(G3) * V(G2) * V(G3), V(G2)
    yield V(A(6)) ** 2, V(A(6)) ** 2


@pytest.mark.parametrize("rin,rout", list(_pairs()), ids=str)
def test_partition_basis_equals_enumerated_orbits(rin, rout):
    B = PartitionBasis.of(rin, rout)
    U = hom_space(rin, rout)
    E = _orbits.orbit_basis(Constraint.of(U))
    assert B.shape == E.shape
    assert (B.sparse(normalized=False) != E).nnz == 0
    np.testing.assert_allclose(B.dense(), _orbits.normalized(E).toarray(), atol=1e-15)


@pytest.mark.parametrize("n", [2, 3, 4, 7])
def test_partition_basis_is_equivariant(n):
    G = S(n)
    rin, rout = V(G) ** 2 + V(G), V(G) ** 2
    basis = gk.solve(rin, rout, cache=False)
    assert basis.methods == ("partition",)
    Q = basis.dense()
    for g in G.samples(3, rng=RNG):
        W = Q.T.reshape(-1, rout.size, rin.size)
        err = np.abs(rout.rho(g) @ W - W @ rin.rho(g)).max()
        assert err < 1e-12


def test_solver_returns_lazy_partition_pairs_at_large_n():
    basis = gk.solve(V(S(10_000)) ** 2, V(S(10_000)) ** 2)
    (blk,) = basis.blocks
    assert isinstance(blk.pair, PartitionPairBasis) and basis.dim == 15
    with pytest.raises(MemoryError, match="symbolically"):
        _ = blk.pair.Q


def test_v3_dimension_at_n_1000_is_bell_6():
    G = S(1000)
    assert gk.solve(V(G) ** 3, V(G) ** 3).dim == 203


def test_product_of_symmetric_groups_gives_exchangeable_maps():
    G, H = S(1000), S(999)
    assert gk.solve(V(G) * V(H), V(G) * V(H)).dim == 4


def _brute_force_orbits(n: int, k: int, alternating: bool) -> int:
    """Orbits of S(n)/A(n) on [n]^k by brute force: every group element applied to every tuple,
    orbits merged in a union-find (independent of the solver and of Burnside's lemma)."""
    from itertools import combinations, permutations, product

    tuples = list(product(range(n), repeat=k))
    index = {t: i for i, t in enumerate(tuples)}
    parent = list(range(len(tuples)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for g in permutations(range(n)):
        inversions = sum(a > b for a, b in combinations(g, 2))
        if alternating and inversions % 2:
            continue
        for t, i in index.items():
            parent[root(i)] = root(index[tuple(g[x] for x in t)])
    return len({root(i) for i in range(len(tuples))})


@pytest.mark.parametrize("n", [3, 4, 5])
def test_alternating_group_with_few_points_falls_back(n):
    # A(n) on V⊗V → V⊗V (4 positions) has more orbits than S(n) when n < 6: not partitions.
    basis = gk.solve(V(A(n)) ** 2, V(A(n)) ** 2, cache=False)
    assert basis.methods == ("orbit",)
    exact = _brute_force_orbits(n, 4, alternating=True)
    assert exact == _burnside(n, 4, alternating=True) > restricted_bell(4, n)
    assert basis.dim == exact


def test_position_groups_rejects_other_groups():
    assert position_groups(V(gk.SO(3)) * V(S(3))) is None
    assert position_groups(gk.Sym(V(S(3)), 2)) is None


def test_describe_names_every_map():
    B = PartitionBasis.of(V(S(50)) ** 2, V(S(50)) ** 2)
    lines = B.describe().splitlines()
    assert len(lines) == 15
    assert "Y[a,b] = X[b,a] · [a, b distinct]" in B.describe(8)
    assert repr(B) == "PartitionBasis(S(50): 2 input and 2 output positions, dim=15)"


# -- layers --------------------------------------------------------------------------------

def _layers(rin, rout):
    from groupkit.nn import EquivariantLinear
    from groupkit.nn.permutation import PermutationLinear

    torch.manual_seed(0)
    p = PermutationLinear(rin, rout, dtype=torch.float64)
    with torch.no_grad():
        p.bias.normal_()
    d = EquivariantLinear(rin, rout, method="orbit", dtype=torch.float64)  # the dense path
    # The same coefficients in the dense layout: copied as plain tensors, since a state dict
    # with its basis fingerprint only loads into a layer of the same implementation.
    d.load_state_dict({k: v for k, v in p.state_dict().items()})
    return p, d


def _layer_pairs():
    for n in (2, 5, 12):
        G = S(n)
        yield V(G) ** 2, V(G) ** 2
        yield 2 * V(G) ** 2 + V(G) + Scalar, V(G) ** 2 + 3 * V(G) + 2 * Scalar
    yield V(S(4)) ** 3, V(S(4)) ** 2
    yield V(S(5)) * V(S(3)), V(S(3)) * V(S(5)) + V(S(5))
    yield V(S(3)) + V(S(3)) ** 2 + V(S(3)), V(S(3))  # copies not contiguous


@pytest.mark.parametrize("rin,rout", list(_layer_pairs()), ids=str)
def test_structured_layer_equals_dense_layer(rin, rout):
    p, d = _layers(rin, rout)
    x = torch.randn(5, rin.size, dtype=torch.float64)
    torch.testing.assert_close(p(x), d(x), rtol=0, atol=1e-10)
    torch.testing.assert_close(p.weight_matrix(), d.weight_matrix(), rtol=0, atol=1e-10)


@pytest.mark.parametrize("n", [6, 30])
def test_structured_layer_is_equivariant(n):
    from groupkit.nn.permutation import PermutationLinear

    torch.manual_seed(1)
    G = S(n)
    layer = PermutationLinear(V(G) ** 2 + V(G), V(G) ** 2 + Scalar, dtype=torch.float64)
    x = torch.randn(3, layer.rep_in.size, dtype=torch.float64)
    for g in G.samples(2, rng=RNG):
        gi = torch.as_tensor(layer.rep_in.rho(g))
        go = torch.as_tensor(layer.rep_out.rho(g))
        torch.testing.assert_close(layer(x @ gi.T), layer(x) @ go.T, rtol=0, atol=1e-10)


def test_structured_layer_gradients_match_dense():
    p, d = _layers(V(S(6)) ** 2, V(S(6)) ** 2 + V(S(6)))
    x = torch.randn(4, 36, dtype=torch.float64)
    (p(x) ** 2).sum().backward()
    (d(x) ** 2).sum().backward()
    torch.testing.assert_close(p.weight.grad, d.weight.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(p.bias.grad, d.bias.grad, rtol=1e-10, atol=1e-10)


def test_equivariant_linear_dispatches_by_cost():
    from groupkit.nn import EquivariantLinear
    from groupkit.nn.permutation import PermutationLinear

    big = EquivariantLinear(V(S(200)) ** 2, V(S(200)) ** 2)
    small = EquivariantLinear(V(S(3)) ** 2, V(S(3)) ** 2)
    mixed = EquivariantLinear(V(S(3)) * V(gk.SO(2)), V(S(3)) * V(gk.SO(2)))
    assert type(big) is PermutationLinear
    assert type(small) is EquivariantLinear and type(mixed) is EquivariantLinear
    assert big(torch.zeros(2, 200 ** 2)).shape == (2, 200 ** 2)


def test_structured_layer_keeps_leading_dims_and_checks_input():
    from groupkit.nn.permutation import PermutationLinear

    layer = PermutationLinear(V(S(4)) ** 2, V(S(4)))
    assert layer(torch.zeros(2, 3, 16)).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="last dimension"):
        layer(torch.zeros(2, 15))


def test_sparse_form_matches_dense_form():
    B = PartitionBasis.of(V(S(3)) ** 2, V(S(3)))
    assert scipy.sparse.issparse(B.sparse())
    np.testing.assert_array_equal(B.sparse().toarray(), B.dense())


def _burnside(n: int, k: int, alternating: bool = False) -> int:
    """Orbits of S(n)/A(n) on [n]^k: (1/|G|) Σ_f #{g with f fixed points} · f^k (derangement
    numbers; even derangements (d(m) + (−1)^{m−1}(m−1))/2 for A(n))."""
    from math import comb, factorial

    d = [1, 0]
    for m in range(2, n + 1):
        d.append((m - 1) * (d[-1] + d[-2]))
    total = sum(comb(n, f) * ((d[n - f] + (-1) ** (n - f - 1) * (n - f - 1)) // 2
                              if alternating and n - f else d[n - f]) * f ** k
                for f in range(n + 1))
    return total // (factorial(n) // (2 if alternating else 1))


@pytest.mark.parametrize("n,k", [(3, 4), (5, 4), (8, 6), (200, 6)])
def test_alternating_dims_match_burnside(n, k):
    r = V(A(n)) ** (k // 2)
    assert gk.solve(r, r, cache=False).dim == _burnside(n, k, alternating=True)


def test_product_dims_match_burnside():
    G, H = S(1000), S(999)
    assert gk.solve(V(G) * V(H), V(H) * V(G)).dim == _burnside(1000, 2) * _burnside(999, 2)


def test_ign_is_invariant_and_takes_graphs_of_different_sizes():
    from groupkit.nn import IGN2, DeepSets

    torch.manual_seed(2)
    model = IGN2(1, 4, 2).double()
    x = torch.randn(3, 6, 6, dtype=torch.float64)
    p = torch.randperm(6)
    torch.testing.assert_close(model(x[:, p][:, :, p]), model(x), rtol=0, atol=1e-12)
    graphs = [x[0], torch.randn(9, 9, dtype=torch.float64), x[1]]
    out = model(graphs)
    torch.testing.assert_close(out[[0, 2]], model(x[:2]), rtol=0, atol=1e-12)
    sets = DeepSets(3, 5, 1).double()
    y = torch.randn(4, 3, 7, dtype=torch.float64)
    torch.testing.assert_close(sets(y[:, :, torch.randperm(7)]), sets(y), rtol=0, atol=1e-12)


def test_structured_layer_casts_and_moves_like_any_layer():
    from groupkit.nn.permutation import PermutationLinear

    torch.manual_seed(0)
    layer = PermutationLinear(V(S(7)) ** 2, V(S(7)) ** 2, dtype=torch.float32)
    x = torch.randn(2, 49)
    y32 = layer(x)
    y64 = layer.double()(x.double())     # .double(), .to(), .cuda() go through _apply
    assert y64.dtype == torch.float64
    torch.testing.assert_close(y64.float(), y32, rtol=1e-5, atol=1e-5)

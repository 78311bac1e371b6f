"""Set partitions: the orbits of symmetric groups on index tuples, found without the tuples.

S(n) acts on the index tuples (i_1, …, i_k) ∈ [n]^k of V^⊗k by relabelling. Two tuples are in one
orbit exactly when they have the same *equality pattern*: the set partition of the positions
{1, …, k} into blocks of equal entries. So the orbits are the set partitions of k positions with
at most n blocks — the Bell number B(k) of them when n ≥ k — and an orbit with b blocks has
n (n−1) ⋯ (n−b+1) members. For a product S(n_1) × S(n_2) × … each factor relabels its own
positions, and an orbit is one set partition per factor.

A partition is written as its *restricted growth string* (RGS): position p gets the number of
its block, blocks numbered in order of first appearance (0, 1, 2, …). The RGS is also the
smallest index tuple of the orbit in row-major (lexicographic) order, which is how the
enumeration solver numbers its orbit columns — so both solvers give the same columns.

Everything here costs time polynomial in k and the number of orbits, and nothing in n.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

__all__ = ["set_partitions", "bell", "restricted_bell", "falling_factorial",
           "coarsenings", "mobius_sign"]


@cache
def set_partitions(k: int, max_blocks: int | None = None) -> tuple[tuple[int, ...], ...]:
    """All set partitions of k positions with at most ``max_blocks`` blocks, as restricted
    growth strings, in lexicographic order.

    >>> set_partitions(3)
    ((0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1), (0, 1, 2))
    >>> len(set_partitions(4)), len(set_partitions(4, max_blocks=2))
    (15, 8)
    """
    if k < 0:
        raise ValueError(f"k must be non-negative; got {k}.")
    cap = k if max_blocks is None else min(int(max_blocks), k)
    if k == 0:
        return ((),)
    if cap <= 0:
        return ()
    out: list[tuple[int, ...]] = []

    def grow(prefix: list[int], blocks: int) -> None:
        if len(prefix) == k:
            out.append(tuple(prefix))
            return
        for b in range(min(blocks + 1, cap)):
            prefix.append(b)
            grow(prefix, max(blocks, b + 1))
            prefix.pop()

    grow([], 0)
    return tuple(out)


@cache
def _stirling2(k: int, b: int) -> int:
    if k == b:
        return 1
    if b == 0 or b > k:
        return 0
    return b * _stirling2(k - 1, b) + _stirling2(k - 1, b - 1)


def restricted_bell(k: int, n: int) -> int:
    """Number of set partitions of k positions into at most n blocks: dim of the S(n)-invariants
    of V^⊗k (the Bell number B(k) once n ≥ k).

    >>> [restricted_bell(4, n) for n in (1, 2, 3, 4, 100)]
    [1, 8, 14, 15, 15]
    """
    return sum(_stirling2(k, b) for b in range(min(k, n) + 1))


def bell(k: int) -> int:
    """The Bell number B(k): all set partitions of k positions.

    >>> [bell(k) for k in range(7)]
    [1, 1, 2, 5, 15, 52, 203]
    """
    return restricted_bell(k, k)


def falling_factorial(n: int, b: int) -> int:
    """n (n−1) ⋯ (n−b+1): the size of an orbit of S(n) whose partition has b blocks."""
    return math.prod(range(n - b + 1, n + 1)) if b <= n else 0


def n_blocks(rgs: tuple[int, ...]) -> int:
    return max(rgs) + 1 if rgs else 0


def coarsenings(rgs: tuple[int, ...]):
    """Every partition σ ≥ π (π = ``rgs``; σ merges blocks of π), with the Möbius function
    μ(π, σ) of the partition lattice: yields (σ as an RGS, μ).

    μ(π, σ) = Π over the blocks of σ of (−1)^{m−1} (m−1)!, m the number of π-blocks merged.

    >>> sorted(coarsenings((0, 1)))
    [((0, 0), -1), ((0, 1), 1)]
    """
    b = n_blocks(rgs)
    for merge in set_partitions(b):
        sigma_raw = tuple(merge[x] for x in rgs)
        yield _canonical(sigma_raw), mobius_sign(merge)


def mobius_sign(merge: tuple[int, ...]) -> int:
    """μ for merging blocks as the RGS ``merge`` says: Π (−1)^{m−1} (m−1)! over merged groups."""
    counts = np.bincount(np.asarray(merge, dtype=np.int64)) if merge else np.zeros(0, int)
    out = 1
    for m in counts.tolist():
        out *= (-1) ** (m - 1) * math.factorial(m - 1)
    return out


def _canonical(labels: tuple[int, ...]) -> tuple[int, ...]:
    """Relabel blocks in order of first appearance (the RGS of a labelling)."""
    seen: dict[int, int] = {}
    return tuple(seen.setdefault(x, len(seen)) for x in labels)


def canonical(labels) -> tuple[int, ...]:
    """The RGS of any labelling: blocks renumbered in order of first appearance.

    >>> canonical((7, 3, 7, 5))
    (0, 1, 0, 2)
    """
    return _canonical(tuple(labels))


def rgs_of_tuples(T: np.ndarray) -> np.ndarray:
    """The equality pattern (RGS) of every row of T (N, k) of index tuples, vectorised:
    position p gets the block number of the first earlier position with the same entry, or the
    next new number."""
    N, k = T.shape
    out = np.zeros((N, k), dtype=np.int64)
    count = np.zeros(N, dtype=np.int64)
    for p in range(k):
        lab = np.full(N, -1, dtype=np.int64)
        for q in range(p - 1, -1, -1):
            eq = T[:, q] == T[:, p]
            lab = np.where(eq, out[:, q], lab)
        new = lab < 0
        lab[new] = count[new]
        count += new
        out[:, p] = lab
    return out

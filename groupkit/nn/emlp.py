"""Equivariant multilayer perceptrons (the EMLP paper's architecture) for any group.

An :class:`EMLP` is a stack of :class:`EMLPBlock` layers followed by one equivariant linear layer.
Each block maps x to

    h = L(x),   h ← h + B(h, h),   out = gate(h)

with L an :class:`~groupkit.nn.EquivariantLinear` into ``gated(hidden)`` (the hidden
representation plus one gate scalar per non-scalar summand), B an
:class:`~groupkit.nn.EquivariantBilinear` and gate a :class:`~groupkit.nn.GatedNonlinearity`.

Hidden representations are chosen by :func:`uniform_rep` (channels spread over tensor ranks, as
in the EMLP paper) or given explicitly. :class:`MLP` is the plain baseline of the same widths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from ..groups import Group
from ..reps import Rep, RepError, T, _unify, direct_sum
from ._checks import expected_degenerate, warn_if_constant
from .bilinear import EquivariantBilinear
from .linear import EquivariantLinear, check_input
from .nonlinear import GatedNonlinearity, gated

__all__ = ["uniform_rep", "tensor_rank_counts", "hidden_reps", "EMLPBlock", "EMLP", "MLP"]


def tensor_rank_counts(ch: int, d: int) -> list[int]:
    """How many tensors of each rank r = 0, 1, … the EMLP paper's heuristic puts into ``ch``
    channels of a d-dimensional group: repeatedly take the largest rank R with (R+1)·d^R ≤ the
    channels left and add d^(R−r) tensors of every rank r ≤ R (equal channels per rank).

    >>> tensor_rank_counts(384, 5)  # 134 scalars, 25 vectors, 5 rank-2 tensors
    [134, 25, 5]
    """
    if not isinstance(ch, int) or isinstance(ch, bool) or ch < 1:
        raise ValueError(f"ch must be a positive integer; got {ch!r}.")
    if not isinstance(d, int) or d < 1:
        raise ValueError(f"d must be a positive integer; got {d!r}.")
    counts: list[int] = []
    left = ch
    while left > 0:
        top = 0
        if d > 1:
            while (top + 2) * d ** (top + 1) <= left:
                top += 1
        counts.extend([0] * (top + 1 - len(counts)))
        for r in range(top + 1):
            counts[r] += d ** (top - r)
        left -= (top + 1) * d ** top
    return counts


def _binomial_split(n: int, rank: int) -> list[int]:
    """n tensors of total rank ``rank`` split over T(k, rank−k), k = rank…0, in proportion to
    C(rank, k), remainders to the largest fractional shares (deterministic, unlike emlp's random
    draw)."""
    shares = [n * math.comb(rank, k) / 2 ** rank for k in range(rank, -1, -1)]
    counts = [int(s) for s in shares]
    order = sorted(range(rank + 1), key=lambda i: (-(shares[i] - counts[i]), abs(2 * i - rank), i))
    for i in order[:n - sum(counts)]:
        counts[i] += 1
    return counts


def uniform_rep(ch: int, group: Group) -> Rep:
    """A hidden representation of ``ch`` channels spread evenly over tensor ranks T(p, q) of
    ``group``, as the EMLP paper does: about the same number of channels for every rank up to the
    largest that fits, ranks split between p and q binomially (for real orthogonal groups
    V* = V, so T(p, q) is simply the rank-(p+q) tensor). Copies of equal types are grouped,
    lower ranks first. Deterministic.

    >>> from groupkit import O
    >>> uniform_rep(384, O(5))
    134+25V+5(V⊗V)
    """
    if not isinstance(group, Group):
        raise RepError(f"uniform_rep needs a Group; got {type(group).__name__}.")
    counts = tensor_rank_counts(ch, group.d)
    pieces: dict[str, tuple[Rep, int]] = {}
    for rank, n in enumerate(counts):
        if n == 0:
            continue
        for i, m in enumerate(_binomial_split(n, rank)):
            if m:
                p = rank - i
                rep = T(p, rank - p, group)
                key = rep.key
                pieces[key] = (rep, pieces.get(key, (rep, 0))[1] + m)
    return direct_sum(*[m * rep for rep, m in pieces.values()])


def hidden_reps(ch, group: Group, num_layers: int) -> list[Rep]:
    """The hidden representations of an EMLP: ``ch`` an int (:func:`uniform_rep`), a Rep (used
    for every layer) or a sequence of ints/Reps (one per layer; ``num_layers`` is then ignored).

    >>> from groupkit import SO, V
    >>> hidden_reps(50, SO(3), 2)
    [23+6V+V⊗V, 23+6V+V⊗V]
    >>> hidden_reps([V(SO(3)), 8], SO(3), 99)
    [V, 5+V]
    """
    def one(c):
        if isinstance(c, Rep):
            return c(group) if group is not None else c
        if isinstance(c, int) and not isinstance(c, bool):
            if group is None:
                raise RepError("an integer number of channels needs a group to spread them over "
                               "tensor ranks; pass group=... or explicit hidden reps.")
            return uniform_rep(c, group)
        raise TypeError(f"hidden channels must be an int or a Rep; got {type(c).__name__}.")

    if isinstance(ch, (Rep, int)) and not isinstance(ch, bool):
        if not isinstance(num_layers, int) or num_layers < 0:
            raise ValueError(f"num_layers must be a non-negative integer; got {num_layers!r}.")
        return [one(ch)] * num_layers
    if isinstance(ch, Sequence) and not isinstance(ch, str):
        return [one(c) for c in ch]
    raise TypeError(f"ch must be an int, a Rep or a sequence of them; got {type(ch).__name__}.")


class EMLPBlock(nn.Module):
    """rep_in → rep_out: equivariant linear into gated(rep_out), plus the bilinear term, then
    the gated nonlinearity. Input (..., rep_in.size) → (..., rep_out.size).

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> block = EMLPBlock(V(SO(3)), 4*V(SO(3)) + 2*Scalar, dtype=torch.float64)
    >>> block(torch.randn(5, 3, dtype=torch.float64)).shape
    torch.Size([5, 14])
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, *, bilinear: bool = True,
                 bilinear_options: dict | None = None, dtype: torch.dtype | None = None,
                 device=None):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        g = gated(rep_out)
        self.linear = EquivariantLinear(rep_in, g, dtype=dtype, device=device)
        with expected_degenerate():  # an empty bilinear term is fine beside the linear one
            self.bilinear = EquivariantBilinear(g, g, dtype=dtype, device=device,
                                                **(bilinear_options or {})) if bilinear else None
        self.nonlinearity = GatedNonlinearity(rep_out, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.linear(x)
        if self.bilinear is not None:
            h = h + self.bilinear(h)
        return self.nonlinearity(h)


def _per_layer(bilinear, n: int) -> list[bool]:
    """``bilinear`` (a bool or one bool per hidden layer) as a list of n bools."""
    if isinstance(bilinear, (bool, np.bool_)):
        return [bool(bilinear)] * n
    if isinstance(bilinear, Sequence) and not isinstance(bilinear, str) and all(
            isinstance(b, (bool, np.bool_)) for b in bilinear):
        if len(bilinear) != n:
            raise ValueError(f"bilinear has {len(bilinear)} entries but the EMLP has {n} hidden "
                             f"layers; give one bool per hidden layer, or a single bool.")
        return [bool(b) for b in bilinear]
    raise TypeError(f"bilinear must be a bool or a sequence of bools, one per hidden layer; got "
                    f"{bilinear!r}.")


class EMLP(nn.Module):
    """Equivariant multilayer perceptron rep_in → rep_out for ``group``.

    ``ch``: hidden channels — an int (spread over tensor ranks by :func:`uniform_rep`), a Rep, or
    a sequence of ints/Reps, one per hidden layer. ``num_layers`` hidden layers (EMLP blocks)
    are followed by an equivariant linear layer to rep_out. ``bilinear``: whether the blocks carry
    the bilinear term — one bool for all, or a sequence of bools, one per hidden layer (each
    bilinear term doubles the polynomial degree the network can reach, so k of them bound it by
    2^k up to the gates); ``bilinear_options`` go to :class:`~groupkit.nn.EquivariantBilinear`.
    ``group`` defaults to the group of rep_in/rep_out.

    Input (..., rep_in.size) → (..., rep_out.size). ``state_dict`` holds coefficients only; the
    bases are rebuilt (from the solver's cache) when the model is constructed.

    >>> import torch
    >>> from groupkit import O, V, Scalar
    >>> model = EMLP(2 * V(O(5)), Scalar, O(5), ch=100, num_layers=2)
    >>> model.hidden
    [40+7V+V⊗V, 40+7V+V⊗V]
    >>> model(torch.randn(10, 10)).shape
    torch.Size([10, 1])
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, group: Group | None = None, *, ch=384,
                 num_layers: int = 3, bilinear: bool | Sequence[bool] = True,
                 bilinear_options: dict | None = None,
                 dtype: torch.dtype | None = None, device=None):
        super().__init__()
        if group is not None:
            rep_in, rep_out = rep_in(group), rep_out(group)
        else:
            rep_in, rep_out = _unify((rep_in, rep_out))
            group = rep_in.group or rep_out.group
        self.rep_in, self.rep_out, self.group = rep_in, rep_out, group
        self._size_in = rep_in.size
        self.hidden = hidden_reps(ch, group, num_layers)
        reps = [rep_in, *self.hidden]
        blocks = [EMLPBlock(a, b, bilinear=bi, bilinear_options=bilinear_options,
                            dtype=dtype, device=device)
                  for a, b, bi in zip(reps, reps[1:], _per_layer(bilinear, len(self.hidden)))]
        self.network = nn.Sequential(
            *blocks, EquivariantLinear(reps[-1], rep_out, dtype=dtype, device=device))
        warn_if_constant(self, fix="Use bilinear=True (the default) or hidden representations "
                         "with a path to the output.")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.rep_in, self, ref=self.network[-1].weight, size=self._size_in)
        return self.network(x)


class MLP(nn.Module):
    """The plain baseline: ``torch.nn.Linear`` layers with SiLU, widths rep_in.size → ch → … →
    rep_out.size (``ch`` an int, or a sequence of ints, one per hidden layer). Not equivariant;
    exposes rep_in/rep_out for shapes only.

    >>> import torch
    >>> from groupkit import O, V, Scalar
    >>> model = MLP(2*V(O(5)), Scalar, ch=32, num_layers=2)
    >>> model(torch.randn(8, 10)).shape
    torch.Size([8, 1])
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, group: Group | None = None, *, ch=384,
                 num_layers: int = 3, dtype: torch.dtype | None = None, device=None):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, rep_out
        self._size_in = rep_in.size
        widths = [ch] * num_layers if isinstance(ch, int) else list(ch)
        sizes = [rep_in.size, *widths]
        layers: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:]):
            layers += [nn.Linear(a, b, dtype=dtype, device=device), nn.SiLU()]
        layers.append(nn.Linear(sizes[-1], rep_out.size, dtype=dtype, device=device))
        self.network = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.rep_in, self, ref=self.network[0].weight, size=self._size_in)
        return self.network(x)

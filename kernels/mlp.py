"""A small gated equivariant MLP (EquivariantLinear + GatedNonlinearity), and default hidden reps.

Each layer is ``EquivariantLinear(prev, gated(h))`` followed by ``GatedNonlinearity(h)``: the
linear map produces the values of h and one invariant gate per non-scalar summand; non-scalar
summands are multiplied by sigmoid(gate), scalars go through SiLU. Every step is exactly
equivariant for every group (gates are invariant), with no sampling of the group.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from groupkit import Rep, RepError, Scalar, Sym, direct_sum
from groupkit.nn import EquivariantLinear, GatedNonlinearity, gated

from .geometry import space_geometry
from .harmonic import harmonic

__all__ = ["GatedMLP", "default_hidden", "angular_rep"]


def angular_rep(space: Rep, k: int) -> Rep:
    """The degree-k angular representation: ``harmonic(space, k)`` when ``space`` has an invariant
    form (the irreps for SO(3)/O(3)), else ``Sym(space, k)``."""
    if k == 0:
        return Scalar
    if k == 1:
        return space
    if space_geometry(space).has_radius:
        return harmonic(space, k)
    return Sym(space, k)


def default_hidden(space: Rep, *, degree: int = 2, multiplicity: int = 8) -> Rep:
    """2m·Scalar ⊕ m·space ⊕ m·angular_rep(space, 2) ⊕ … ⊕ m·angular_rep(space, degree).

    For SO(3) with m = 8 and degree 2: 16·1 ⊕ 8·V ⊕ 8·Y2 (80 dimensions).

    >>> from groupkit import SO, V
    >>> h = default_hidden(V(SO(3)), degree=2, multiplicity=8)
    >>> h.size
    80
    """
    if not isinstance(multiplicity, int) or multiplicity < 1:
        raise ValueError(f"multiplicity must be a positive integer; got {multiplicity!r}.")
    reps = [2 * multiplicity * Scalar]
    reps += [multiplicity * angular_rep(space, k) for k in range(1, degree + 1)]
    return direct_sum(*reps)


def resolve_hidden(hidden, space: Rep, degree: int, layers: int = 2) -> tuple[Rep, ...]:
    """``hidden`` as a tuple of representations, one per hidden layer.

    Accepts None (two layers of :func:`default_hidden`), an int (the multiplicity of the default
    rep, two layers), a Rep (two layers of it) or a sequence of Reps.
    """
    if hidden is None:
        return (default_hidden(space, degree=degree),) * layers
    if isinstance(hidden, int) and not isinstance(hidden, bool):
        return (default_hidden(space, degree=degree, multiplicity=hidden),) * layers
    if isinstance(hidden, Rep):
        return (hidden,) * layers
    if isinstance(hidden, Sequence) and hidden and all(isinstance(h, Rep) for h in hidden):
        return tuple(hidden)
    raise RepError("hidden must be None, a multiplicity (int), a Rep, or a non-empty sequence of "
                   f"Reps; got {hidden!r}.")


class GatedMLP(nn.Module):
    """rep_in → hidden[0] → … → hidden[-1] (= rep_out), each step linear then gated.

    Input (…, rep_in.size) → output (…, rep_out.size).

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> G = SO(3)
    >>> mlp = GatedMLP(V(G), [4*Scalar + 2*V(G), V(G)])
    >>> mlp(torch.randn(6, 3)).shape
    torch.Size([6, 3])
    """

    def __init__(self, rep_in: Rep, hidden: Sequence[Rep], *, dtype: torch.dtype | None = None):
        super().__init__()
        self.rep_in, self.rep_out = rep_in, hidden[-1]
        layers: list[nn.Module] = []
        prev = rep_in
        for h in hidden:
            layers.append(EquivariantLinear(prev, gated(h), dtype=dtype))
            layers.append(GatedNonlinearity(h))
            prev = h
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

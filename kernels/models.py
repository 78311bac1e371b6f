"""A small steerable point-cloud network assembled from PointConv and gated nonlinearities.

    f ─ PointConv(rep_in → gated(hidden)) ─ GatedNonlinearity ─ … ─ PointConv(hidden → rep_out)

Every block is G-equivariant, so the network is; an optional :class:`InvariantReadout` (after
:func:`global_pool`) gives invariant graph-level predictions.
"""

from __future__ import annotations

import torch
from torch import nn

from groupkit import Group, Rep
from groupkit.nn import GatedNonlinearity, gated

from .kernel import bind_rep
from .pointconv import PointConv

__all__ = ["SteerablePointNet"]


class SteerablePointNet(nn.Module):
    """``layers`` point convolutions rep_in → hidden → … → rep_out with gated nonlinearities.

    ``conv_options`` (keyword arguments) go to every :class:`PointConv` (space, cutoff,
    edge_features, avg_degree, dtype, …). ``forward(features, pos, edge_index, edge_attr=None)``
    → (N, rep_out.size).

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> from kernels import radius_graph
    >>> G = SO(3)
    >>> net = SteerablePointNet(G, Scalar, 4*Scalar + 2*V(G), V(G), cutoff=1.5)
    >>> pos = torch.randn(10, 3)
    >>> net(torch.ones(10, 1), pos, radius_graph(pos, 1.5)).shape
    torch.Size([10, 3])
    """

    def __init__(self, G: Group, rep_in: Rep, rep_hidden: Rep, rep_out: Rep, *,
                 layers: int = 2, **conv_options):
        super().__init__()
        if not isinstance(layers, int) or layers < 1:
            raise ValueError(f"layers must be a positive integer; got {layers!r}.")
        self.convs = nn.ModuleList()
        self.gates = nn.ModuleList()
        rep_hidden = bind_rep(rep_hidden, G, "rep_hidden")
        prev = rep_in
        for _ in range(layers - 1):
            self.convs.append(PointConv(G, prev, gated(rep_hidden), **conv_options))
            self.gates.append(GatedNonlinearity(rep_hidden))
            prev = rep_hidden
        self.convs.append(PointConv(G, prev, rep_out, **conv_options))
        self.rep_in, self.rep_out = self.convs[0].rep_in, self.convs[-1].rep_out

    def forward(self, features: torch.Tensor, pos: torch.Tensor, edge_index: torch.Tensor,
                edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        x = features
        for conv, gate in zip(self.convs[:-1], self.gates):
            x = gate(conv(x, pos, edge_index, edge_attr))
        return self.convs[-1](x, pos, edge_index, edge_attr)

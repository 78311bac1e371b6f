"""A plain (not equivariant) message-passing network: EGNN's "GNN" baseline.

    m_ij = φ_e(h_i, h_j, a_ij),   h_i ← h_i + φ_h(h_i, Σ_j m_ij)

Coordinates, if used, enter as ordinary node features, so the network must learn rotations
from data. ``forward(features (N, in_dim), edge_index, edge_attr=None, batch=None,
num_graphs=None)`` → (N, out_dim) per node, or (B, out_dim) with ``readout="sum"``.

>>> import torch
>>> from kernels.data.graphs import full_graph
>>> GNN(6, 3, hidden=16, layers=2, edge_dim=1)(torch.randn(5, 6), full_graph([5]),
...                                            torch.randn(20, 1)).shape
torch.Size([5, 3])
"""

from __future__ import annotations

import torch
from torch import nn

from ._scatter import mlp, scatter_sum

__all__ = ["GNN"]


class GNN(nn.Module):
    """Embedding, ``layers`` residual message-passing layers, an MLP decoder."""

    def __init__(self, in_dim: int, out_dim: int, *, hidden: int = 64, layers: int = 4,
                 edge_dim: int = 0, readout: str | None = None, act=nn.SiLU):
        super().__init__()
        if readout not in (None, "sum", "mean"):
            raise ValueError(f"readout must be None, 'sum' or 'mean'; got {readout!r}.")
        self.readout = readout
        self.embedding = nn.Linear(in_dim, hidden)
        self.phi_e = nn.ModuleList(mlp([2 * hidden + edge_dim, hidden, hidden], act,
                                       last_act=True) for _ in range(layers))
        self.phi_h = nn.ModuleList(mlp([2 * hidden, hidden, hidden], act) for _ in range(layers))
        self.decoder = mlp([hidden, hidden, out_dim], act)

    def forward(self, features, edge_index, edge_attr=None, batch=None,
                num_graphs: int | None = None):
        j, i = edge_index[0], edge_index[1]
        h = self.embedding(features)
        for phi_e, phi_h in zip(self.phi_e, self.phi_h):
            parts = [h[i], h[j]] + ([] if edge_attr is None else [edge_attr])
            m = phi_e(torch.cat(parts, dim=-1))
            h = h + phi_h(torch.cat([h, scatter_sum(m, i, len(h))], dim=-1))
        if self.readout is not None:
            if batch is None:
                batch = torch.zeros(len(h), dtype=torch.long, device=h.device)
            B = int(batch.max()) + 1 if num_graphs is None else num_graphs
            h = scatter_sum(h, batch, B)
            if self.readout == "mean":
                h = h / torch.bincount(batch, minlength=B).clamp(min=1).unsqueeze(-1)
        return self.decoder(h)

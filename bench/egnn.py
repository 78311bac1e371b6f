"""A compact EGNN (Satorras, Hoogeboom & Welling 2021) for the N-body benchmark: the reference
point-cloud model whose training step bench/nbody.py times beside groupkit's SteerablePointNet.

Written from the paper's equations (E(n)-equivariant graph convolutional layer with velocities):

    m_ij = φ_e(h_i, h_j, |x_i − x_j|², a_ij)
    v_i ← φ_v(h_i) v_i + C Σ_j (x_i − x_j) φ_x(m_ij),   x_i ← x_i + v_i
    h_i ← h_i + φ_h(h_i, Σ_j m_ij)

with C = 1/(N − 1), SiLU MLPs of width ``hidden``, and a coordinate MLP whose last layer starts
small (as the authors' code does). Edge attributes a_ij are the charge
products; node inputs the speeds |v_i|. Only torch.
"""

from __future__ import annotations

import torch
from torch import nn


def _coord_mlp(h: int) -> nn.Sequential:
    last = nn.Linear(h, 1, bias=False)
    nn.init.xavier_uniform_(last.weight, gain=0.001)
    return nn.Sequential(nn.Linear(h, h), nn.SiLU(), last)


class EGCL(nn.Module):
    def __init__(self, hidden: int, edge_attr: int = 1):
        super().__init__()
        self.edge = nn.Sequential(nn.Linear(2 * hidden + 1 + edge_attr, hidden), nn.SiLU(),
                                  nn.Linear(hidden, hidden), nn.SiLU())
        self.node = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.SiLU(),
                                  nn.Linear(hidden, hidden))
        self.coord = _coord_mlp(hidden)
        self.vel = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, 1))

    def forward(self, h, x, v, edge_index, edge_attr, n_per_graph: int):
        src, tgt = edge_index
        diff = x[tgt] - x[src]
        m = self.edge(torch.cat([h[tgt], h[src], (diff * diff).sum(-1, keepdim=True),
                                 edge_attr], dim=-1))
        agg = torch.zeros_like(x).index_add_(0, tgt, diff * self.coord(m))
        v = self.vel(h) * v + agg / (n_per_graph - 1)
        x = x + v
        msum = torch.zeros_like(h).index_add_(0, tgt, m)
        h = h + self.node(torch.cat([h, msum], dim=-1))
        return h, x, v


class EGNN(nn.Module):
    """``layers`` EGCLs of width ``hidden``; forward(speed (N, 1), x (N, 3), v (N, 3), edge_index,
    edge_attr (E, 1), n_per_graph) → predicted positions (N, 3)."""

    def __init__(self, hidden: int = 64, layers: int = 4, node_in: int = 1, edge_attr: int = 1):
        super().__init__()
        self.embed = nn.Linear(node_in, hidden)
        self.layers = nn.ModuleList(EGCL(hidden, edge_attr) for _ in range(layers))

    def forward(self, h, x, v, edge_index, edge_attr, n_per_graph: int):
        h = self.embed(h)
        for layer in self.layers:
            h, x, v = layer(h, x, v, edge_index, edge_attr, n_per_graph)
        return x

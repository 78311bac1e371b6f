"""EGNN (Satorras, Hoogeboom & Welling, "E(n) Equivariant Graph Neural Networks", ICML 2021).

One layer on node features h_i, coordinates x_i (and velocities v_i), edges j → i:

    m_ij = φ_e(h_i, h_j, |x_i − x_j|², a_ij)
    x_i ← x_i + Σ_j (x_i − x_j) φ_x(m_ij) / deg(i)   [+ φ_v(h_i) v_i]   (velocity variant)
    h_i ← h_i + φ_h(h_i, Σ_j m_ij [, node attributes])

E(n)-equivariant: the scalars |x_i − x_j|² and ⟨…⟩ are invariant, coordinate updates are
combinations of the equivariant vectors x_i − x_j and v_i. φ_x ends in a bias-free linear map
initialised small (gain 0.001, as the authors do) so early training stays stable.

* :class:`EGNNLayer` — the layer.
* :class:`EGNNDynamics` — the authors' N-body model: node feature |v_i|, edge attributes
  (q_i q_j, |x_i − x_j|²), 4 velocity layers of width 64; predicts positions.
* :class:`EGNNRegressor` — their QM9 model: no coordinate updates, attention on messages,
  the input features fed to every layer, sum readout; predicts one invariant per graph.

Edges follow :mod:`kernels.graph`: ``edge_index[0]`` = source j, ``edge_index[1]`` = target i.

>>> import torch
>>> from kernels.data.graphs import full_graph
>>> model = EGNNDynamics(hidden=16, layers=2)
>>> pos, vel, q = torch.randn(5, 3), torch.randn(5, 3), torch.ones(5)
>>> model(pos, vel, q, full_graph([5])).shape
torch.Size([5, 3])
"""

from __future__ import annotations

import torch
from torch import nn

from ._scatter import mlp, scatter_mean, scatter_sum

__all__ = ["EGNNLayer", "EGNNDynamics", "EGNNRegressor"]


class EGNNLayer(nn.Module):
    """An E(n)-equivariant message-passing layer (see the module docstring).

    ``forward(h (N, hidden), x (N, d), edge_index (2, E), *, edge_attr (E, edge_dim),
    vel (N, d), node_attr (N, node_attr_dim))`` → (h, x).
    """

    def __init__(self, hidden: int, *, edge_dim: int = 0, node_attr_dim: int = 0,
                 velocity: bool = False, update_coords: bool = True, attention: bool = False,
                 act=nn.SiLU):
        super().__init__()
        self.update_coords, self.velocity, self.attention = update_coords, velocity, attention
        self.phi_e = mlp([2 * hidden + 1 + edge_dim, hidden, hidden], act, last_act=True)
        self.phi_h = mlp([2 * hidden + node_attr_dim, hidden, hidden], act)
        if attention:
            self.phi_att = nn.Sequential(nn.Linear(hidden, 1), nn.Sigmoid())
        if update_coords:
            last = nn.Linear(hidden, 1, bias=False)
            nn.init.xavier_uniform_(last.weight, gain=0.001)
            self.phi_x = nn.Sequential(nn.Linear(hidden, hidden), act(), last)
        if velocity:
            self.phi_v = mlp([hidden, hidden, 1], act)

    def forward(self, h, x, edge_index, *, edge_attr=None, vel=None, node_attr=None):
        j, i = edge_index[0], edge_index[1]
        diff = x[i] - x[j]
        parts = [h[i], h[j], (diff * diff).sum(-1, keepdim=True)]
        if edge_attr is not None:
            parts.append(edge_attr)
        m = self.phi_e(torch.cat(parts, dim=-1))
        if self.attention:
            m = m * self.phi_att(m)
        if self.update_coords:
            x = x + scatter_mean(diff * self.phi_x(m), i, len(x))
        if self.velocity:
            if vel is None:
                raise ValueError("this EGNNLayer was built with velocity=True: pass vel.")
            x = x + self.phi_v(h) * vel
        agg = [h, scatter_sum(m, i, len(h))]
        if node_attr is not None:
            agg.append(node_attr)
        return h + self.phi_h(torch.cat(agg, dim=-1)), x


class EGNNDynamics(nn.Module):
    """EGNN's N-body model: ``forward(pos (N, 3), vel (N, 3), charges (N,), edge_index)`` →
    predicted positions (N, 3). Node input |v_i|; edge input (q_i q_j, |x_i − x_j|²)."""

    def __init__(self, *, hidden: int = 64, layers: int = 4, act=nn.SiLU):
        super().__init__()
        self.embedding = nn.Linear(1, hidden)
        self.layers = nn.ModuleList(EGNNLayer(hidden, edge_dim=2, velocity=True, act=act)
                                    for _ in range(layers))

    def forward(self, pos, vel, charges, edge_index):
        j, i = edge_index[0], edge_index[1]
        d = pos[i] - pos[j]
        edge_attr = torch.stack([charges[i] * charges[j], (d * d).sum(-1)], dim=-1)
        h = self.embedding(vel.norm(dim=-1, keepdim=True))
        x = pos
        for layer in self.layers:
            h, x = layer(h, x, edge_index, edge_attr=edge_attr, vel=vel)
        return x


class EGNNRegressor(nn.Module):
    """EGNN's QM9 model: ``forward(features (N, in_dim), pos (N, 3), edge_index, batch (N,),
    num_graphs=None)`` → (B,) invariant predictions (sum over each graph's nodes)."""

    def __init__(self, in_dim: int, *, hidden: int = 128, layers: int = 7,
                 attention: bool = True, act=nn.SiLU):
        super().__init__()
        self.embedding = nn.Linear(in_dim, hidden)
        self.layers = nn.ModuleList(
            EGNNLayer(hidden, node_attr_dim=in_dim, update_coords=False, attention=attention,
                      act=act) for _ in range(layers))
        self.node_dec = mlp([hidden, hidden, hidden], act)
        self.graph_dec = mlp([hidden, hidden, 1], act)

    def forward(self, features, pos, edge_index, batch, num_graphs: int | None = None):
        h = self.embedding(features)
        for layer in self.layers:
            h, _ = layer(h, pos, edge_index, node_attr=features)
        B = int(batch.max()) + 1 if num_graphs is None else num_graphs
        return self.graph_dec(scatter_sum(self.node_dec(h), batch, B)).squeeze(-1)

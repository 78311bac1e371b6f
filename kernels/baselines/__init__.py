"""Baselines trained side by side with groupkit's implicit-kernel networks.

* :class:`EGNNLayer`, :class:`EGNNDynamics`, :class:`EGNNRegressor` — EGNN (Satorras et al.
  2021), the N-body (velocity) and QM9 variants.
* :class:`GNN` — a plain message-passing network of similar size (not equivariant).
* :class:`E3nnConv`, :class:`E3nnNet`, :class:`E3nnDynamics` — e3nn tensor-product
  convolutions, the seed paper's "standard kernel" arm (need the optional ``e3nn``;
  importing this package does not).
"""

from .e3nn_conv import E3nnConv, E3nnDynamics, E3nnNet
from .egnn import EGNNDynamics, EGNNLayer, EGNNRegressor
from .gnn import GNN

__all__ = ["EGNNLayer", "EGNNDynamics", "EGNNRegressor", "GNN", "E3nnConv", "E3nnNet",
           "E3nnDynamics"]

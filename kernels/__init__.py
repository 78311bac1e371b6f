"""Implicit steerable kernels and equivariant convolutions for any matrix group, on groupkit.

A G-steerable kernel K: space → Hom(rep_in, rep_out), K(g·x) = ρ_out(g) K(x) ρ_in(g)⁻¹, is
parameterised by an equivariant MLP of the relative position (Zhdanov, Hoffmann & Cesa,
"Implicit Convolutional Kernels for Steerable CNNs", NeurIPS 2023) — here for every group
groupkit can solve, exactly (no nonlinearity samples the group).

* :class:`ImplicitKernel` — the kernel (``kernels.kernel``).
* :class:`PointConv` — point-cloud convolution / message passing (``kernels.pointconv``);
  :class:`EdgePlan` shares the per-graph work between its layers (``kernels.plan``).
* :class:`GridConv2d`, :class:`GridConv3d`, :func:`grid_action` — pixel/voxel grids.
* :func:`radius_graph`, :func:`knn_graph`, :func:`batch_vector` — graphs in batches.
* :func:`global_pool`, :class:`QuadraticInvariants`, :class:`InvariantReadout` — readouts.
* :class:`SteerablePointNet` — a small network of PointConvs and gated nonlinearities.
* :func:`harmonic` — traceless symmetric tensors (the SO(3)/O(3) irreps of degree l).
* :func:`space_geometry`, :func:`default_hidden`, :class:`GatedMLP` — building blocks.
"""

from .geometry import SpaceGeometry, space_geometry
from .graph import batch_vector, check_edge_index, knn_graph, radius_graph
from .gridconv import GridConv2d, GridConv3d, grid_action
from .harmonic import harmonic
from .kernel import ImplicitKernel
from .mlp import GatedMLP, default_hidden
from .models import SteerablePointNet
from .plan import EdgePlan
from .pointconv import PointConv
from .pooling import InvariantReadout, QuadraticInvariants, global_pool

__all__ = [
    "ImplicitKernel", "PointConv", "GridConv2d", "GridConv3d", "grid_action",
    "radius_graph", "knn_graph", "batch_vector", "check_edge_index",
    "global_pool", "QuadraticInvariants", "InvariantReadout", "SteerablePointNet",
    "harmonic", "space_geometry", "SpaceGeometry", "default_hidden", "GatedMLP", "EdgePlan",
]

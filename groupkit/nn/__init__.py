"""Equivariant neural-network modules in PyTorch (the only part of groupkit that imports torch).

Every module exposes ``rep_in`` and ``rep_out``, works on batches (..., rep.size), in float32 and
float64, on CPU and CUDA, and keeps its solved bases out of ``state_dict``.
"""

from .linear import BasisAssembler, EquivariantLinear
from .nonlinear import (
    GatedNonlinearity, NormNonlinearity, PointwiseNonlinearity, gated, num_gates,
)

__all__ = [
    "EquivariantLinear", "BasisAssembler",
    "GatedNonlinearity", "NormNonlinearity", "PointwiseNonlinearity", "gated", "num_gates",
]

"""Equivariant neural-network modules in PyTorch (the only part of groupkit that imports torch).

Every module exposes ``rep_in`` and ``rep_out``, works on batches (..., rep.size), in float32 and
float64, on CPU and CUDA, and keeps its solved bases out of ``state_dict``. Inputs whose last
dimension, dtype or device do not match raise; NaN and inf propagate to the outputs of the samples
that contain them (no per-call check, which would synchronise the device).
"""

from .bilinear import EquivariantBilinear
from .ign import IGN2, DeepSets, PermutationLayer
from .emlp import EMLP, MLP, EMLPBlock, hidden_reps, tensor_rank_counts, uniform_rep
from .linear import BasisAssembler, EquivariantLinear
from .permutation import PermutationLinear
from .nonlinear import (
    GatedNonlinearity, NormNonlinearity, PointwiseNonlinearity, gated, num_gates,
)

__all__ = [
    "EquivariantLinear", "BasisAssembler", "EquivariantBilinear",
    "PermutationLinear", "PermutationLayer", "IGN2", "DeepSets",
    "GatedNonlinearity", "NormNonlinearity", "PointwiseNonlinearity", "gated", "num_gates",
    "EMLP", "EMLPBlock", "MLP", "uniform_rep", "hidden_reps", "tensor_rank_counts",
]

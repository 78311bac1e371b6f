"""Where the copies of each summand type sit inside a representation's coordinates.

A representation ⊕ R_i is seen as a list of distinct *types* (summands compared by value), each
with the offsets of all its copies. Layers work type by type: they gather the copies of a type
into a (..., copies, type.size) tensor, or reorder the coordinates so that all copies of each type
are contiguous ("type-major" order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..reps import Rep
from ..solver import _summand_table

__all__ = ["SummandType", "summand_types", "type_major_permutation", "type_runs", "real_view",
           "complex_dtype_of"]


@dataclass(frozen=True, eq=False)
class SummandType:
    """All copies of one distinct summand ``rep``; ``offsets[c]`` is where copy c starts."""

    rep: Rep
    offsets: np.ndarray

    @property
    def size(self) -> int:
        return self.rep.size

    @property
    def copies(self) -> int:
        return len(self.offsets)

    def index(self) -> np.ndarray:
        """Coordinates of all copies, (copies · size,), copy-major."""
        return (self.offsets[:, None] + np.arange(self.size)[None, :]).ravel()

    def contiguous_start(self) -> int | None:
        """The first coordinate when the copies occupy one contiguous range, else None."""
        if self.copies == 0:
            return None
        expected = self.offsets[0] + self.size * np.arange(self.copies)
        return int(self.offsets[0]) if np.array_equal(self.offsets, expected) else None


def summand_types(rep: Rep) -> list[SummandType]:
    """Distinct summands of ``rep`` in order of first appearance, with all their offsets
    (the table the solver builds its blocks from)."""
    return [SummandType(r, np.asarray(offs, dtype=np.int64)) for r, offs in _summand_table(rep)]


def type_major_permutation(types: list[SummandType]) -> np.ndarray | None:
    """perm with x[..., perm] in type-major order (all copies of type 0, then type 1, …), or
    None when the representation is already in that order."""
    perm = np.concatenate([t.index() for t in types]) if types else np.zeros(0, np.int64)
    return None if np.array_equal(perm, np.arange(len(perm))) else perm


def type_runs(types: list[SummandType]) -> tuple[list[list[int]], list[tuple[int, int]]]:
    """The coordinates cut into runs of consecutive columns of one type (the types partition
    them): per type, the lengths of its runs in the type's own (copy-major) order; and the runs
    in column order, as (type, rank of the run within its type). A layer splits its input at
    these runs once (the backward of a split is one cat) and assembles its output from them
    with one cat, instead of a gather or a scatter per type.

    >>> from groupkit import SO, V, Scalar
    >>> type_runs(summand_types(Scalar + V(SO(3)) + Scalar))
    ([[1, 1], [3]], [(0, 0), (1, 0), (0, 1)])
    """
    sizes, runs = [], []  # runs: (start, type, rank)
    for k, t in enumerate(types):
        idx = np.asarray(t.index(), dtype=np.int64).ravel()
        segs = np.split(idx, np.flatnonzero(np.diff(idx) != 1) + 1) if idx.size else []
        sizes.append([len(seg) for seg in segs])
        runs += [(int(seg[0]), k, rank) for rank, seg in enumerate(segs)]
    return sizes, [(k, rank) for _, k, rank in sorted(runs)]


def real_view(a: np.ndarray, dtype: torch.dtype, device=None) -> torch.Tensor:
    """A numpy array as a real tensor: complex arrays as (..., 2) real pairs, so that
    ``module.to(dtype)`` converts them safely (torch would drop the imaginary part of a complex
    buffer cast to a real dtype)."""
    a = np.asarray(a)
    if np.iscomplexobj(a):
        a = np.stack([a.real, a.imag], axis=-1)
    return torch.as_tensor(np.ascontiguousarray(a), dtype=dtype, device=device)


def complex_dtype_of(dtype: torch.dtype) -> torch.dtype:
    return {torch.float32: torch.complex64, torch.float64: torch.complex128,
            torch.float16: torch.complex32}.get(dtype, dtype)

"""The equivariance constraint of one Hom space, kept in tensor-factor form.

For a representation U = F_1 ⊗ … ⊗ F_n (the Hom space S ⊗ R* of a pair of summands), a discrete
generator h acts by ⊗_f ρ_f(h) and a Lie-algebra generator A by Σ_f I ⊗ … ⊗ dρ_f(A) ⊗ … ⊗ I.
We keep only the small factor matrices and apply them axis by axis: vec(A W Bᵀ) = (A ⊗ B) vec(W)
is two small products, never an N × N Kronecker matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .reps import Rep


@dataclass(frozen=True)
class Generator:
    """One constraint: the factor matrices of a discrete generator or of a Lie-algebra element."""

    mats: tuple[np.ndarray, ...]
    lie: bool

    def apply(self, X: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
        """Apply the generator's action on U to the columns of X (N, r)."""
        r = X.shape[1]
        Xt = X.reshape(*sizes, r)
        if self.lie:
            out = np.zeros(Xt.shape, dtype=np.result_type(X, *self.mats))
            for f, m in enumerate(self.mats):
                if np.any(m):
                    out += np.moveaxis(np.tensordot(m, Xt, axes=([1], [f])), 0, f)
            return out.reshape(X.shape[0], r)
        Y = Xt
        for f, m in enumerate(self.mats):
            if not _is_identity(m):
                Y = np.moveaxis(np.tensordot(m, Y, axes=([1], [f])), 0, f)
        return Y.reshape(X.shape[0], r)

    def residual(self, X: np.ndarray, sizes) -> np.ndarray:
        """The constraint applied to X: dU(A) X for Lie elements, (U(h) − I) X for discrete."""
        Y = self.apply(X, sizes)
        return Y if self.lie else Y - X


def _is_identity(m: np.ndarray) -> bool:
    return m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0]))


@dataclass(frozen=True)
class Constraint:
    """All constraints on vec(W) ∈ U = ⊗ factors, for the generators of U's group."""

    sizes: tuple[int, ...]
    generators: tuple[Generator, ...]
    is_complex: bool

    @property
    def n(self) -> int:
        return math.prod(self.sizes)

    @classmethod
    def of(cls, U: Rep) -> "Constraint":
        factors = U.factors()
        sizes = tuple(f.size for f in factors)
        G = U.group
        gens: list[Generator] = []
        if G is not None:
            for h in G.discrete_generators:
                mats = tuple(np.asarray(f.rho(h)) for f in factors)
                if not all(_is_identity(m) for m in mats):  # generators of other factors of
                    gens.append(Generator(mats, lie=False))  # a product act trivially here
            for A in G.lie_algebra:
                mats = tuple(np.asarray(f.drho(A)) for f in factors)
                if any(np.any(m) for m in mats):
                    gens.append(Generator(mats, lie=True))
        is_complex = bool(U.is_complex or any(np.iscomplexobj(m) for g in gens for m in g.mats))
        return cls(sizes, tuple(gens), is_complex)

    def residual_norm(self, X: np.ndarray) -> float:
        """max over generators of ‖C X‖_F / max(‖X‖_F, tiny)."""
        if X.shape[1] == 0 or not self.generators:
            return 0.0
        nx = max(np.linalg.norm(X), 1e-300)
        return max(np.linalg.norm(g.residual(X, self.sizes)) for g in self.generators) / nx

"""Clebsch–Gordan coefficients: the equivariant maps V_a ⊗ V_b → V_c, for any group.

They are solved, not tabulated: Hom_G(V_a ⊗ V_b, V_c) is a Hom space like any other, so the
solver answers it for every group and every pair of representations — typically irreps found by
:func:`groupkit.decompose`.

Convention: ``C = clebsch_gordan(a, b, c)`` has shape (r, c.size, a.size, b.size), r the
dimension of Hom_G(a ⊗ b, c): the multiplicity of c in a ⊗ b times the dimension of c's
commutant (for a real irrep c: 1, 2 or 4 for real, complex or quaternionic type; 1 over C for a
complex c), and the k-th map sends x ⊗ y to z_m = Σ_ij C[k, m, i, j] x_i y_j, so
ρ_c(g) C_k = C_k (ρ_a(g) ⊗ ρ_b(g)) with C_k flattened to (c.size, a.size·b.size).

Normalisation: the maps are orthogonal in the Frobenius inner product, each with
Σ_mij |C[k, m, i, j]|² = c.size, and the first entry of largest modulus of each is positive.
For orthogonal (unitary) irreps with c of real type this is the usual CG unitarity,
C_k C_lᴴ = δ_kl I_c: C_kᴴ embeds V_c isometrically in V_a ⊗ V_b. Up to a change of basis in
each irrep (and that normalisation) these are the coefficients of every physics table; the tests
check SO(3) against sympy's ⟨l1 m1 l2 m2 | l m⟩.

>>> from groupkit import SO, V, decompose
>>> from groupkit.clebsch import clebsch_gordan
>>> one = decompose(V(SO(3))).irreps[0]
>>> C = clebsch_gordan(one, one, one)   # the cross product, ε_ijk / √2 up to sign
>>> C.shape
(1, 3, 3, 3)
"""

from __future__ import annotations

import numpy as np

from .reps import Rep, RepError

__all__ = ["clebsch_gordan", "coupling"]


def clebsch_gordan(a: Rep, b: Rep, c: Rep) -> np.ndarray:
    """All equivariant maps V_a ⊗ V_b → V_c as an array (r, c.size, a.size, b.size); see the
    module docstring for the convention and normalisation. r = 0 gives an empty array.

    >>> from groupkit import SO, V, Scalar
    >>> clebsch_gordan(V(SO(3)), V(SO(3)), Scalar).shape   # ⟨x, y⟩ is the one invariant form
    (1, 1, 3, 3)
    """
    from .solver import solve

    for name, r in (("a", a), ("b", b), ("c", c)):
        if not isinstance(r, Rep):
            raise RepError(f"clebsch_gordan: {name} must be a representation; got "
                           f"{type(r).__name__}.")
    Q = solve(a * b, c).dense()
    r = Q.shape[1]
    C = Q.T.reshape(r, c.size, a.size, b.size) * np.sqrt(c.size)
    # the documented sign (phase) convention: each map's first entry of largest modulus is > 0
    if r:  # (r = 0: reshape(0, -1) of an empty array is ambiguous, and there is no sign to fix)
        flat = C.reshape(r, -1)
        top = flat[np.arange(r), np.abs(flat).argmax(axis=1)]
        C = C * (np.abs(top) / top)[:, None, None, None]
    return C


def coupling(a: Rep, b: Rep, *, rng=0):
    """The decomposition of V_a ⊗ V_b with its Clebsch–Gordan maps: a list of
    (irrep c, multiplicity, C) with C = clebsch_gordan(a, b, c) (C.shape[0] is the multiplicity
    times 2 or 4 when c is a real irrep of complex or quaternionic type) for every irrep c of the
    tensor product (its summands as found by :func:`groupkit.decompose`).

    >>> from groupkit import SO, V, decompose
    >>> one = decompose(V(SO(3))).irreps[0]
    >>> [(c.size, m, C.shape) for c, m, C in coupling(one, one)]
    [(1, 1, (1, 1, 3, 3)), (3, 1, (1, 3, 3, 3)), (5, 1, (1, 5, 3, 3))]
    """
    from .decompose import decompose

    dec = decompose(a * b, rng=rng)
    return [(c, m, clebsch_gordan(a, b, c)) for c, m in dec]

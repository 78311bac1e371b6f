"""Harmonic (traceless symmetric) tensor representations: the SO(3) irreps in groupkit terms.

``harmonic(space, l)`` is the representation of G on the symmetric rank-l tensors over
``space`` whose trace against the invariant form M vanishes (M_ab T^{ab c…} = 0). The trace is an
equivariant map Sym^l → Sym^{l−2}, so its kernel is a sub-representation; it is given in an
orthonormal basis P of that subspace, ρ(g) = Pᵀ g^{⊗l} P, dρ(A) = Pᵀ (Σ_i 1⊗…⊗A⊗…⊗1) P.

For SO(3) and O(3) acting on R³ these are exactly the irreducible representations of degree l,
of size 2l + 1 (the "l" of e3nn and escnn; for O(3) with parity (−1)^l). For SO(2)/O(2) on R² they
are the frequency-l irreps (size 2 for l ≥ 1); for the Lorentz group with the Minkowski form,
the (l/2, l/2) irreps of size (l + 1)². ``harmonic(space, 0)`` is Scalar and
``harmonic(space, 1)`` is ``space`` itself.

>>> from groupkit import SO, V
>>> [harmonic(V(SO(3)), l).size for l in range(5)]
[1, 3, 5, 7, 9]
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.linalg

from groupkit import Rep, RepError, Scalar, Sym, UserRep

from .geometry import space_geometry

__all__ = ["harmonic"]


def _traceless_basis(space: Rep, l: int, M: np.ndarray) -> np.ndarray:
    """Orthonormal basis (n^l, s) of the symmetric rank-l tensors with zero M-trace."""
    n = space.size
    B = Sym(space, l).basis  # (n^l, C(n+l−1, l)), integer columns with disjoint supports
    B = B / np.linalg.norm(B, axis=0)  # … hence orthonormal once each column is normalised
    # Contraction of the first two indices with M: (n^{l−2}, n^l).
    C = np.kron(M.reshape(1, n * n), np.eye(n ** (l - 2)))
    N = scipy.linalg.null_space(C @ B, rcond=1e-10)
    return B @ N


@functools.lru_cache(maxsize=64)
def harmonic(space: Rep, l: int, *, name: str | None = None) -> Rep:
    """The traceless symmetric rank-``l`` tensors over ``space`` (see the module docstring).

    Needs an invariant symmetric form on ``space`` (found by :func:`space_geometry`); raises
    RepError for groups without one (GL(n), SL(n), Sp(m)).

    >>> from groupkit import SO, V, solve
    >>> Y2 = harmonic(V(SO(3)), 2)
    >>> Y2.size                                   # 2l + 1
    5
    >>> solve(Y2, Y2).dim                         # irreducible: Schur's lemma
    1
    """
    if not isinstance(l, (int, np.integer)) or isinstance(l, bool) or l < 0:
        raise RepError(f"harmonic(space, l): l must be a non-negative integer; got {l!r}.")
    if l == 0:
        return Scalar
    if l == 1:
        return space
    geo = space_geometry(space)
    if geo.radius_form is None:
        raise RepError(f"{space} has no invariant symmetric form, so 'traceless' has no meaning; "
                       f"use Sym({space}, {l}) instead.")
    P = _traceless_basis(space, l, geo.radius_form)
    if P.shape[1] == 0:
        raise RepError(f"the traceless rank-{l} tensors over {space} are zero-dimensional.")
    P.setflags(write=False)
    G = space.group

    power = space ** l

    def rho(g):
        return P.T @ power.rho(g) @ P

    def drho(A):
        return P.T @ power.drho(A) @ P

    has_algebra = G.lie_algebra.shape[0] > 0
    return UserRep(G, rho, drho if has_algebra else None, size=P.shape[1],
                   name=name or f"Y{l}")


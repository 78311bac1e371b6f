"""Invariants of the base space a kernel lives on: invariant quadratic forms and a "radius".

For a representation ``space`` of G on R^n (the relative positions x), the invariant symmetric
bilinear forms are found by the solver as the basis of Hom(space ⊗ space, Scalar), symmetrised.
Each gives an invariant q_k(x) = xᵀ F_k x. One of them (or a combination) plays the role of a
radius:

* **compact case** — the orthogonal projection of the identity onto the invariant forms is
  positive definite (it *is* the identity when ``space`` acts orthogonally: SO(n), O(n), finite
  subgroups, products of them). Then r(x) = sqrt(xᵀ M x) is a norm.
* **non-compact case** — no positive-definite invariant form exists (the Lorentz group: the only
  invariant form is the Minkowski metric η). Then M is that indefinite form scaled to spectral
  norm one and r(x) = sqrt(|xᵀ M x|) is the square root of the absolute *interval*. It is
  invariant but not a norm: r = 0 on the whole light cone, and {r < c} is unbounded.
* **no invariant form** (GL(n), SL(n) and Sp(m) acting on their standard representation):
  there is no radius; kernels then take no envelope and no radial basis.

>>> from groupkit import SO, Lorentz, V
>>> geo = space_geometry(V(SO(3)))
>>> geo.compact, geo.radius_form.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
(True, True)
>>> geo = space_geometry(V(Lorentz()))
>>> geo.compact, [float(v) for v in abs(geo.radius_form.diagonal())]
(False, [1.0, 1.0, 1.0, 1.0])
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from groupkit import Rep, RepError, Scalar, solve, tensor

__all__ = ["SpaceGeometry", "space_geometry"]


@dataclass(frozen=True, eq=False)
class SpaceGeometry:
    """Invariant quadratic structure of ``space``.

    ``forms``: (m, n, n) symmetric invariant forms, orthonormal in the Frobenius inner product
    (m may be 0). ``radius_form``: (n, n) or None; r(x)² = |xᵀ M x|. ``compact``: M is positive
    definite (r is a norm).

    >>> from groupkit import SO, V
    >>> geo = space_geometry(V(SO(3)))
    >>> type(geo).__name__, geo.forms.shape, geo.compact
    ('SpaceGeometry', (1, 3, 3), True)
    """

    space: Rep
    forms: np.ndarray
    radius_form: np.ndarray | None
    compact: bool

    @property
    def has_radius(self) -> bool:
        return self.radius_form is not None


def _snap(M: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Round entries that are within ``tol`` of an integer (after scaling the largest entry to
    one): the Minkowski metric then comes out exactly as diag(±1, ∓1, ∓1, ∓1)."""
    s = np.max(np.abs(M))
    if s == 0:
        return M
    Ms = M / s
    R = np.round(Ms)
    return R * s if np.all(np.abs(Ms - R) < tol) else M


@lru_cache(maxsize=64)
def invariant_quadratic_forms(rep: Rep) -> np.ndarray:
    """Symmetric invariant forms (m, n, n) of ``rep``, orthonormal (Frobenius): a basis of the
    quadratic forms vᵀ F v that are G-invariant (from the solver's Hom(rep ⊗ rep, Scalar)).
    Cached: the array is shared, so copy it before changing it."""
    n = rep.size
    Q = solve(tensor(rep, rep), Scalar).dense()  # (n², m): invariant bilinear forms
    F = [Q[:, k].reshape(n, n) for k in range(Q.shape[1])]
    F = [(f + f.T) / 2 for f in F]  # quadratic forms only see the symmetric part
    F = [f.ravel() for f in F if np.linalg.norm(f) > 1e-8]
    if not F:
        return np.zeros((0, n, n))
    _, s, Vt = np.linalg.svd(np.stack(F), full_matrices=False)
    keep = Vt[: int(np.sum(s > 1e-8 * s[0]))].reshape(-1, n, n)
    return (keep + keep.transpose(0, 2, 1)) / 2


@lru_cache(maxsize=64)
def space_geometry(space: Rep) -> SpaceGeometry:
    """The invariant forms and radius of ``space`` (cached per representation value).

    >>> from groupkit import Lorentz, V
    >>> geo = space_geometry(V(Lorentz()))
    >>> geo.forms.shape, geo.compact              # the Minkowski metric, indefinite
    ((1, 4, 4), False)
    """
    if not isinstance(space, Rep):
        raise RepError(f"space must be a groupkit representation; got {type(space).__name__}.")
    if space.is_complex:
        raise RepError(f"kernels need a real space of positions; {space} is complex.")
    n = space.size
    if space.group is None or space == Scalar:
        return SpaceGeometry(space, np.eye(n)[None], np.eye(n), True)
    forms = invariant_quadratic_forms(space)
    F = list(forms)
    if not F:
        return SpaceGeometry(space, forms, None, False)
    # Projection of the identity onto span(F): equal to I when the action is orthogonal.
    M = sum(np.sum(f * np.eye(n)) * f for f in F)
    if np.linalg.norm(M) < 1e-8:
        M = F[0]
    w = np.linalg.eigvalsh(M)
    if w.min() > 1e-8 * abs(w).max():
        if np.allclose(M, np.eye(n), atol=1e-10):
            M = np.eye(n)
        return SpaceGeometry(space, forms, _snap(M), True)
    if w.max() < -1e-8 * abs(w).max():
        return SpaceGeometry(space, forms, _snap(-M), True)
    M = _snap(M / np.abs(w).max())
    return SpaceGeometry(space, forms, M, False)

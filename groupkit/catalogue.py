"""The library of groups: classical Lie groups, finite groups and the Rubik's cube.

Conventions (shared with emlp where it has the same group): ``Sp(m)`` acts on R^{2m} and preserves
J = [[0, I], [-I, 0]]; ``Lorentz()`` acts on (t, x, y, z) and preserves diag(1, -1, -1, -1);
``Z(n)`` is the cyclic shift on R^n; ``C(k)`` and ``D(k)`` act on the plane R².

>>> from groupkit import SO, Lorentz, RubiksCube
>>> SO(3).lie_algebra.shape, Lorentz().discrete_generators.shape, RubiksCube().d
((3, 3, 3), (2, 4, 4), 48)
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._named import _check_n, _Named, _stats
from .finite_groups import (A, C, D, FullIcosahedral, FullOctahedral, FullTetrahedral,
                            Icosahedral, Octahedral, RubiksCube, S, Tetrahedral, Trivial, Z,
                            from_permutations, from_sympy)

__all__ = [
    "SO", "O", "SL", "GL", "SU", "U", "Sp", "Lorentz", "SO13p", "SO13",
    "S", "A", "Z", "C", "D", "Trivial", "Tetrahedral", "Octahedral", "Icosahedral",
    "FullTetrahedral", "FullOctahedral", "FullIcosahedral", "RubiksCube",
    "from_permutations", "from_sympy",
]


def _antisymmetric_basis(n: int) -> np.ndarray:
    gens = []
    for i in range(n):
        for j in range(i + 1, n):
            A = np.zeros((n, n))
            A[i, j], A[j, i] = -1.0, 1.0
            gens.append(A)
    return np.array(gens).reshape(-1, n, n)


def _reflection(n: int) -> np.ndarray:
    r = np.eye(n)
    r[0, 0] = -1.0
    return r


class SO(_Named):
    """Rotations of R^n (Haar-distributed samples).

    >>> from groupkit import SO, V, solve
    >>> G = SO(3)
    >>> G, G.d, len(G.lie_algebra)
    (SO(3), 3, 3)
    >>> solve(V(G)**2, V(G)).dim          # the cross product
    1
    """

    def __init__(self, n: int):
        self.n = _check_n(n)
        super().__init__(f"SO({n})", (), _antisymmetric_basis(n), d=n)

    def _sample(self, rng):
        if self.n == 1:
            return np.eye(1)
        return _stats().special_ortho_group.rvs(self.n, random_state=rng).reshape(self.n, -1)


class O(_Named):
    """Orthogonal group of R^n: rotations and reflections (Haar-distributed samples).

    >>> from groupkit import O, V, solve
    >>> G = O(3)
    >>> len(G.discrete_generators), len(G.lie_algebra)
    (1, 3)
    >>> solve(V(G)**2, V(G)).dim          # a reflection forbids the cross product
    0
    """

    def __init__(self, n: int):
        self.n = _check_n(n)
        super().__init__(f"O({n})", [_reflection(n)], _antisymmetric_basis(n), d=n)

    def _sample(self, rng):
        if self.n == 1:
            return np.array([[rng.choice([-1.0, 1.0])]])
        return _stats().ortho_group.rvs(self.n, random_state=rng).reshape(self.n, -1)


class SL(_Named):
    """Special linear group of R^n (determinant one).

    >>> from groupkit import SL, V, Scalar, solve
    >>> G = SL(3)
    >>> len(G.lie_algebra)
    8
    >>> solve(V(G)**3, Scalar).dim        # the determinant, ε_ijk
    1
    """

    def __init__(self, n: int):
        self.n = n = _check_n(n, 2)
        gens = []
        for i in range(n):
            for j in range(n):
                if i != j:
                    A = np.zeros((n, n))
                    A[i, j] = 1.0
                    gens.append(A)
        for i in range(n - 1):
            A = np.zeros((n, n))
            A[i, i], A[i + 1, i + 1] = 1.0, -1.0
            gens.append(A)
        super().__init__(f"SL({n})", (), gens, d=n)

    def _sample(self, rng):
        # Cartan decomposition SL(n) = SO(n) A SO(n), A = diag(e^s) with Σ s = 0.
        s = rng.uniform(-_LOG_STRETCH, _LOG_STRETCH, size=self.n)
        return _stretch(rng, self.n, s - s.mean(), special=True)


class GL(_Named):
    """General linear group of R^n (both signs of the determinant).

    >>> from groupkit import GL, V, solve
    >>> G = GL(2)
    >>> len(G.lie_algebra)
    4
    >>> solve(V(G) >> V(G), V(G) >> V(G)).dim   # W ↦ W and W ↦ tr(W)·I
    2
    """

    def __init__(self, n: int):
        self.n = n = _check_n(n)
        gens = []
        for i in range(n):
            for j in range(n):
                A = np.zeros((n, n))
                A[i, j] = 1.0
                gens.append(A)
        super().__init__(f"GL({n})", [_reflection(n)], gens, d=n)

    def _sample(self, rng):
        # GL(n) = O(n) A O(n): both signs of the determinant, singular values e^s.
        return _stretch(rng, self.n, rng.uniform(-_LOG_STRETCH, _LOG_STRETCH, size=self.n),
                        special=False)


# Non-compact groups are sampled as K·diag(e^s)·K' (Cartan decomposition) with |s_i| bounded, so
# samples reach far from the compact part (condition numbers up to e^{2·_LOG_STRETCH} ≈ 20) without
# the float64 round-off of tensor powers of huge matrices swamping every equivariance check.
_LOG_STRETCH = 1.5


def _stretch(rng, n: int, s: np.ndarray, special: bool) -> np.ndarray:
    """U diag(e^s) V with U, V Haar in SO(n) (special) or O(n)."""
    dist = _stats().special_ortho_group if special else _stats().ortho_group
    if n == 1:
        U, V = (np.eye(1) if special else np.array([[rng.choice([-1.0, 1.0])]])), np.eye(1)
    else:
        U = dist.rvs(n, random_state=rng).reshape(n, n)
        V = dist.rvs(n, random_state=rng).reshape(n, n)
    return U @ np.diag(np.exp(s)) @ V


def _unitary_algebra(n: int, special: bool) -> np.ndarray:
    gens = []
    for i in range(n):
        for j in range(i + 1, n):
            A = np.zeros((n, n), complex)
            A[i, j], A[j, i] = -1.0, 1.0
            gens.append(A)
            B = np.zeros((n, n), complex)
            B[i, j] = B[j, i] = 1j
            gens.append(B)
    diag = range(n - 1) if special else range(n)
    for i in diag:
        A = np.zeros((n, n), complex)
        A[i, i] = 1j
        if special:
            A[i + 1, i + 1] = -1j
        gens.append(A)
    return np.array(gens).reshape(-1, n, n)


class U(_Named):
    """Unitary group of C^n (complex; Haar-distributed samples).

    >>> from groupkit import U, V, solve
    >>> G = U(2)
    >>> G.is_complex, len(G.lie_algebra)
    (True, 4)
    >>> solve(V(G), V(G)).dim             # Schur: only multiples of the identity
    1
    """

    def __init__(self, n: int):
        self.n = _check_n(n)
        super().__init__(f"U({n})", (), _unitary_algebra(self.n, special=False), d=self.n)

    def _sample(self, rng):
        return _stats().unitary_group.rvs(self.n, random_state=rng).reshape(self.n, self.n)


class SU(_Named):
    """Special unitary group of C^n (complex; Haar-distributed samples).

    >>> from groupkit import SU, V, Scalar, solve
    >>> G = SU(2)
    >>> len(G.lie_algebra)
    3
    >>> solve(V(G)**2, Scalar).dim        # the antisymmetric form ε_ij
    1
    """

    def __init__(self, n: int):
        self.n = _check_n(n, 2)
        super().__init__(f"SU({n})", (), _unitary_algebra(self.n, special=True), d=self.n)

    def _sample(self, rng):
        g = _stats().unitary_group.rvs(self.n, random_state=rng).reshape(self.n, self.n)
        return g / np.linalg.det(g) ** (1.0 / self.n)


class Sp(_Named):
    """Real symplectic group Sp(2m, R) acting on R^{2m}, preserving J = [[0, I], [-I, 0]].

    >>> from groupkit import Sp, V, Scalar, equivariant_basis
    >>> G = Sp(1)
    >>> G.d
    2
    >>> equivariant_basis(V(G)**2, Scalar, exact=True).reshape(2, 2)  # ±J, the symplectic form
    Matrix([
    [0, -1],
    [1,  0]])
    """

    def __init__(self, m: int):
        self.m = m = _check_n(m)
        gens = []
        for i in range(m):
            for j in range(m):
                A = np.zeros((2 * m, 2 * m))
                A[i, j], A[m + j, m + i] = 1.0, -1.0
                gens.append(A)
        for i in range(m):
            for j in range(i + 1):
                B = np.zeros((2 * m, 2 * m))
                B[i, m + j] = B[j, m + i] = 1.0
                gens.append(B)
                Cm = np.zeros((2 * m, 2 * m))
                Cm[m + i, j] = Cm[m + j, i] = 1.0
                gens.append(Cm)
        super().__init__(f"Sp({m})", (), gens, d=2 * m)

    def _sample(self, rng):
        # Sp(2m, R) = K A K with K = Sp ∩ O(2m) ≅ U(m) (u = X + iY ↦ [[X, −Y], [Y, X]]) and
        # A = diag(e^s, e^{−s}).
        m = self.m
        ks = []
        for _ in range(2):
            u = _stats().unitary_group.rvs(m, random_state=rng).reshape(m, m)
            ks.append(np.block([[u.real, -u.imag], [u.imag, u.real]]))
        s = rng.uniform(-_LOG_STRETCH, _LOG_STRETCH, size=m)
        return ks[0] @ np.diag(np.exp(np.concatenate([s, -s]))) @ ks[1]


def _lorentz_algebra() -> np.ndarray:
    gens = []
    for i in range(1, 4):  # boosts along x, y, z
        A = np.zeros((4, 4))
        A[0, i] = A[i, 0] = 1.0
        gens.append(A)
    for R in _antisymmetric_basis(3):  # rotations of (x, y, z)
        A = np.zeros((4, 4))
        A[1:, 1:] = R
        gens.append(A)
    return np.array(gens)


class SO13p(_Named):
    """Proper orthochronous Lorentz group SO⁺(1,3) on (t, x, y, z).

    >>> from groupkit import SO13p, V, Scalar, solve
    >>> G = SO13p()
    >>> G, len(G.lie_algebra)             # three boosts, three rotations
    (SO⁺(1,3), 6)
    >>> solve(V(G)**4, Scalar).dim        # η⊗η three ways, and ε_μνρσ
    4
    """

    def __init__(self):
        super().__init__("SO⁺(1,3)", (), _lorentz_algebra(), d=4)

    def _sample(self, rng):
        return _lorentz_sample(rng, self.lie_algebra)


class SO13(_Named):
    """Special Lorentz group SO(1,3): SO⁺(1,3) together with −I.

    >>> from groupkit import SO13, V, Scalar, solve
    >>> G = SO13()
    >>> G, len(G.discrete_generators)
    (SO(1,3), 1)
    >>> solve(V(G), Scalar).dim           # −I kills invariant vectors of odd rank
    0
    """

    def __init__(self):
        super().__init__("SO(1,3)", [-np.eye(4)], _lorentz_algebra(), d=4)

    def _sample(self, rng):
        g = _lorentz_sample(rng, self.lie_algebra)
        return -g if rng.random() < 0.5 else g  # both components, SO⁺(1,3) and −SO⁺(1,3)


class Lorentz(_Named):
    """The full Lorentz group O(1,3) on (t, x, y, z), metric diag(1, -1, -1, -1): boosts,
    rotations, parity P = diag(1, -1, -1, -1) and time reversal T = diag(-1, 1, 1, 1).

    >>> from groupkit import Lorentz, V, Scalar, equivariant_basis
    >>> G = Lorentz()
    >>> G, G.d
    (O(1,3), 4)
    >>> eta = equivariant_basis(V(G)**2, Scalar, exact=True).reshape(4, 4)
    >>> [eta[i, i] for i in range(4)]     # the Minkowski metric (up to sign)
    [1, -1, -1, -1]
    """

    def __init__(self):
        P = np.diag([1.0, -1.0, -1.0, -1.0])
        T = np.diag([-1.0, 1.0, 1.0, 1.0])
        super().__init__("O(1,3)", [P, T], _lorentz_algebra(), d=4)

    def _sample(self, rng):
        P, T = self.discrete_generators
        g = _lorentz_sample(rng, self.lie_algebra)
        if rng.random() < 0.5:
            g = P @ g
        if rng.random() < 0.5:
            g = T @ g
        return g


def _lorentz_sample(rng, algebra) -> np.ndarray:
    """A rotation (Haar) times a boost of rapidity up to about 2 (γ up to about 4)."""
    R = np.eye(4)
    R[1:, 1:] = _stats().special_ortho_group.rvs(3, random_state=rng)
    direction = rng.normal(size=3)
    direction /= np.linalg.norm(direction)
    rapidity = rng.uniform(0.0, 2.0)
    boost = scipy.linalg.expm(rapidity * np.tensordot(direction, algebra[:3], axes=1))
    return boost @ R



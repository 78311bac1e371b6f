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

from functools import cached_property

from ._sympow import perm_parity
from .groups import Group, GroupError, permutation_key


__all__ = [
    "SO", "O", "SL", "GL", "SU", "U", "Sp", "Lorentz", "SO13p", "SO13",
    "S", "A", "Z", "C", "D", "Trivial", "Tetrahedral", "Octahedral", "Icosahedral",
    "FullTetrahedral", "FullOctahedral", "FullIcosahedral", "RubiksCube",
    "from_permutations", "from_sympy",
]


def _stats():
    # scipy.stats takes half a second to import; only sampling needs it.
    import scipy.stats

    return scipy.stats


def _check_n(n, least: int = 1, what: str = "n") -> int:
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < least:
        raise GroupError(f"{what} must be an integer ≥ {least}; got {n!r}.")
    return int(n)


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


class _Named(Group):
    """A library group: its name is part of how it prints, and it may know its Haar measure."""

    def __init__(self, name, discrete_generators=(), lie_algebra=(), *, d=None):
        super().__init__(discrete_generators, lie_algebra, d=d, name=name)


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


# -- finite groups ---------------------------------------------------------------------------

def _perm_matrix(perm) -> np.ndarray:
    """Matrix P with P e_i = e_{perm[i]}."""
    perm = np.asarray(perm, dtype=int)
    n = len(perm)
    if sorted(perm.tolist()) != list(range(n)):
        raise GroupError(f"not a permutation of 0..{n - 1}: {perm.tolist()}.")
    P = np.zeros((n, n))
    P[perm, np.arange(n)] = 1.0
    return P


class _PermutationGroup(_Named):
    """A finite group given by permutations of n points, acting on R^n by permutation matrices.

    The generators are kept as permutations (``perm_array``, (k, n) ints); their n × n matrices
    are built only when something asks for ``discrete_generators``, so S(10_000) costs nothing
    until then (the orbit and partition solvers never ask)."""

    def __init__(self, name, perms, n):
        a = np.array([np.asarray(p, dtype=np.int64) for p in perms], dtype=np.int64)
        a = a.reshape(-1, n)
        for p in a:
            if p.min(initial=0) < 0 or p.max(initial=0) >= n or \
                    np.any(np.bincount(p, minlength=n) != 1):
                raise GroupError(f"not a permutation of 0..{n - 1}: {p.tolist()}.")
        a.setflags(write=False)
        self.perm_array = a
        self._a = np.zeros((0, n, n))
        self._a.setflags(write=False)
        self._d, self._name = int(n), name

    @cached_property
    def perms(self) -> tuple[tuple[int, ...], ...]:
        """The generators as tuples p with i ↦ p[i]."""
        return tuple(tuple(p) for p in self.perm_array.tolist())

    @cached_property
    def _h(self) -> np.ndarray:
        h = np.stack([_perm_matrix(p) for p in self.perm_array]) if len(self.perm_array) \
            else np.zeros((0, self._d, self._d))
        h.setflags(write=False)
        return h

    @cached_property
    def key(self) -> str:
        return permutation_key(self._d, self.perm_array)

    # Known without forming the matrices.
    is_complex = False
    is_finite = is_orthogonal = is_permutation = is_signed_permutation = True


class S(_PermutationGroup):
    """Symmetric group on n points (uniformly random samples).

    >>> from groupkit import S, V, solve
    >>> G = S(5)
    >>> G.is_permutation, len(G.discrete_generators)   # a swap and a 5-cycle
    (True, 2)
    >>> solve(V(G)**2, V(G)**2).dim       # the Bell number B(4)
    15
    """

    def __init__(self, n: int):
        n = _check_n(n)
        self.n = n
        swap = np.arange(n)
        if n > 1:
            swap[[0, 1]] = [1, 0]
        cycle = np.roll(np.arange(n), -1)  # i ↦ i + 1 mod n
        perms = [swap, cycle] if n > 2 else ([swap] if n == 2 else [])
        super().__init__(f"S({n})", perms, n)

    def _sample(self, rng):
        return _perm_matrix(rng.permutation(self.n))


class A(_PermutationGroup):
    """Alternating group on n points: the even permutations, acting on R^n (uniform samples).
    Generated by the 3-cycle (0 1 2) and an (n or n−1)-cycle.

    >>> from groupkit import A, V, solve
    >>> A(5).order(), solve(V(A(5))**3, V(A(5))**3).dim  # S(5) has 202: orbits split
    (60, 282)
    >>> solve(V(A(8))**3, V(A(8))**3).dim  # on 6-tuples, A(n) and S(n) agree once n ≥ 8
    203
    """

    def __init__(self, n: int):
        n = _check_n(n)
        self.n = n
        perms = []
        if n >= 3:
            perms.append([1, 2, 0] + list(range(3, n)))
        if n >= 4:
            start = 0 if n % 2 else 1  # an odd-length cycle is even
            cyc = list(range(n))
            for i in range(start, n):
                cyc[i] = i + 1 if i + 1 < n else start
            perms.append(cyc)
        super().__init__(f"A({n})", perms, n)

    def _sample(self, rng):
        p = rng.permutation(self.n)
        if self.n >= 2 and perm_parity(p):
            p[[0, 1]] = p[[1, 0]]
        return _perm_matrix(p)


class Z(_PermutationGroup):
    """Cyclic group of order n acting on R^n by the cyclic shift.

    >>> from groupkit import Z, V, solve
    >>> solve(V(Z(5)), V(Z(5))).dim       # circulant matrices: convolutions
    5
    """

    def __init__(self, n: int):
        self.n = n = _check_n(n)
        super().__init__(f"Z({n})", [[(i + 1) % n for i in range(n)]] if n > 1 else [], n)


def _rotation2(theta: float) -> np.ndarray:
    m = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    # cos(π/2) is 6e-17 in floating point; snapping multiples of 1/2 keeps the entries of C(4)
    # and D(4) exactly rational (so they have exact solves) and D(6)'s ±1/2 exact. D(6) still
    # holds ±√3/2, which is irrational: it has no exact (rational) solve.
    snapped = np.round(2 * m) / 2
    return np.where(np.abs(m - snapped) < 1e-14, snapped, m)


class C(_Named):
    """Cyclic group of order k: rotations of the plane by multiples of 2π/k.

    >>> from groupkit import C, V, solve
    >>> G = C(4)
    >>> G.discrete_generators[0]
    array([[ 0., -1.],
           [ 1.,  0.]])
    >>> solve(V(G), V(G)).dim             # a·I + b·R(90°): the complex numbers
    2
    """

    def __init__(self, k: int):
        self.k = k = _check_n(k)
        super().__init__(f"C({k})", [_rotation2(2 * np.pi / k)], (), d=2)


class D(_Named):
    """Dihedral group of order 2k: symmetries of the regular k-gon in the plane.

    >>> from groupkit import D, V, solve
    >>> G = D(4)
    >>> len(G.discrete_generators)        # a rotation by 2π/k and a mirror
    2
    >>> solve(V(G)**2, V(G)**2).dim
    4
    """

    def __init__(self, k: int):
        self.k = k = _check_n(k)
        super().__init__(f"D({k})", [_rotation2(2 * np.pi / k), np.diag([-1.0, 1.0])], (), d=2)


class Trivial(_Named):
    """The trivial group {I} on R^n: every linear map is equivariant.

    >>> from groupkit import Trivial, V, solve
    >>> solve(V(Trivial(3)), V(Trivial(3))).dim
    9
    """

    def __init__(self, n: int):
        super().__init__(f"Trivial({_check_n(n)})", (), (), d=n)


_CYCLE3 = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # 120° about (1,1,1)


class Tetrahedral(_Named):
    """Rotation group of the tetrahedron (order 12) in SO(3).

    >>> from groupkit import Tetrahedral, V, Scalar, solve
    >>> solve(V(Tetrahedral())**3, Scalar).dim   # ε_ijk and |ε_ijk|
    2
    """

    def __init__(self):
        super().__init__("T", [_CYCLE3, np.diag([1.0, -1.0, -1.0])], (), d=3)


class FullTetrahedral(_Named):
    """Full symmetry group T_d of the tetrahedron (order 24) in O(3).

    >>> from groupkit import FullTetrahedral, V, Scalar, solve
    >>> solve(V(FullTetrahedral())**3, Scalar).dim   # |ε_ijk| survives the mirrors
    1
    """

    def __init__(self):
        swap = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # mirror x=y
        super().__init__("T_d", [_CYCLE3, np.diag([1.0, -1.0, -1.0]), swap], (), d=3)


_QUARTER_Z = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


class Octahedral(_Named):
    """Rotation group of the cube/octahedron (order 24) in SO(3).

    >>> from groupkit import Octahedral, V, Scalar, solve
    >>> solve(V(Octahedral())**4, Scalar).dim    # three δδ pairings and Σ_i x_i⁴
    4
    """

    def __init__(self):
        super().__init__("O", [_QUARTER_Z, _CYCLE3], (), d=3)


class FullOctahedral(_Named):
    """Full symmetry group O_h of the cube (order 48) in O(3): rotations and −I.

    >>> from groupkit import FullOctahedral, V, Scalar, solve
    >>> solve(V(FullOctahedral())**3, Scalar).dim   # −I kills every odd rank
    0
    """

    def __init__(self):
        super().__init__("O_h", [_QUARTER_Z, _CYCLE3, -np.eye(3)], (), d=3)


def _icosahedral_five_fold() -> np.ndarray:
    phi = (1 + 5 ** 0.5) / 2
    return 0.5 * np.array([[phi - 1, -phi, 1.0], [phi, 1.0, phi - 1], [-1.0, phi - 1, phi]])


class Icosahedral(_Named):
    """Rotation group of the icosahedron (order 60) in SO(3); entries involve the golden ratio,
    so it has no exact (rational) solve.

    >>> from groupkit import Icosahedral, V, Scalar, solve
    >>> solve(V(Icosahedral())**4, Scalar).dim   # no quartic beyond those of SO(3)
    3
    """

    def __init__(self):
        super().__init__("I", [_CYCLE3, _icosahedral_five_fold()], (), d=3)


class FullIcosahedral(_Named):
    """Full symmetry group I_h of the icosahedron (order 120) in O(3): rotations and −I.

    >>> from groupkit import FullIcosahedral, V, Scalar, solve
    >>> solve(V(FullIcosahedral())**2, Scalar).dim
    1
    """

    def __init__(self):
        super().__init__("I_h", [_CYCLE3, _icosahedral_five_fold(), -np.eye(3)], (), d=3)


class RubiksCube(_PermutationGroup):
    """The Rubik's cube group acting on the 48 movable facelets (6 quarter turns; order
    43,252,003,274,489,856,000). Facelet numbering is sympy's ``rubik_cube_generators``.

    >>> from groupkit import RubiksCube, V, solve
    >>> G = RubiksCube()
    >>> G.d, len(G.discrete_generators)
    (48, 6)
    >>> solve(V(G), V(G)).dim             # orbits of the group on pairs of facelets
    9
    """

    def __init__(self):
        from sympy.combinatorics.generators import rubik_cube_generators

        perms = [p.array_form for p in rubik_cube_generators()]
        super().__init__("RubiksCube", perms, 48)


def from_permutations(perms, n: int | None = None, *, name: str | None = None) -> Group:
    """The group generated by permutations of {0, …, n−1} (each a list p with i ↦ p[i]),
    acting on R^n by permutation matrices.

    >>> from groupkit import from_permutations, V, solve
    >>> G = from_permutations([[1, 2, 0, 3]], name="C3 on 4 points")
    >>> G, G.d
    (C3 on 4 points, 4)
    >>> solve(V(G), V(G)).dim             # 3 (circulants on the cycle) + 1 + 1 + 1
    6
    """
    perms = [list(p) for p in perms]
    if n is None:
        if not perms:
            raise GroupError("from_permutations needs n when no permutation is given.")
        n = len(perms[0])
    if any(len(p) != n for p in perms):
        raise GroupError(f"every permutation must have length n = {n}.")
    return _PermutationGroup(name or f"Perm({n}, k={len(perms)})", perms, n)


def from_sympy(group, *, name: str | None = None) -> Group:
    """The permutation representation of a ``sympy.combinatorics.PermutationGroup``.

    >>> from sympy.combinatorics.named_groups import AlternatingGroup
    >>> from groupkit import from_sympy, V, solve
    >>> G = from_sympy(AlternatingGroup(4), name="A4")
    >>> G, G.d
    (A4, 4)
    >>> solve(V(G), V(G)).dim             # A4 is 2-transitive: I and the all-ones matrix
    2
    """
    from sympy.combinatorics import PermutationGroup

    if not isinstance(group, PermutationGroup):
        raise GroupError(
            f"from_sympy takes a sympy.combinatorics.PermutationGroup; got {type(group).__name__}."
        )
    return from_permutations([g.array_form for g in group.generators], group.degree,
                             name=name or f"PermutationGroup(degree={group.degree})")

"""Representations as immutable expressions with a math-like algebra.

``+`` direct sum, ``k*R`` multiplicity, ``*`` tensor product, ``**k`` tensor power, ``.T`` dual,
``R1 >> R2`` the representation on linear maps R1 → R2 (that is R2 ⊗ R1*). Representations of
different groups combine as representations of their direct product (as in emlp).

Conventions: ``rep.rho(g)`` is the (size, size) matrix of a group element g (a (d, d) matrix of
``rep.group``); ``rep.drho(A)`` the matrix of a Lie-algebra element. The dual acts by
ρ*(g) = ρ(g)^{-T}, so a map W: R1 → R2 transforms as W ↦ ρ2(g) W ρ1(g)^{-1}, and its row-major
flattening vec(W)[i·n1 + j] = W[i, j] transforms by ρ2(g) ⊗ ρ1*(g).

>>> from groupkit import SO, V, Scalar
>>> G = SO(3)
>>> R = V(G)**2 + 3*V(G) + Scalar
>>> R, R.size
(V⊗V+3V+1, 19)
>>> V(G) >> V(G)  # V* = V for an orthogonal group
V⊗V
>>> from groupkit import SL, S
>>> V(SL(3)) >> V(SL(3))**2
V⊗V⊗V*
>>> V(G) * V(S(4))
V[SO(3)]⊗V[S(4)]
"""

from __future__ import annotations

import re
from functools import cached_property
from collections.abc import Callable

import numpy as np

from ._keys import array_digest, text_digest
from .groups import Group

__all__ = [
    "Rep", "RepError", "V", "Vector", "Scalar", "T", "Sym", "Alt", "UserRep",
    "direct_sum", "tensor", "dual", "hom",
]


class RepError(ValueError):
    """Representations that cannot be built or combined.

    >>> from groupkit import T, RepError
    >>> try:
    ...     T(-1)
    ... except RepError as e:
    ...     print(e)
    T(p, q): p must be a non-negative integer; got -1.
    """


class Rep:
    """Base class of representations: immutable, hashable, compared by ``key``.

    The algebra: ``+`` direct sum, ``k*R`` k copies, ``*`` tensor product, ``**k`` tensor power,
    ``.T`` dual, ``R >> S`` the maps R → S.

    >>> import numpy as np
    >>> from groupkit import SO, V, Scalar
    >>> G = SO(3)
    >>> R = V(G)**2 + 3*V(G) + Scalar
    >>> R, R.size
    (V⊗V+3V+1, 19)
    >>> R.rho(G.sample(rng=0)).shape      # the matrix of a group element
    (19, 19)
    >>> (V(G) >> V(G)).size
    9
    """

    group: Group | None = None  # None: a representation of every group (Scalar)

    # -- to be provided by subclasses --------------------------------------------------------
    @property
    def size(self) -> int:
        raise NotImplementedError

    def rho(self, g: np.ndarray) -> np.ndarray:
        """Matrix (size, size) of the group element ``g`` (a (d, d) matrix of ``self.group``)."""
        raise NotImplementedError

    def drho(self, A: np.ndarray) -> np.ndarray:
        """Matrix (size, size) of the Lie-algebra element ``A`` (a (d, d) matrix)."""
        raise NotImplementedError

    def _encode(self) -> str:
        raise NotImplementedError

    # -- structure used by the solver --------------------------------------------------------
    def summands(self) -> tuple["Rep", ...]:
        """The flattened direct summands (``(self,)`` unless this is a sum)."""
        return (self,)

    def factors(self) -> tuple["Rep", ...]:
        """The flattened tensor factors (``(self,)`` unless this is a tensor product)."""
        return (self,)

    @property
    def is_complex(self) -> bool:
        return self.group is not None and self.group.is_complex

    # -- values ------------------------------------------------------------------------------
    @cached_property
    def key(self) -> str:
        """Stable digest of the expression (and its group)."""
        return text_digest(type(self).__name__, self._encode())

    def __eq__(self, other) -> bool:
        return isinstance(other, Rep) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __setattr__(self, name, value):
        # Attributes are set once, in __init__; a representation never changes afterwards.
        if name in self.__dict__:
            raise AttributeError(f"{type(self).__name__} is immutable")
        object.__setattr__(self, name, value)

    # -- algebra -----------------------------------------------------------------------------
    def __add__(self, other):
        if isinstance(other, (int, np.integer)) and not isinstance(other, bool):
            if other == 0:
                return self
            return direct_sum(self, int(other) * Scalar)
        if not isinstance(other, Rep):
            return NotImplemented
        return direct_sum(self, other)

    def __radd__(self, other):
        if isinstance(other, (int, np.integer)) and not isinstance(other, bool):
            if other == 0:  # so that sum([...]) works
                return self
            return direct_sum(int(other) * Scalar, self)
        return NotImplemented

    def __mul__(self, other):
        if isinstance(other, (int, np.integer)) and not isinstance(other, bool):
            return _multiple(self, int(other))
        if not isinstance(other, Rep):
            return NotImplemented
        return tensor(self, other)

    def __rmul__(self, other):
        if isinstance(other, (int, np.integer)) and not isinstance(other, bool):
            return _multiple(self, int(other))
        return NotImplemented

    def __pow__(self, k):
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
            raise RepError(
                f"a tensor power needs a non-negative integer exponent; got {k!r}. "
                "Use Sym(rep, k) or Alt(rep, k) for symmetric or antisymmetric powers."
            )
        if k == 0:
            return Scalar
        return tensor(*([self] * int(k)))

    def __rshift__(self, other):
        if not isinstance(other, Rep):
            return NotImplemented
        return hom(self, other)

    def __lshift__(self, other):
        if not isinstance(other, Rep):
            return NotImplemented
        return hom(other, self)

    @property
    def T(self) -> "Rep":
        """The dual representation ρ*(g) = ρ(g)^{-T}."""
        return dual(self)

    def __call__(self, G: Group) -> "Rep":
        """Bind to (lift into) the group ``G``; see :func:`lift`."""
        return lift(self, G)

    def __repr__(self) -> str:
        return self._str()

    def _str(self, prec: int = 0) -> str:
        raise NotImplementedError

    def _repr_latex_(self) -> str:
        s = self._str()
        s = re.sub(r"\^⊗(\d+)", r"^{\\otimes \1}", s)
        s = re.sub(r"(Λ|Sym)\^(\d+)", lambda m: ("\\Lambda" if m[1] == "Λ" else "\\mathrm{Sym}")
                   + "^{" + m[2] + "}", s)
        s = re.sub(r"\[([^\]]+)\]", r"_{\\mathrm{\1}}", s)
        s = s.replace("⊗", r" \otimes ").replace("*", "^*")
        return f"${s}$"


def _check_group_element(rep: Rep, g: np.ndarray, what: str) -> np.ndarray:
    g = np.asarray(g)
    d = rep.group.d if rep.group is not None else None
    if g.ndim != 2 or g.shape[0] != g.shape[1] or (d is not None and g.shape[0] != d):
        raise RepError(
            f"{what} must be a ({d}, {d}) matrix of {rep.group}; got shape {g.shape}."
        )
    return g


# -- leaves ----------------------------------------------------------------------------------

class _ScalarRep(Rep):
    """The trivial one-dimensional representation of every group (``Scalar``).

    >>> import numpy as np
    >>> from groupkit import SO, V, Scalar, solve
    >>> Scalar.size, Scalar.rho(np.eye(3))
    (1, array([[1.]]))
    >>> solve(V(SO(3))**2, Scalar).dim    # invariant bilinear forms: δ_ij
    1
    """

    group = None

    @property
    def size(self) -> int:
        return 1

    def rho(self, g):
        return np.ones((1, 1), dtype=np.result_type(np.asarray(g).dtype, np.float64))

    def drho(self, A):
        return np.zeros((1, 1), dtype=np.result_type(np.asarray(A).dtype, np.float64))

    def _encode(self):
        return "1"

    def _str(self, prec=0):
        return "1"


Scalar = _ScalarRep()


class Vector(Rep):
    """The standard (defining) representation ρ(g) = g of a matrix group. ``V(G)`` builds it."""

    def __init__(self, G: Group):
        if type(G).__module__.startswith("emlp."):  # an emlp group: bring it over
            from .interop import from_emlp

            G = from_emlp(G)
        if not isinstance(G, Group):
            raise RepError(f"V(G) needs a Group; got {type(G).__name__}.")
        self.group = G

    @property
    def size(self) -> int:
        return self.group.d

    def rho(self, g):
        return _check_group_element(self, g, "g")

    def drho(self, A):
        return _check_group_element(self, A, "A")

    def _encode(self):
        return self.group.key

    def _str(self, prec=0):
        return "V"


def V(G: Group) -> Vector:
    """The standard representation of ``G`` on R^d (or C^d).

    >>> from groupkit import O
    >>> V(O(5)).size
    5
    """
    return Vector(G)


class UserRep(Rep):
    """A representation given by functions: ``rho(g)`` and, for continuous groups, ``drho(A)``.

    Equality is by value: two user representations are equal when their name, size and the
    matrices of all group generators agree.

    >>> import numpy as np
    >>> from groupkit import SO
    >>> det = UserRep(SO(3), lambda g: np.linalg.det(g).reshape(1, 1),
    ...               lambda A: np.trace(A).reshape(1, 1), size=1, name="det")
    >>> det.size, det
    (1, det)
    """

    def __init__(self, G: Group, rho: Callable, drho: Callable | None = None, *, size: int,
                 name: str = "ρ"):
        if not isinstance(G, Group):
            raise RepError(f"UserRep needs a Group; got {type(G).__name__}.")
        if not isinstance(size, (int, np.integer)) or size < 1:
            raise RepError(f"size must be a positive integer; got {size!r}.")
        if drho is None and G.lie_algebra.shape[0]:
            raise RepError(
                f"{G} is continuous (it has a Lie algebra), so UserRep needs drho(A), the "
                "derivative of rho at the identity along A."
            )
        self.group = G
        self._rho, self._drho = rho, drho
        self._size, self._name = int(size), name
        # Evaluate once on every generator: validates shapes and gives a value-based key.
        images = [self.rho(h) for h in G.discrete_generators]
        images += [self.drho(A) for A in G.lie_algebra]
        self._images_digest = text_digest(*[array_digest(m) for m in images])
        self._check_homomorphism()

    def _check_homomorphism(self, tol: float = 1e-6) -> None:
        """ρ(gh) = ρ(g)ρ(h) on random words in the generators, ρ(I) = I, dρ([A, B]) =
        [dρ(A), dρ(B)] and ρ(exp tA) = exp(t dρ(A)) (seeded, so reproducible); a RepError says
        which identity fails."""
        import scipy.linalg

        G, rng = self.group, np.random.default_rng(12)
        d = G.d
        dtype = np.result_type(G.discrete_generators.dtype, G.lie_algebra.dtype, float)

        def close(x, y, what):
            err = np.abs(x - y).max() / max(1.0, np.abs(x).max(), np.abs(y).max())
            if err > tol:
                raise RepError(
                    f"the user representation {self._name} is not a homomorphism: {what} "
                    f"(relative error {err:.1e}). Check rho (and drho, its derivative).")

        close(self.rho(np.eye(d, dtype=dtype)), np.eye(self._size), "ρ(I) ≠ I")
        k = G.discrete_generators.shape[0]
        if k:
            for _ in range(3):
                words = [[G.discrete_generators[i]
                          for i in rng.integers(k, size=rng.integers(1, 5))] for _ in range(2)]
                g, h = (np.linalg.multi_dot([np.eye(d)] + w) for w in words)
                close(self.rho(g @ h), self.rho(g) @ self.rho(h), "ρ(gh) ≠ ρ(g)ρ(h)")
        A = G.lie_algebra
        if A.shape[0] and self._drho is not None:
            for _ in range(2):
                i, j = rng.integers(A.shape[0], size=2)
                X, Y = self.drho(A[i]), self.drho(A[j])
                close(self.drho(A[i] @ A[j] - A[j] @ A[i]), X @ Y - Y @ X,
                      "dρ([A, B]) ≠ [dρ(A), dρ(B)]")
                t = 0.3 / max(np.abs(A[i]).max(), 1e-300)
                close(self.rho(scipy.linalg.expm(t * A[i])), scipy.linalg.expm(t * X),
                      "ρ(exp tA) ≠ exp(t dρ(A))")

    @property
    def size(self):
        return self._size

    def _call(self, f, x, what):
        m = np.asarray(f(x))
        if m.shape != (self._size, self._size):
            raise RepError(
                f"the user representation {self._name}'s {what} returned shape {m.shape}; "
                f"expected ({self._size}, {self._size})."
            )
        if not np.all(np.isfinite(m)):
            raise RepError(f"the user representation {self._name}'s {what} returned NaN or inf.")
        return m

    def rho(self, g):
        return self._call(self._rho, _check_group_element(self, g, "g"), "rho")

    def drho(self, A):
        if self._drho is None:
            return np.zeros((self._size, self._size))
        return self._call(self._drho, _check_group_element(self, A, "A"), "drho")

    def _encode(self):
        return f"{self._name}|{self._size}|{self.group.key}|{self._images_digest}"

    def _str(self, prec=0):
        return self._name


# The composite nodes live in .rep_algebra, which needs Rep: imported last, and re-exported,
# so that `from groupkit.reps import tensor, _Sum, ...` keeps working.
from .rep_algebra import (T, Alt, Sym, _Composite, _Dual, _Lifted, _multiple,  # noqa: E402,F401
                          _SymmetricPower, _Sum, _Tensor, _unify, direct_sum, dual, hom,
                          lift, tensor)

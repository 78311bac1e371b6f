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

import itertools
import math
import re
import warnings
from functools import cached_property
from collections.abc import Callable, Sequence

import numpy as np

from . import _sympow
from ._keys import array_digest, text_digest
from .groups import DirectProduct, Group, common_group
from .warnings import MixedGroupWarning

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


# -- composite nodes -------------------------------------------------------------------------

class _Lifted(Rep):
    """A representation of a factor (or sub-product) of a direct product, seen as a
    representation of the whole product: ρ(g) = ρ_base(g restricted to the factor's blocks)."""

    def __init__(self, base: Rep, G: DirectProduct, idx: np.ndarray):
        self.base, self.group = base, G
        self._idx = idx

    @property
    def size(self):
        return self.base.size

    def rho(self, g):
        g = _check_group_element(self, g, "g")
        return self.base.rho(g[np.ix_(self._idx, self._idx)])

    def drho(self, A):
        A = _check_group_element(self, A, "A")
        return self.base.drho(A[np.ix_(self._idx, self._idx)])

    @property
    def is_complex(self):
        return self.base.is_complex

    def _encode(self):
        return f"{self.base.key}|{self.group.key}"

    def _str(self, prec=0):
        # Name the factor: V(SO(3)) * V(S(4)) prints V[SO(3)]⊗V[S(4)], not an ambiguous V⊗V.
        return f"{self.base._str(4)}[{self.base.group}]"


def lift(rep: Rep, G: Group) -> Rep:
    """``rep`` as a representation of ``G``, a group of which ``rep.group``'s factors are factors.

    Lifting is pushed through sums, tensor products and duals so that the leaves carry it.
    """
    if rep.group is None or rep.group == G:
        return rep
    if isinstance(rep, (_Sum, _Tensor)):
        return type(rep)(tuple(lift(r, G) for r in rep._parts))
    if isinstance(rep, _Dual):
        return _Dual(lift(rep.base, G))
    if isinstance(rep, _Lifted):
        rep = rep.base
        if rep.group == G:
            return rep
    if not isinstance(G, DirectProduct):
        raise RepError(f"cannot view a representation of {rep.group} as one of {G}.")
    idx = []
    for f in rep.group.factors:
        if f not in G.factors:
            raise RepError(
                f"cannot view a representation of {rep.group} as one of {G}: its factor {f} "
                f"is not a factor of {G}."
            )
        b = G.block(G.factors.index(f))
        idx.extend(range(b.start, b.stop))
    return _Lifted(rep, G, np.array(idx))


def _unify(reps: Sequence[Rep]) -> tuple[Rep, ...]:
    for r in reps:
        if not isinstance(r, Rep):
            raise RepError(f"expected representations; got {type(r).__name__}.")
    try:
        G = common_group([r.group for r in reps])
    except ValueError as e:
        raise RepError(f"cannot combine representations of these groups: {e}") from e
    _warn_implicit_product(reps, G)
    return tuple(lift(r, G) for r in reps) if G is not None else tuple(reps)


def _same_algebra(a, b) -> bool:
    """Whether two Lie groups on one space share their Lie algebra (SO(3) and O(3) do; SO(3) and
    SL(3) do not), i.e. have the same identity component."""
    A, B = a.lie_algebra.reshape(len(a.lie_algebra), -1), b.lie_algebra.reshape(
        len(b.lie_algebra), -1)
    if A.shape[1] != B.shape[1] or np.iscomplexobj(A) != np.iscomplexobj(B):
        return False
    rank = lambda M: np.linalg.matrix_rank(M, tol=1e-8 * max(1.0, np.abs(M).max()))  # noqa: E731
    return rank(A) == rank(B) == rank(np.concatenate([A, B]))


def _warn_implicit_product(reps: Sequence[Rep], G) -> None:
    """Combining reps of different groups builds their direct product implicitly (as in emlp),
    which is what ``V(SO(3)) * V(S(4))`` or ``V(SO(3)) + V(SL(3))`` mean — but ``V(SO(3)) +
    V(O(3))`` (two groups with the same Lie algebra on the same space, the same identity
    component) is almost always a typo for one group: warn then."""
    groups = list(dict.fromkeys(r.group for r in reps if r.group is not None))
    if G is None or len(groups) < 2 or G in groups:
        return
    seen: dict[int, tuple] = {}
    for g in groups:
        for f in g.factors:
            if f.is_finite:  # finite factors beside a Lie group are deliberate products
                continue
            other, owner = seen.get(f.d, (None, None))
            if other is not None and other != f and owner != g and _same_algebra(other, f):
                warnings.warn(
                    f"combining representations of {other} and {f} builds a representation of "
                    f"their direct product {G}, not of one group (both have the same Lie "
                    f"algebra on {f.d}-dimensional space, so this is probably a mix-up). If you "
                    f"meant one group, build every rep from it; if you meant the product, bind "
                    f"the reps to it explicitly, e.g. V(G1)(G) with G = DirectProduct(G1, G2).",
                    MixedGroupWarning, stacklevel=4)
                return
            seen.setdefault(f.d, (f, g))


class _Composite(Rep):
    """A node over a tuple of parts, all representations of one group (or of every group)."""

    def __init__(self, parts: tuple[Rep, ...]):
        self._parts = parts
        groups = {p.group for p in parts if p.group is not None}
        self.group = groups.pop() if groups else None

    @property
    def is_complex(self):
        return any(p.is_complex for p in self._parts)

    def _encode(self):
        return ",".join(p.key for p in self._parts)


class _Sum(_Composite):
    """Direct sum ⊕ R_i: block-diagonal matrices, coordinates concatenated in order."""

    @cached_property
    def size(self):
        return sum(p.size for p in self._parts)

    def summands(self):
        return self._parts

    def _block(self, mats):
        dtype = np.result_type(*[m.dtype for m in mats])
        out = np.zeros((self.size, self.size), dtype=dtype)
        i = 0
        for m in mats:
            n = m.shape[0]
            out[i:i + n, i:i + n] = m
            i += n
        return out

    def rho(self, g):
        return self._block([p.rho(g) for p in self._parts])

    def drho(self, A):
        return self._block([p.drho(A) for p in self._parts])

    def _str(self, prec=0):
        # Consecutive equal summands print with a multiplicity: 3V + V⊗V.
        items = []
        for r, grp in itertools.groupby(self._parts):
            n = len(list(grp))
            s = r._str(3 if n > 1 else 1)
            items.append(s if n == 1 else (str(n) if r == Scalar else f"{n}{s}"))
        s = "+".join(items)
        return f"({s})" if prec > 1 else s


class _Tensor(_Composite):
    """Tensor product ⊗ R_i: Kronecker products, row-major (the last factor varies fastest)."""

    @cached_property
    def size(self):
        return math.prod(p.size for p in self._parts)

    def factors(self):
        return self._parts

    def rho(self, g):
        out = np.ones((1, 1))
        for p in self._parts:
            out = np.kron(out, p.rho(g))
        return out

    def drho(self, A):
        mats = [p.drho(A) for p in self._parts]
        sizes = [m.shape[0] for m in mats]
        dtype = np.result_type(*[m.dtype for m in mats])
        out = np.zeros((self.size, self.size), dtype=dtype)
        for i, m in enumerate(mats):
            left = np.eye(math.prod(sizes[:i]))
            right = np.eye(math.prod(sizes[i + 1:]))
            out += np.kron(np.kron(left, m), right)
        return out

    def _str(self, prec=0):
        items = []
        for r, grp in itertools.groupby(self._parts):
            n = len(list(grp))
            s = r._str(3)
            items.append(s if n == 1 else ("⊗".join([s] * n) if n <= 3 else f"{s}^⊗{n}"))
        s = "⊗".join(items)
        return f"({s})" if prec > 2 else s


class _Dual(Rep):
    """Dual (contragredient) representation ρ*(g) = ρ(g)^{-T}, dρ*(A) = −dρ(A)^T."""

    def __init__(self, base: Rep):
        self.base = base
        self.group = base.group

    @property
    def size(self):
        return self.base.size

    def rho(self, g):
        return np.linalg.inv(self.base.rho(g)).T

    def drho(self, A):
        return -self.base.drho(A).T

    @property
    def is_complex(self):
        return self.base.is_complex

    def _encode(self):
        return self.base.key

    def _str(self, prec=0):
        return self.base._str(4) + "*"


class _SymmetricPower(Rep):
    """Symmetric (or antisymmetric) k-th power: the restriction of R^⊗k to the (anti)symmetric
    tensors, in the basis of symmetrised index tuples (columns of ``basis``).

    That basis has integer entries (0, ±1) and disjoint columns, so ρ_Sym(g) = D⁻¹ Pᵀ ρ(g)^⊗k P
    with D = PᵀP diagonal: rational whenever ρ(g) is, and a (signed) permutation whenever ρ(g)
    is one — exact solves and the orbit solver then apply to symmetric powers too. The matrices
    are computed as permanents / compounds of ρ(g) (:mod:`groupkit._sympow`), never through the
    n^k × n^k tensor power, and the orbit solver reads a permutation action off the expression
    without forming them at all.
    """

    def __init__(self, base: Rep, k: int, antisymmetric: bool):
        if not isinstance(base, Rep):
            raise RepError(f"Sym/Alt take a representation; got {type(base).__name__}.")
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 0:
            raise RepError(f"the power k must be a non-negative integer; got {k!r}.")
        if antisymmetric and k > base.size:
            raise RepError(
                f"Alt(rep, {k}) of a representation of size {base.size} is the zero "
                f"representation, which groupkit does not represent; use k ≤ {base.size}.")
        self.base, self.k, self.antisymmetric = base, int(k), bool(antisymmetric)
        self.group = base.group

    @cached_property
    def basis(self) -> np.ndarray:
        """Integer basis P (n^k, size): column c is Σ_t e_t over the distinct reorderings t of
        the sorted index tuple c (with the sign of the reordering for Λ^k)."""
        n, k = self.base.size, self.k
        combos = (itertools.combinations(range(n), k) if self.antisymmetric
                  else itertools.combinations_with_replacement(range(n), k))
        cols = []
        for c in combos:
            v = np.zeros((n,) * k)
            for p in itertools.permutations(range(k)):
                odd = self.antisymmetric and _sympow.perm_parity(p)
                v[tuple(c[i] for i in p)] = -1.0 if odd else 1.0
            cols.append(v.ravel())
        return np.array(cols).T.reshape(n ** k, -1)

    @cached_property
    def coordinates(self) -> np.ndarray:
        """D⁻¹ Pᵀ (size, n^k): coordinates of a symmetric tensor (flattened, n^k) in ``basis``;
        the left inverse of ``basis``, since its columns have disjoint supports."""
        P = self.basis
        return P.T / (P ** 2).sum(axis=0)[:, None]

    @cached_property
    def size(self):
        n, k = self.base.size, self.k
        return math.comb(n, k) if self.antisymmetric else math.comb(n + k - 1, k)

    def rho(self, g):
        # A permanent (Sym) or compound (Λ) of the base matrix per pair of sorted tuples: never
        # the n^k × n^k tensor power, and exact (a signed permutation stays one) on integers.
        return _sympow.power_matrix(np.asarray(self.base.rho(g)), self.k, self.antisymmetric)

    def drho(self, A):
        return _sympow.power_lie_matrix(np.asarray(self.base.drho(A)), self.k,
                                        self.antisymmetric)

    @property
    def is_complex(self):
        return self.base.is_complex

    def _encode(self):
        return f"{self.base.key}|{self.k}|{self.antisymmetric}"

    def _str(self, prec=0):
        name = "Λ" if self.antisymmetric else "Sym"
        return f"{name}^{self.k}({self.base._str()})"


def Sym(rep: Rep, k: int) -> Rep:
    """Symmetric power Sym^k(rep), of size C(n + k − 1, k).

    >>> from groupkit import SO, V, Scalar, Sym, solve
    >>> R = Sym(V(SO(3)), 2)
    >>> R, R.size
    (Sym^2(V), 6)
    >>> solve(R, Scalar).dim              # the trace of a symmetric matrix
    1
    """
    return _SymmetricPower(rep, k, antisymmetric=False)


def Alt(rep: Rep, k: int) -> Rep:
    """Antisymmetric (exterior) power Λ^k(rep), of size C(n, k).

    >>> from groupkit import SO, V, Alt, solve
    >>> R = Alt(V(SO(3)), 2)
    >>> R, R.size
    (Λ^2(V), 3)
    >>> solve(R, V(SO(3))).dim            # Λ²R³ ≅ R³ (the cross product again)
    1
    """
    return _SymmetricPower(rep, k, antisymmetric=True)


# -- the algebra's functions -----------------------------------------------------------------

def direct_sum(*reps: Rep) -> Rep:
    """R1 ⊕ R2 ⊕ …; nested sums are flattened.

    >>> from groupkit import SO, V, Scalar, direct_sum
    >>> R = direct_sum(V(SO(2)), Scalar, V(SO(2)))
    >>> R, R.size, R == V(SO(2)) + Scalar + V(SO(2))
    (V+1+V, 5, True)
    """
    reps = _unify(reps)
    parts: list[Rep] = []
    for r in reps:
        parts.extend(r.summands())
    if len(parts) == 1:
        return parts[0]
    return _Sum(tuple(parts))


def _multiple(rep: Rep, k: int) -> Rep:
    if k < 0:
        raise RepError(f"a multiplicity must be a non-negative integer; got {k}.")
    if k == 0:
        raise RepError("0*rep is the zero representation, which groupkit does not represent.")
    return direct_sum(*([rep] * k))


def tensor(*reps: Rep) -> Rep:
    """R1 ⊗ R2 ⊗ …; nested products are flattened and scalar factors dropped.

    A direct sum in the *first* factor is distributed: (A ⊕ B) ⊗ C = A⊗C ⊕ B⊗C. In row-major
    order the first factor's index varies slowest, so this is the same coordinate order, not
    just an isomorphism — and it lets the solver split the sum (``5*V*V`` is 5 copies of V⊗V).

    >>> from groupkit import SO, V, Scalar, tensor
    >>> R = tensor(V(SO(3)), Scalar, V(SO(3)))
    >>> R, R.size, R == V(SO(3))**2
    (V⊗V, 9, True)
    """
    reps = _unify(reps)
    parts: list[Rep] = []
    for r in reps:
        parts.extend(p for p in r.factors() if p != Scalar)
    if not parts:
        return Scalar
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], _Sum):
        return direct_sum(*[tensor(s, *parts[1:]) for s in parts[0].summands()])
    return _Tensor(tuple(parts))


def dual(rep: Rep) -> Rep:
    """The dual ρ*(g) = ρ(g)^{-T}; pushed through sums and products. For a real orthogonal group
    V* = V exactly (ρ(g)^{-T} = ρ(g)), so the dual of its standard representation is V itself.

    >>> from groupkit import SL, SO, V, dual
    >>> dual(V(SL(2))), dual(V(SO(3)))
    (V*, V)
    """
    if rep == Scalar:
        return rep
    if isinstance(rep, _Dual):
        return rep.base
    if isinstance(rep, _Sum):
        return _Sum(tuple(dual(p) for p in rep._parts))
    if isinstance(rep, _Tensor):
        return _Tensor(tuple(dual(p) for p in rep._parts))
    if isinstance(rep, _Lifted):
        return lift(dual(rep.base), rep.group)
    if isinstance(rep, Vector) and rep.group.is_orthogonal and not rep.group.is_complex:
        return rep
    return _Dual(rep)


def hom(rep_in: Rep, rep_out: Rep) -> Rep:
    """The representation on linear maps rep_in → rep_out: rep_out ⊗ rep_in*.

    >>> from groupkit import SL, V, Scalar, hom, solve
    >>> R = hom(V(SL(2)), V(SL(2)))       # also written V >> V
    >>> R, R.size
    (V⊗V*, 4)
    >>> solve(R, Scalar).dim              # the trace
    1
    """
    return tensor(rep_out, dual(rep_in))


def T(p: int, q: int = 0, G: Group | None = None):
    """The tensor representation V^⊗p ⊗ (V*)^⊗q of ``G``.

    Without ``G``, returns a function of the group: ``T(2)(SO(3))``.

    >>> from groupkit import SL, SO, T, Scalar, solve
    >>> T(2, 1, SL(2)), T(2, 1, SL(2)).size
    (V⊗V⊗V*, 8)
    >>> solve(T(4)(SO(3)), Scalar).dim    # δδ in three pairings
    3
    """
    for name, x in (("p", p), ("q", q)):
        if not isinstance(x, (int, np.integer)) or isinstance(x, bool) or x < 0:
            raise RepError(f"T(p, q): {name} must be a non-negative integer; got {x!r}.")
    if G is None:
        return lambda G: T(p, q, G)
    return V(G) ** p * dual(V(G)) ** q

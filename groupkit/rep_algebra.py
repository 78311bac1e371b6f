"""The algebra of representations: direct sums, tensor products, duals, symmetric and
alternating powers, and representations of one factor lifted to a direct product. These are
the composite nodes of a representation expression; :mod:`groupkit.reps` holds the leaves.

>>> from groupkit import SO, V
>>> R = direct_sum(V(SO(3)), tensor(V(SO(3)), V(SO(3))))
>>> R, R.size, Sym(V(SO(3)), 2).size
(V+V⊗V, 12, 6)
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from functools import cached_property

import numpy as np

from . import _sympow
from .groups import DirectProduct, Group, common_group
from .reps import Rep, RepError, Scalar, V, Vector, _check_group_element
from .warnings import MixedGroupWarning

__all__ = ["Sym", "Alt", "direct_sum", "tensor", "dual", "hom", "T", "lift"]


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
        if G.factors.count(f) > 1:
            # V(SO(3))(SO(3) × SO(3)) cannot say which copy it lives on; taking the first one
            # silently turned V₁ ⊗ V₂ into V₁ ⊗ V₁ (one invariant where there are none).
            raise RepError(
                f"cannot view a representation of {rep.group} as one of {G}: {f} is a factor "
                f"{G.factors.count(f)} times, so which copy is meant is ambiguous. Give the "
                "copies different generators (e.g. one in permuted coordinates) so that each "
                "factor is a distinct group, or build the representation from V(G) of the "
                "product itself (both copies at once).")
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
            if f.is_discrete:  # discrete factors beside a Lie group are deliberate products
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

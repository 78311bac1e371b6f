"""Representation matrices over the rationals, computed exactly from exact generators.

A matrix is held as :class:`QMat`: an integer numerator (numpy object array of Python ints, so
nothing overflows) and one positive common denominator. ρ and dρ are built by walking the
representation's expression — V, V* (through ρ(h⁻¹)ᵀ, with h⁻¹ inverted exactly once per
generator), ⊕, ⊗, Sym^k and Λ^k (permanents and compounds, :mod:`groupkit._sympow`), lifts to
direct products — so no floating-point matrix is ever rounded back to rationals. Opaque
representations (``UserRep``) are evaluated in floating point and their output recognised by the
rule of :mod:`groupkit._exactinput`, or refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import _sympow
from ._exactinput import ExactSolveError, as_rational
from .groups import DirectProduct, Group
from .reps import Rep, Scalar, Vector, _Dual, _Lifted, _Sum, _SymmetricPower, _Tensor

__all__ = ["QMat", "ExactElement", "exact_generators", "exact_discrete", "exact_lie",
           "exact_rho", "exact_drho"]


def _ints(a) -> np.ndarray:
    out = np.empty(np.shape(a), dtype=object)
    out[...] = 0
    for idx, v in np.ndenumerate(a):
        out[idx] = int(v)
    return out


@dataclass(frozen=True, eq=False)
class QMat:
    """The rational matrix num / den: num an object array of Python ints, den > 0."""

    num: np.ndarray
    den: int = 1

    @classmethod
    def of(cls, a, where: str = "a matrix") -> "QMat":
        """From an array of Fractions, ints, sympy numbers or round-tripping floats."""
        a = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
        fr = np.empty(a.shape, dtype=object)
        for idx, v in np.ndenumerate(a):
            fr[idx] = as_rational(v, where)
        den = math.lcm(1, *[f.denominator for f in fr.ravel()])
        num = np.empty(a.shape, dtype=object)
        for idx, f in np.ndenumerate(fr):
            num[idx] = f.numerator * (den // f.denominator)
        return cls(num, den)

    @classmethod
    def identity(cls, n: int) -> "QMat":
        return cls(_ints(np.eye(n, dtype=np.int64)))

    @classmethod
    def zeros(cls, n: int, m: int | None = None) -> "QMat":
        return cls(_ints(np.zeros((n, n if m is None else m), dtype=np.int64)))

    @property
    def shape(self):
        return self.num.shape

    def reduced(self) -> "QMat":
        g = math.gcd(self.den, *[int(v) for v in self.num.ravel()])
        return self if g == 1 else QMat(self.num // g, self.den // g)

    @property
    def T(self) -> "QMat":
        return QMat(self.num.T.copy(), self.den)

    def __neg__(self) -> "QMat":
        return QMat(-self.num, self.den)

    def __matmul__(self, other: "QMat") -> "QMat":
        return QMat(self.num.dot(other.num), self.den * other.den).reduced()

    def kron(self, other: "QMat") -> "QMat":
        return QMat(np.kron(self.num, other.num), self.den * other.den)

    def __add__(self, other: "QMat") -> "QMat":
        d = math.lcm(self.den, other.den)
        return QMat(self.num * (d // self.den) + other.num * (d // other.den), d).reduced()

    def sub(self, rows: np.ndarray) -> "QMat":
        return QMat(self.num[np.ix_(rows, rows)], self.den).reduced()

    def is_zero(self) -> bool:
        return not any(self.num.ravel())

    def fractions(self) -> np.ndarray:
        return np.vectorize(lambda v: Fraction(int(v), self.den), otypes=[object])(self.num)

    def floats(self) -> np.ndarray:
        return np.vectorize(lambda v: int(v) / self.den, otypes=[float])(self.num) \
            if self.num.size else np.zeros(self.shape)

    def inverse(self) -> "QMat":
        """The exact inverse (python-flint where installed, else sympy over QQ)."""
        try:
            import flint
        except ImportError:
            flint = None
        n = self.shape[0]
        if flint is not None:
            inv = flint.fmpz_mat(self.num.tolist()).inv()  # an fmpq_mat
            entries = [[Fraction(int(inv[i, j].p), int(inv[i, j].q)) for j in range(n)]
                       for i in range(n)]
        else:
            from sympy.polys.domains import QQ
            from sympy.polys.matrices import DomainMatrix

            M = DomainMatrix([[QQ(int(v)) for v in row] for row in self.num.tolist()], (n, n),
                             QQ).inv()
            entries = [[Fraction(int(v.numerator), int(v.denominator)) for v in row]
                       for row in M.to_list()]
        out = QMat.of(np.array(entries, dtype=object).reshape(n, n))
        return QMat(out.num * self.den, out.den).reduced()


def block_diag(mats: list[QMat]) -> QMat:
    d = math.lcm(1, *[m.den for m in mats])
    n = sum(m.shape[0] for m in mats)
    out = _ints(np.zeros((n, n), dtype=np.int64))
    i = 0
    for m in mats:
        k = m.shape[0]
        out[i:i + k, i:i + k] = m.num * (d // m.den)
        i += k
    return QMat(out, d).reduced()


@dataclass(frozen=True, eq=False)
class ExactElement:
    """A discrete generator h with its exact inverse, and its float form (the group's array)."""

    g: QMat
    ginv: QMat
    flt: np.ndarray

    def restrict(self, idx: np.ndarray) -> "ExactElement":
        # Elements of a direct product are block-diagonal: the block of h⁻¹ is (block of h)⁻¹.
        return ExactElement(self.g.sub(idx), self.ginv.sub(idx), self.flt[np.ix_(idx, idx)])


@dataclass(frozen=True, eq=False)
class ExactAlgebraElement:
    A: QMat
    flt: np.ndarray

    def restrict(self, idx: np.ndarray) -> "ExactAlgebraElement":
        return ExactAlgebraElement(self.A.sub(idx), self.flt[np.ix_(idx, idx)])


def _exact_stack(G: Group, which: int) -> list[QMat]:
    floats = G.discrete_generators if which == 0 else G.lie_algebra
    given = getattr(G, "_exact", None)
    given = given[which] if given else None
    what = "discrete generator" if which == 0 else "Lie-algebra element"
    out = []
    for i, f in enumerate(floats):
        src = given[i] if given is not None and given[i] is not None else f
        out.append(QMat.of(src, f"{G}'s {what} {i}"))
    return out


def _embed(G: DirectProduct, i: int, m: QMat, identity: bool) -> QMat:
    b = G.block(i)
    out = QMat.identity(G.d) if identity else QMat.zeros(G.d)
    num = out.num * m.den
    num[b, b] = m.num
    return QMat(num, m.den).reduced()


def _locate(G: DirectProduct, which: int, j: int) -> tuple[int, Group, int]:
    """The factor (index, group) of the product's generator j, and its index there."""
    for i, f in enumerate(G.factors):
        n = len(f.discrete_generators if which == 0 else f.lie_algebra)
        if j < n:
            return i, f, j
        j -= n
    raise IndexError(j)


def has_exact_input(G: Group, which: int, j: int) -> bool:
    """Whether generator j was given in exact form (then its float may have lost digits)."""
    if isinstance(G, DirectProduct):
        _, f, jj = _locate(G, which, j)
        return has_exact_input(f, which, jj)
    given = getattr(G, "_exact", None)
    return bool(given) and given[which] is not None and given[which][j] is not None


def exact_discrete(G: Group, j: int) -> ExactElement:
    """Discrete generator j of G in exact form, with its exact inverse."""
    if G.is_complex:
        raise ExactSolveError(f"{G} is complex; exact solving supports real groups only.")
    flt = G.discrete_generators[j]
    if isinstance(G, DirectProduct):
        i, f, jj = _locate(G, 0, j)
        e = exact_discrete(f, jj)
        return ExactElement(_embed(G, i, e.g, True), _embed(G, i, e.ginv, True), flt)
    given = getattr(G, "_exact", None)
    src = given[0][j] if given and given[0] is not None and given[0][j] is not None else flt
    g = QMat.of(src, f"{G}'s discrete generator {j}")
    return ExactElement(g, g.inverse(), flt)


def exact_lie(G: Group, j: int) -> ExactAlgebraElement:
    """Lie-algebra element j of G in exact form."""
    if G.is_complex:
        raise ExactSolveError(f"{G} is complex; exact solving supports real groups only.")
    flt = G.lie_algebra[j]
    if isinstance(G, DirectProduct):
        i, f, jj = _locate(G, 1, j)
        return ExactAlgebraElement(_embed(G, i, exact_lie(f, jj).A, False), flt)
    given = getattr(G, "_exact", None)
    src = given[1][j] if given and given[1] is not None and given[1][j] is not None else flt
    return ExactAlgebraElement(QMat.of(src, f"{G}'s Lie-algebra element {j}"), flt)


def exact_generators(G: Group) -> tuple[list[ExactElement], list[ExactAlgebraElement]]:
    """The group's generators in exact form: (discrete with inverses, Lie algebra)."""
    if G.is_complex:
        raise ExactSolveError(f"{G} is complex; exact solving supports real groups only.")
    if isinstance(G, DirectProduct):
        hs, As = [], []
        for i, f in enumerate(G.factors):
            fh, fa = exact_generators(f)
            hs += [(_embed(G, i, e.g, True), _embed(G, i, e.ginv, True)) for e in fh]
            As += [_embed(G, i, e.A, False) for e in fa]
        hs = [ExactElement(g, gi, f) for (g, gi), f in zip(hs, G.discrete_generators)]
        As = [ExactAlgebraElement(A, f) for A, f in zip(As, G.lie_algebra)]
        return hs, As
    hs = [ExactElement(g, g.inverse(), f)
          for g, f in zip(_exact_stack(G, 0), G.discrete_generators)]
    As = [ExactAlgebraElement(A, f) for A, f in zip(_exact_stack(G, 1), G.lie_algebra)]
    return hs, As


def exact_rho(rep: Rep, h: ExactElement, inverse: bool = False) -> QMat:
    """ρ(h) (or ρ(h⁻¹) with ``inverse``) exactly, from the expression of ``rep``."""
    if rep == Scalar:
        return QMat.identity(1)
    if isinstance(rep, Vector):
        return h.ginv if inverse else h.g
    if isinstance(rep, _Lifted):
        return exact_rho(rep.base, h.restrict(rep._idx), inverse)
    if isinstance(rep, _Dual):
        return exact_rho(rep.base, h, not inverse).T
    if isinstance(rep, _Sum):
        return block_diag([exact_rho(p, h, inverse) for p in rep.summands()])
    if isinstance(rep, _Tensor):
        out = QMat.identity(1)
        for p in rep.factors():
            out = out.kron(exact_rho(p, h, inverse))
        return out.reduced()
    if isinstance(rep, _SymmetricPower):
        b = exact_rho(rep.base, h, inverse)
        num = _sympow.power_matrix(b.num, rep.k, rep.antisymmetric)
        return QMat(num, b.den ** rep.k).reduced()
    # An opaque representation: its float output, recognised by the rule.
    m = QMat.of(np.asarray(rep.rho(h.flt)), f"the representation {rep}'s ρ")
    return m.inverse() if inverse else m


def exact_drho(rep: Rep, a: ExactAlgebraElement) -> QMat:
    """dρ(A) exactly, from the expression of ``rep``."""
    if rep == Scalar:
        return QMat.zeros(1)
    if isinstance(rep, Vector):
        return a.A
    if isinstance(rep, _Lifted):
        return exact_drho(rep.base, a.restrict(rep._idx))
    if isinstance(rep, _Dual):
        return -exact_drho(rep.base, a).T
    if isinstance(rep, _Sum):
        return block_diag([exact_drho(p, a) for p in rep.summands()])
    if isinstance(rep, _Tensor):
        parts = [exact_drho(p, a) for p in rep.factors()]
        sizes = [p.size for p in rep.factors()]
        out = QMat.zeros(rep.size)
        for i, m in enumerate(parts):
            left = QMat.identity(math.prod(sizes[:i]))
            right = QMat.identity(math.prod(sizes[i + 1:]))
            out = out + left.kron(m).kron(right)
        return out
    if isinstance(rep, _SymmetricPower):
        b = exact_drho(rep.base, a)
        return QMat(_sympow.power_lie_matrix(b.num, rep.k, rep.antisymmetric), b.den).reduced()
    return QMat.of(np.asarray(rep.drho(a.flt)), f"the representation {rep}'s dρ")

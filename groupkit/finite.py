"""Finite groups: elements, order, conjugacy classes and exact character tables.

* :func:`elements` enumerates a finite matrix group from its generators (breadth-first closure,
  elements identified by their entries rounded to 9 decimals), up to a size limit;
  :func:`order` uses Schreier–Sims (sympy) for (signed) permutation groups, so the Rubik's cube
  needs no enumeration.
* :func:`conjugacy_classes` are orbits under conjugation by the generators.
* :func:`characters` builds the character table by Burnside's method: the class sums span the
  centre of the group algebra, their structure constants c_ijk form commuting matrices, and the
  common eigenvectors are the central characters ω_χ(C) = |C| χ(g_C) / χ(1). The numerical values
  are then made exact: on a class of elements of order o, ρ(g) has eigenvalues ζ_o^a with integer
  multiplicities m_a = (1/o) Σ_t χ(g^t) ζ_o^{−at}, so χ(g) = Σ_a m_a ζ_o^a exactly. Exact values
  live in the cyclotomic field Q(ζ_e) (e the exponent of G), where both orthogonality relations are
  checked in integer arithmetic.

>>> from groupkit import S
>>> from groupkit.finite import characters
>>> t = characters(S(4))
>>> t.degrees, t.class_sizes
((1, 1, 2, 3, 3), (1, 3, 6, 8, 6))
>>> t.check_orthogonality()
True
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ._cyclotomic import _conj, _exact_values, _is_integer, _mul, _reduce, _to_sympy
from .catalogue import A  # re-exported: the alternating groups of the lessons
from ._elements import element_keys, unit_scales
from .groups import MAX_SPECTRAL_ORDER, _finite_order, closure, element_key, Group, GroupError
from ._memo import memoized

__all__ = [
    "elements", "order", "conjugacy_classes", "ConjugacyClass", "characters", "CharacterTable",
    "character", "Character", "inner", "A", "Q8", "PSL", "DEFAULT_LIMIT",
]

DEFAULT_LIMIT = 100_000  # largest group enumerated element by element


_key = element_key  # as written (interop compares generators by it); G's own lookups: _lookup


def _lookup(index: dict, m: np.ndarray, G: Group) -> int:
    """The index of the element m of G, or a GroupError (not a KeyError) when rounding in
    these coordinates makes it unrecognisable."""
    for k in element_keys(m, _scales(G)):  # ties at the rounding: every candidate key
        if k in index:
            return index[k]
    raise GroupError(
        f"an element of {G} could not be recognised after rounding: its generators are too "
        "ill-conditioned in these coordinates (units spanning many orders of magnitude) to "
        "identify elements by their entries. Rescale the coordinates.")


@memoized(16)
def _scales(G: Group):
    """The units elements are keyed in: G's balanced units (:func:`unit_scales`), None where
    they are the units as written. Not "as written when that closes": in unbalanced units
    rounding can give one element two keys and the closure still end, with a wrong order
    (D(6) in units spanning 10⁶ had 20 elements)."""
    if getattr(G, "perm_array", None) is not None or G.is_signed_permutation:
        return None  # entries are exactly 0 and ±1 (and S(1000)'s matrices are never built)
    return unit_scales(G.discrete_generators)


def _check_finite(G: Group, what: str) -> None:
    if not isinstance(G, Group):
        raise GroupError(f"{what} needs a groupkit Group; got {type(G).__name__}.")
    if not G.is_discrete:
        raise GroupError(f"{G} has a Lie algebra, so it is infinite; {what} needs a finite group.")
    # A generator of infinite order is refused here; the group's size is then left to the
    # enumeration and its own ``limit`` (no second closure up to FINITE_LIMIT first).
    if not G.is_signed_permutation and any(_finite_order(h) is None
                                           for h in G.discrete_generators):
        raise GroupError(f"{G} has a generator of infinite order (or of order above "
                         f"{MAX_SPECTRAL_ORDER:,}), so groupkit cannot enumerate it; {what} "
                         f"needs a finite group.")


@memoized(16)
def _enumerate(G: Group, limit: int) -> tuple[np.ndarray, dict]:
    found = closure(G.discrete_generators, G.d, limit, _scales(G))
    if found is None:
        raise GroupError(f"{G} has more than {limit} elements (or a generator of infinite "
                         f"order); pass a larger limit=… to enumerate it.")
    elems, index = found
    out = np.array(elems)
    out.setflags(write=False)
    return out, index


def elements(G: Group, *, limit: int = DEFAULT_LIMIT) -> np.ndarray:
    """All elements of a finite group, array (|G|, d, d), the identity first.

    >>> from groupkit import D
    >>> elements(D(4)).shape
    (8, 2, 2)
    """
    _check_finite(G, "elements")
    return _enumerate(G, int(limit))[0]


def _as_permutations(G: Group):
    """The generators as permutations of d points (or 2d, for signed permutations), or None."""
    from .groups import signed_permutation

    pa = getattr(G, "perm_array", None)
    if pa is not None:  # kept as permutations: never build the d × d matrices (S(2000))
        return [[int(i) for i in p] for p in pa], G.d
    if not G.is_signed_permutation:
        return None
    d = G.d
    perms = []
    for h in G.discrete_generators:
        pi, s = signed_permutation(h)
        # point j ↦ π(j) with sign s_j; point d + j stands for −e_j
        p = [0] * (2 * d)
        for j in range(d):
            a, b = int(pi[j]), int(pi[j]) + d
            p[j], p[d + j] = (a, b) if s[j] > 0 else (b, a)
        perms.append(p)
    return perms, 2 * d


def order(G: Group, *, limit: int = DEFAULT_LIMIT) -> int | float:
    """|G|: by Schreier–Sims for (signed) permutation groups, by enumeration for other finite
    groups (up to ``limit`` elements), ``math.inf`` for a group with a Lie algebra or a
    generator of infinite order (a generator that is not a signed permutation counts as
    infinite above order ``MAX_SPECTRAL_ORDER`` = 10,000).

    >>> from groupkit import RubiksCube, SO, S
    >>> order(S(5)), order(RubiksCube()), order(SO(3))
    (120, 43252003274489856000, inf)
    """
    if not isinstance(G, Group):
        raise GroupError(f"order needs a groupkit Group; got {type(G).__name__}.")
    if not G.is_discrete:
        return math.inf
    if G.discrete_generators.shape[0] == 0:
        return 1
    # Signed permutations first: always finite, whatever the generators' orders (a 150-cycle
    # is beyond the order test's cap).
    perm = _as_permutations(G)
    if perm is not None:
        from sympy.combinatorics import Permutation, PermutationGroup

        perms, n = perm
        return int(PermutationGroup([Permutation(p) for p in perms]).order())
    if any(_finite_order(h) is None for h in G.discrete_generators):
        return math.inf
    return len(elements(G, limit=limit))


# -- conjugacy classes -----------------------------------------------------------------------

@dataclass(frozen=True)
class ConjugacyClass:
    """One conjugacy class: a representative (d, d), its size and the order of its elements.

    >>> from groupkit import S
    >>> [c.size for c in conjugacy_classes(S(3))]  # identity, transpositions, 3-cycles
    [1, 3, 2]
    """

    representative: np.ndarray
    size: int
    element_order: int
    members: tuple[int, ...]  # indices into elements(G)

    def __repr__(self) -> str:
        return f"ConjugacyClass(size={self.size}, order={self.element_order})"


@memoized(16)
def _classes(G: Group, limit: int):
    X, index = _enumerate(G, limit)
    gens = list(G.discrete_generators)
    inv = [np.linalg.inv(h) for h in gens]
    cls_of = np.full(len(X), -1)
    classes = []
    for start in range(len(X)):
        if cls_of[start] >= 0:
            continue
        c = len(classes)
        members = [start]
        cls_of[start] = c
        queue = [start]
        while queue:
            i = queue.pop()
            for h, hi in zip(gens, inv):
                j = _lookup(index, h @ X[i] @ hi, G)
                if cls_of[j] < 0:
                    cls_of[j] = c
                    members.append(j)
                    queue.append(j)
        classes.append(sorted(members))
    orders = [_element_order(X[m[0]]) for m in classes]
    # identity first, then by element order, then by class size
    perm = sorted(range(len(classes)), key=lambda c: (orders[c], len(classes[c]), classes[c][0]))
    out = tuple(ConjugacyClass(X[classes[c][0]], len(classes[c]), orders[c], tuple(classes[c]))
                for c in perm)
    remap = np.empty(len(classes), int)
    remap[perm] = np.arange(len(classes))
    return out, remap[cls_of]


def _element_order(g: np.ndarray, cap: int = 100_000) -> int:
    e = np.eye(g.shape[0])
    x = g
    for k in range(1, cap + 1):
        if np.allclose(x, e, atol=1e-8):
            return k
        x = x @ g
    raise GroupError("a group element has order above 100000 (or infinite order).")


def conjugacy_classes(G: Group, *, limit: int = DEFAULT_LIMIT) -> tuple[ConjugacyClass, ...]:
    """The conjugacy classes of a finite group: the identity's first, then by element order and
    size.

    >>> from groupkit import D
    >>> [(c.size, c.element_order) for c in conjugacy_classes(D(4))]
    [(1, 1), (1, 2), (2, 2), (2, 2), (2, 4)]
    """
    _check_finite(G, "conjugacy_classes")
    return _classes(G, int(limit))[0]


# -- character tables ------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CharacterTable:
    """The character table of a finite group: rows irreducible characters (over C), columns
    conjugacy classes (identity first).

    ``values`` is an exact sympy Matrix; ``numeric`` the same as a complex array; ``degrees``
    χ(1); ``indicators`` the Frobenius–Schur indicators (1 real, 0 complex, −1 quaternionic).

    >>> from groupkit.finite import Q8, characters
    >>> characters(Q8()).indicators
    (1, 1, 1, 1, -1)
    """

    group: Group
    classes: tuple[ConjugacyClass, ...]
    exponent: int
    _exact: tuple  # rows of cyclotomic vectors (length exponent)
    numeric: np.ndarray

    @property
    def order(self) -> int:
        return sum(c.size for c in self.classes)

    @property
    def class_sizes(self) -> tuple[int, ...]:
        return tuple(c.size for c in self.classes)

    @property
    def degrees(self) -> tuple[int, ...]:
        return tuple(int(round(x.real)) for x in self.numeric[:, 0])

    @functools.cached_property
    def values(self):
        import sympy

        return sympy.Matrix([[_to_sympy(v, self.exponent) for v in row] for row in self._exact])

    @functools.cached_property
    def indicators(self) -> tuple[int, ...]:
        _, cls_of = _classes(self.group, DEFAULT_LIMIT)
        X = elements(self.group)
        sq = [int(cls_of[_lookup(_enumerate(self.group, DEFAULT_LIMIT)[1],
                                 c.representative @ c.representative, self.group)])
              for c in self.classes]
        out = []
        for row in self.numeric:
            nu = sum(c.size * row[s] for c, s in zip(self.classes, sq)) / len(X)
            out.append(int(round(nu.real)))
        return tuple(out)

    def check_orthogonality(self) -> bool:
        """Both orthogonality relations, in exact cyclotomic arithmetic; True or raises.

        Rows: Σ_C |C| χ_i(C) conj χ_j(C) = |G| δ_ij. Columns: Σ_i χ_i(C) conj χ_i(C') = δ_CC'
        |G|/|C|."""
        e, r, N = self.exponent, len(self.classes), self.order
        rows = self._exact
        for i in range(r):
            for j in range(i, r):
                s = np.zeros(e, dtype=object)
                for k, c in enumerate(self.classes):
                    s += c.size * _mul(rows[i][k], _conj(rows[j][k]), e)
                if not _is_integer(s, e, N if i == j else 0):
                    raise ArithmeticError(f"row orthogonality fails for characters {i}, {j}.")
        for k in range(r):
            for m in range(k, r):
                s = np.zeros(e, dtype=object)
                for i in range(r):
                    s += _mul(rows[i][k], _conj(rows[i][m]), e)
                want = N // self.classes[k].size if k == m else 0
                if not _is_integer(s, e, want):
                    raise ArithmeticError(f"column orthogonality fails for classes {k}, {m}.")
        return True

    def multiplicities(self, chi: "Character") -> tuple[int, ...]:
        """⟨χ, χ_i⟩ for every irreducible character χ_i: how often each occurs in χ."""
        return tuple(int(inner(chi, Character(self, row))) for row in self._exact)

    def __repr__(self) -> str:
        head = ["class size"] + [str(c.size) for c in self.classes]
        order = ["elt order"] + [str(c.element_order) for c in self.classes]
        body = [[f"χ{i}"] + [str(v) for v in self.values.row(i)] for i in range(len(self.classes))]
        rows = [head, order] + body
        w = [max(len(r[j]) for r in rows) for j in range(len(head))]
        lines = ["  ".join(s.rjust(w[j]) for j, s in enumerate(r)) for r in rows]
        return f"character table of {self.group} (order {self.order})\n" + "\n".join(lines)

    def _repr_latex_(self) -> str:
        import sympy

        r = len(self.classes)
        cols = "c|" + "c" * r
        head = r"|C| & " + " & ".join(str(c.size) for c in self.classes) + r" \\ \hline"
        body = r" \\ ".join(rf"\chi_{{{i}}} & " + " & ".join(
            sympy.latex(v) for v in self.values.row(i)) for i in range(r))
        return rf"$\begin{{array}}{{{cols}}} {head} {body} \end{{array}}$"


def _class_constants(G: Group, classes, cls_of) -> np.ndarray:
    """c[j, i, k] = #{x ∈ C_j : x⁻¹ z_k ∈ C_i} for a fixed z_k ∈ C_k."""
    X, index = _enumerate(G, DEFAULT_LIMIT)
    r = len(classes)
    c = np.zeros((r, r, r))
    invs = {}
    for j, cj in enumerate(classes):
        for x in cj.members:
            xi = invs.setdefault(x, np.linalg.inv(X[x]))
            for k, ck in enumerate(classes):
                y = _lookup(index, xi @ ck.representative, G)
                c[j, cls_of[y], k] += 1
    return c


@memoized(16)
def _table(G: Group) -> CharacterTable:
    classes, cls_of = _classes(G, DEFAULT_LIMIT)
    r = len(classes)
    N = sum(c.size for c in classes)
    sizes = np.array([c.size for c in classes], float)
    c = _class_constants(G, classes, cls_of)
    rng = np.random.default_rng(12345)
    for _ in range(8):
        # M_j acts on ω = (ω_k): Σ_k c[j, i, k] ω_k = ω_j ω_i, so ω is an eigenvector of M_jᵀ…
        M = np.tensordot(rng.normal(size=r), c, axes=1)  # M[i, k]
        w, vecs = np.linalg.eig(M)
        if np.min(np.abs(w[:, None] - w[None, :]) + np.eye(r) * 1e9) > 1e-6:
            break
    else:
        raise ArithmeticError("the class algebra has no simple random element (report this).")
    omegas = vecs / vecs[0][None, :]  # ω(identity class) = 1
    rows = []
    for t in range(r):
        om = omegas[:, t]
        deg = math.sqrt(N / np.sum(np.abs(om) ** 2 / sizes))
        rows.append(om * deg / sizes)
    numeric = np.array(rows)
    # exact values from the power maps
    X, index = _enumerate(G, DEFAULT_LIMIT)
    e = math.lcm(*[c.element_order for c in classes])
    powers = []
    for cl in classes:
        g, x, idx = cl.representative, np.eye(G.d), []
        for _ in range(cl.element_order):
            idx.append(int(cls_of[_lookup(index, x, G)]))
            x = x @ g
        powers.append(idx)
    exact = [_exact_values([row[p] for p in powers], [c.element_order for c in classes], e)
             for row in numeric]
    # back to numbers from the exact values (removes round-off), then order the rows
    zeta = np.exp(2j * np.pi * np.arange(e) / e)
    numeric = np.array([[np.dot(v.astype(float), zeta) for v in row] for row in exact])
    key = [(round(numeric[i, 0].real), tuple(np.round(-numeric[i].real, 6)),
            tuple(np.round(-numeric[i].imag, 6))) for i in range(r)]
    perm = sorted(range(r), key=lambda i: key[i])
    numeric = numeric[perm]
    numeric.setflags(write=False)
    exact = tuple(tuple(exact[i]) for i in perm)
    return CharacterTable(G, classes, e, exact, numeric)


def characters(G: Group) -> CharacterTable:
    """The character table of a finite group (exact; see :class:`CharacterTable`).

    >>> from groupkit.finite import A, characters
    >>> t = characters(A(5))
    >>> t.degrees
    (1, 3, 3, 4, 5)
    >>> t.values.row(1)
    Matrix([[3, -1, 0, 1/2 + sqrt(5)/2, 1/2 - sqrt(5)/2]])
    """
    _check_finite(G, "characters")
    return _table(G)


# -- characters of representations -----------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Character:
    """A class function of a finite group, exact: its value on every class of ``table``.

    >>> from groupkit import S, V
    >>> chi = character(V(S(4)))
    >>> chi.values
    (4, 0, 2, 1, 0)
    >>> chi.table.multiplicities(chi)  # trivial + standard
    (1, 0, 0, 1, 0)
    """

    table: CharacterTable
    _exact: tuple

    @property
    def values(self) -> tuple:
        return tuple(_to_sympy(v, self.table.exponent) for v in self._exact)

    @property
    def numeric(self) -> np.ndarray:
        zeta = np.exp(2j * np.pi * np.arange(self.table.exponent) / self.table.exponent)
        return np.array([np.dot(v.astype(float), zeta) for v in self._exact])

    def __repr__(self) -> str:
        return f"Character{self.values}"


def character(rep, g: np.ndarray | None = None):
    """The character of ``rep``: with an element ``g``, the number tr ρ(g); without, for a
    finite group, the exact :class:`Character` on its conjugacy classes.

    >>> import numpy as np
    >>> from groupkit import SO, V
    >>> round(character(V(SO(3)) ** 2, np.eye(3)))
    9
    """
    from .reps import Rep, RepError

    if not isinstance(rep, Rep):
        raise RepError(f"character needs a groupkit representation; got {type(rep).__name__}.")
    if g is not None:
        return complex(np.trace(rep.rho(g))) if rep.is_complex else float(np.trace(rep.rho(g)))
    if rep.group is None:
        raise RepError("the character of the scalar representation needs a group element.")
    table = characters(rep.group)
    vals = []
    for cl in table.classes:
        x, traces = np.eye(rep.group.d), []
        for _ in range(cl.element_order):
            traces.append(np.trace(rep.rho(x)))
            x = x @ cl.representative
        vals.append(traces)
    exact = _exact_values(vals, [c.element_order for c in table.classes], table.exponent)
    return Character(table, tuple(exact))


def _same_table(a: CharacterTable, b: CharacterTable) -> bool:
    # by value, not identity: a table rebuilt after the memo evicted it is the same table
    # (same group, classes listed in the same order of the same enumeration)
    return a is b or (a.group == b.group and a.exponent == b.exponent and
                      [c.members for c in a.classes] == [c.members for c in b.classes])


def inner(a: Character, b: Character):
    """⟨a, b⟩ = (1/|G|) Σ_g a(g) conj b(g), exact (a sympy Rational for characters).

    >>> from groupkit import S, V
    >>> chi = character(V(S(4)) ** 2)
    >>> inner(chi, chi)  # Σ m_i² = dim End_G(V⊗V), the Bell number B(4)
    15
    """
    import sympy

    if not _same_table(a.table, b.table):
        raise ValueError("inner products need two characters of the same group.")
    t, e = a.table, a.table.exponent
    s = np.zeros(e, dtype=object)
    for k, c in enumerate(t.classes):
        s += c.size * _mul(a._exact[k], _conj(b._exact[k]), e)
    red = _reduce(s, e)
    if any(red[1:]):
        return _to_sympy(s, e) / t.order
    return sympy.Rational(red[0] if red else 0, t.order)


# -- a few finite groups for teaching (A(n) lives in the catalogue) -------------------------

def Q8() -> Group:
    """The quaternion group {±1, ±i, ±j, ±k}, acting on H = R⁴ by left multiplication.

    >>> from groupkit.finite import Q8, order
    >>> order(Q8())
    8
    """
    i = np.array([[0, -1, 0, 0], [1, 0, 0, 0], [0, 0, 0, -1], [0, 0, 1, 0]], float)
    j = np.array([[0, 0, -1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, -1, 0, 0]], float)
    return Group([i, j], name="Q8")


def PSL(n: int, q: int) -> Group:
    """PSL(2, q) for a prime q, acting on the q + 1 points of the projective line over F_q by
    permutations (z ↦ z + 1 and z ↦ −1/z). Only n = 2 is implemented.

    >>> from groupkit.finite import PSL, order
    >>> order(PSL(2, 7))
    168
    """
    from .catalogue import from_permutations
    import sympy

    if n != 2:
        raise GroupError(f"PSL(n, q) is implemented for n = 2 only; got n = {n!r}.")
    if not isinstance(q, (int, np.integer)) or not sympy.isprime(int(q)):
        raise GroupError(f"PSL(2, q) needs a prime q; got {q!r}.")
    q = int(q)
    inf = q
    shift = [(z + 1) % q for z in range(q)] + [inf]
    invert = [inf if z == 0 else (-pow(z, q - 2, q)) % q for z in range(q)] + [0]
    return from_permutations([shift, invert], q + 1, name=f"PSL(2,{q})")


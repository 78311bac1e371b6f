"""The one catalogue of groups and representations that the solver tests run over.

Each :class:`GroupCase` pairs a groupkit group with an independent oracle (see ``oracles.py``): a
Haar measure (finite enumeration or Weyl integration on a compact form) or, for the Rubik's cube,
orbit counting with sympy. Representations are written once as oracle *specs* and turned into
groupkit representations by :func:`to_rep`, so the count and the solver see the same
representation through two unrelated code paths.

Small cases run by default; the large ones carry ``pytest.mark.slow``.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass, field
from collections.abc import Callable

import pytest

import groupkit as gk

import oracles as orc

# -- representation menu ---------------------------------------------------------------------

_V = orc.V()
REPS = {
    "1": orc.SCALAR,
    "V": _V,
    "V*": orc.dual(_V),
    "VV": orc.tensor(_V, _V),
    "VV*": orc.tensor(_V, orc.dual(_V)),
    "VVV": orc.power(_V, 3),
    "2V+VV": orc.direct_sum(_V, _V, orc.tensor(_V, _V)),
    "Sym2": orc.sym(_V, 2),
    "Alt2": orc.alt(_V, 2),
}

# (rep_in, rep_out) pairs: the invariants of each representation, then maps between them.
FULL_MENU = (
    ("1", "V"), ("1", "V*"), ("1", "VV"), ("1", "VV*"), ("1", "VVV"), ("1", "2V+VV"),
    ("1", "Sym2"), ("1", "Alt2"), ("VV", "1"), ("VVV", "1"),
    ("V", "V"), ("V", "V*"), ("V*", "V"), ("VV", "V"), ("V", "VV"), ("VV", "VV"),
    ("VV*", "VV*"), ("2V+VV", "2V+VV"), ("Sym2", "Sym2"), ("Alt2", "V"), ("Alt2", "Alt2"),
    ("Sym2", "VV"), ("Sym2", "Alt2"),
)
# For groups on larger spaces: everything of size ≤ d³ runs by default, d⁴ is slow.
SMALL_MENU = (
    ("1", "V"), ("1", "VV"), ("1", "VVV"), ("VV", "1"), ("V", "V"), ("V", "V*"), ("VV", "V"),
    ("2V+VV", "V"), ("Sym2", "V"), ("Alt2", "V"),
)
SMALL_MENU_SLOW = (("Sym2", "Sym2"), ("Alt2", "Alt2"), ("VV", "VV"))


def to_rep(spec, G: gk.Group) -> gk.Rep:
    """The groupkit representation of ``G`` described by an oracle spec."""
    kind = spec[0]
    if kind == "1":
        return gk.Scalar
    if kind == "V":
        return gk.V(G if spec[1] is None else G.factors[spec[1]])
    if kind == "dual":
        return to_rep(spec[1], G).T
    if kind == "sum":
        return functools.reduce(operator.add, [to_rep(p, G) for p in spec[1:]])
    if kind == "tensor":
        return functools.reduce(operator.mul, [to_rep(p, G) for p in spec[1:]])
    if kind == "sym":
        return gk.Sym(to_rep(spec[1], G), spec[2])
    if kind == "alt":
        return gk.Alt(to_rep(spec[1], G), spec[2])
    raise ValueError(f"unknown spec {spec!r}")


def bound_rep(spec, G: gk.Group) -> gk.Rep:
    """``to_rep`` seen as a representation of all of ``G`` (lifted when it uses one factor)."""
    r = to_rep(spec, G)
    return r if r.group is None or r.group == G else r(G)


# -- groups ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GroupCase:
    """A library group with an oracle for its equivariant-map counts.

    ``measure(degree)`` returns an oracle measure exact for characters up to that tensor degree;
    ``perms`` (instead) gives a permutation group counted by orbits on tuples.
    """

    id: str
    make: Callable[[], gk.Group]
    dims: tuple[int, ...]
    measure: Callable[[int], orc.Measure] | None = None
    perms: Callable[[], list] | None = None
    order: int | None = None
    homs: tuple = FULL_MENU
    slow_homs: tuple = field(default=())
    slow: bool = False

    @property
    def d(self) -> int:
        return sum(self.dims)


@functools.cache
def group(case_id: str) -> gk.Group:
    return CASES[case_id].make()


@functools.cache
def _measure(case_id: str, degree: int) -> orc.Measure:
    return CASES[case_id].measure(degree)


@functools.cache
def expected_dim(case_id: str, rin: str, rout: str) -> int:
    """The independent count dim Hom(rin, rout)^G."""
    case = CASES[case_id]
    r, s = REPS[rin], REPS[rout]
    if case.perms is not None:
        # A real permutation representation: V* = V, and Hom(V^⊗a, V^⊗b) = V^⊗(a+b).
        k = orc.spec_degree(r) + orc.spec_degree(s)
        for x in (r, s):
            assert x[0] in ("1", "V", "tensor"), "orbit counting needs plain tensor powers"
        return orc.orbit_count_on_tuples(case.perms(), case.d, k)
    return count_specs(case_id, r, s)


def count_specs(case_id: str, r, s) -> int:
    """dim Hom(r, s)^G for any two specs, from the case's measure."""
    degree = orc.spec_degree(orc.hom(r, s))
    return orc.count(_measure(case_id, degree), r, s)


def _finite(make):
    """A finite group: the oracle enumerates it from its generator arrays (once; the measure
    is exact for every degree)."""
    @functools.cache
    def elements():
        return orc.finite_measure(make().discrete_generators)

    def measure(degree):
        return elements()
    return measure


def _product(*parts):
    def measure(degree):
        return orc.product(*[p(degree) for p in parts])
    return measure


def _rubik_perms() -> list:
    from sympy.combinatorics.generators import rubik_cube_generators

    return [p.array_form for p in rubik_cube_generators()]


def _case(id, make, dims, measure=None, **kw) -> GroupCase:
    return GroupCase(id, make, tuple(dims), measure, **kw)


def _fin(id, make, d, order, **kw) -> GroupCase:
    return GroupCase(id, make, (d,), _finite(make), order=order, **kw)


_CASE_LIST = [
    # compact Lie groups: Weyl integration
    _case("SO(2)", lambda: gk.SO(2), [2], lambda k: orc.measure_SO(2, k)),
    _case("SO(3)", lambda: gk.SO(3), [3], lambda k: orc.measure_SO(3, k)),
    _case("SO(4)", lambda: gk.SO(4), [4], lambda k: orc.measure_SO(4, k)),
    _case("SO(5)", lambda: gk.SO(5), [5], lambda k: orc.measure_SO(5, k)),
    _case("O(2)", lambda: gk.O(2), [2], lambda k: orc.measure_O(2, k)),
    _case("O(3)", lambda: gk.O(3), [3], lambda k: orc.measure_O(3, k)),
    _case("O(4)", lambda: gk.O(4), [4], lambda k: orc.measure_O(4, k)),
    _case("O(5)", lambda: gk.O(5), [5], lambda k: orc.measure_O(5, k)),
    _case("SU(2)", lambda: gk.SU(2), [2], lambda k: orc.measure_SU(2, k)),
    _case("SU(3)", lambda: gk.SU(3), [3], lambda k: orc.measure_SU(3, k)),
    _case("U(1)", lambda: gk.U(1), [1], lambda k: orc.measure_U(1, k),
          homs=tuple(h for h in FULL_MENU if "Alt2" not in h)),  # Λ²(C¹) = 0
    _case("U(2)", lambda: gk.U(2), [2], lambda k: orc.measure_U(2, k)),
    _case("U(3)", lambda: gk.U(3), [3], lambda k: orc.measure_U(3, k)),
    # non-compact groups: their compact forms (Weyl's unitarian trick)
    _case("SL(2)", lambda: gk.SL(2), [2], lambda k: orc.measure_SU(2, k)),
    _case("SL(3)", lambda: gk.SL(3), [3], lambda k: orc.measure_SU(3, k)),
    _case("GL(2)", lambda: gk.GL(2), [2], lambda k: orc.measure_U(2, k)),
    _case("GL(3)", lambda: gk.GL(3), [3], lambda k: orc.measure_U(3, k)),
    _case("Sp(1)", lambda: gk.Sp(1), [2], lambda k: orc.measure_USp(1, k)),
    _case("Sp(2)", lambda: gk.Sp(2), [4], lambda k: orc.measure_USp(2, k)),
    _case("Lorentz", lambda: gk.Lorentz(), [4], lambda k: orc.measure_O(4, k)),
    _case("SO13p", lambda: gk.SO13p(), [4], lambda k: orc.measure_SO(4, k)),
    _case("SO13", lambda: gk.SO13(), [4], lambda k: orc.measure_SO(4, k)),
    # finite groups: enumeration of the elements from the generators
    _fin("S(3)", lambda: gk.S(3), 3, 6),
    _fin("S(4)", lambda: gk.S(4), 4, 24),
    _fin("S(5)", lambda: gk.S(5), 5, 120),
    _fin("S(6)", lambda: gk.S(6), 6, 720, homs=SMALL_MENU, slow_homs=SMALL_MENU_SLOW),
    _fin("Z(2)", lambda: gk.Z(2), 2, 2),
    _fin("Z(5)", lambda: gk.Z(5), 5, 5),
    _fin("C(3)", lambda: gk.C(3), 2, 3),
    _fin("C(4)", lambda: gk.C(4), 2, 4),
    _fin("C(6)", lambda: gk.C(6), 2, 6),
    _fin("D(3)", lambda: gk.D(3), 2, 6),
    _fin("D(4)", lambda: gk.D(4), 2, 8),
    _fin("D(5)", lambda: gk.D(5), 2, 10),
    _fin("D(6)", lambda: gk.D(6), 2, 12),
    _fin("Tetrahedral", lambda: gk.Tetrahedral(), 3, 12),
    _fin("Octahedral", lambda: gk.Octahedral(), 3, 24),
    _fin("Icosahedral", lambda: gk.Icosahedral(), 3, 60),
    _fin("FullTetrahedral", lambda: gk.FullTetrahedral(), 3, 24),
    _fin("FullOctahedral", lambda: gk.FullOctahedral(), 3, 48),
    _fin("FullIcosahedral", lambda: gk.FullIcosahedral(), 3, 120),
    _case("Trivial(3)", lambda: gk.Trivial(3), [3], lambda k: orc.trivial_measure(3)),
    # a permutation group too large to enumerate: orbits counted by sympy
    GroupCase("RubiksCube", lambda: gk.RubiksCube(), (48,),
              perms=_rubik_perms,
              homs=(("1", "V"), ("V", "V"), ("VV", "1")), slow_homs=(("VV", "V"),)),
    # direct products: product measures
    _case("SO(3)xS(4)", lambda: gk.SO(3) * gk.S(4), [3, 4],
          _product(lambda k: orc.measure_SO(3, k), _finite(lambda: gk.S(4))),
          homs=SMALL_MENU, slow_homs=SMALL_MENU_SLOW),
    _case("SU(2)xZ(3)", lambda: gk.SU(2) * gk.Z(3), [2, 3],
          _product(lambda k: orc.measure_SU(2, k), _finite(lambda: gk.Z(3))),
          homs=SMALL_MENU, slow_homs=SMALL_MENU_SLOW),
    _case("O(2)xD(4)", lambda: gk.O(2) * gk.D(4), [2, 2],
          _product(lambda k: orc.measure_O(2, k), _finite(lambda: gk.D(4)))),
    _case("SO(2)xSO(3)xC(3)", lambda: gk.SO(2) * gk.SO(3) * gk.C(3), [2, 3, 2],
          _product(lambda k: orc.measure_SO(2, k), lambda k: orc.measure_SO(3, k),
                   _finite(lambda: gk.C(3))),
          homs=SMALL_MENU, slow_homs=SMALL_MENU_SLOW),
]

CASES = {c.id: c for c in _CASE_LIST}
FINITE_CASES = [c for c in _CASE_LIST if c.order is not None]


def hom_params():
    """pytest params (case_id, rep_in, rep_out) over the whole catalogue."""
    out = []
    for c in _CASE_LIST:
        for rin, rout in c.homs:
            out.append(pytest.param(c.id, rin, rout, id=f"{c.id}:{rin}->{rout}",
                                    marks=[pytest.mark.slow] if c.slow else []))
        for rin, rout in c.slow_homs:
            out.append(pytest.param(c.id, rin, rout, id=f"{c.id}:{rin}->{rout}",
                                    marks=[pytest.mark.slow]))
    return out

"""Which generator entries are rational numbers: the rule exact mode uses, and exact input.

The rule (documented in the README and in :func:`groupkit.exact.exact_basis`):

* exact input is taken as given: ``fractions.Fraction``, ``sympy.Rational``/``Integer``, Python
  and numpy integers, in lists, object arrays or ``sympy.Matrix`` generators;
* a float x is the rational p/q nearest to it with q ≤ 10⁶, *only* if float(p/q) == x exactly
  (so 9/7, 0.1, 1e-3 and every integer are recognised; a float that round-trips to no such
  fraction — π/4, √3/2 typed as 0.8660254037844386, 0.1234567891 — is refused with
  :class:`ExactSolveError`, never silently approximated);
* irrational sympy numbers (``sympy.sqrt(3)/2``) and complex entries are refused.

This module imports nothing from groupkit, so :mod:`groupkit.groups` can use it.
"""

from __future__ import annotations

import numbers
from fractions import Fraction

import numpy as np

MAX_DENOMINATOR = 10 ** 6


class ExactSolveError(ValueError):
    """An exact solve was asked of a problem that has no rational description.

    >>> from groupkit import Icosahedral, V, equivariant_basis
    >>> try:
    ...     equivariant_basis(V(Icosahedral()), V(Icosahedral()), exact=True)   # golden ratio
    ... except ExactSolveError:
    ...     print("no rational description")
    no rational description
    """


def float_to_rational(x: float) -> Fraction | None:
    """The rational p/q (q ≤ 10⁶) whose float is exactly x, or None."""
    x = float(x)
    if not np.isfinite(x):
        return None
    f = Fraction(x).limit_denominator(MAX_DENOMINATOR)
    return f if float(f) == x else None


def _is_sympy(x) -> bool:
    return type(x).__module__.startswith("sympy")


def as_rational(x, where: str = "an entry") -> Fraction:
    """``x`` as an exact Fraction by the rule above, or ExactSolveError naming ``where``."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, np.bool_)):
        return Fraction(int(x))
    if isinstance(x, (numbers.Integral, np.integer)):
        return Fraction(int(x))
    if _is_sympy(x):
        if getattr(x, "is_Rational", False):
            return Fraction(int(x.p), int(x.q))
        raise ExactSolveError(
            f"{where} is {x}, which is not a rational number; exact solving needs rational "
            "generators. Use the numeric solver (exact=False).")
    if isinstance(x, (complex, np.complexfloating)):
        if x.imag != 0:
            raise ExactSolveError(
                f"{where} has the complex entry {x}; exact solving supports real rational "
                "generators only (use the numeric solver for complex groups).")
        x = x.real
    f = float_to_rational(x)
    if f is None:
        raise ExactSolveError(
            f"{where} has the entry {float(x)!r}, which is not a rational number with "
            f"denominator ≤ {MAX_DENOMINATOR} (its float does not round-trip); exact solving "
            "needs rational generators (SO(n), O(n), Lorentz, Sp, S(n), Z(n), D(4), the Rubik's "
            "cube …), given as floats that are exactly p/q or as Fraction/sympy.Rational. "
            "Use the numeric solver (exact=False).")
    return f


def split_exact(gens):
    """(exact, floats) for a generator list: ``exact`` is a list of object arrays holding the
    entries as given (Fraction, sympy numbers) when any generator was given in exact form (an
    object array or a sympy Matrix), else None; ``floats`` is what the group stores."""
    if gens is None or (isinstance(gens, np.ndarray) and gens.dtype != object):
        return None, gens
    items = list(gens) if not isinstance(gens, np.ndarray) or gens.ndim == 3 else [gens]
    if isinstance(gens, np.ndarray) and gens.ndim == 2:
        return None, gens  # one matrix instead of a stack: groups.py explains the error
    exact, floats, any_exact = [], [], False
    for g in items:
        if _is_sympy(g) and hasattr(g, "tolist"):
            g = g.tolist()
        a = g if isinstance(g, np.ndarray) else np.asarray(g)
        if a.dtype != object:
            exact.append(None)
            floats.append(a)
            continue
        if a.ndim != 2:
            return None, gens
        any_exact = True
        exact.append(a)
        floats.append(np.array([[_to_number(v) for v in row] for row in a]))
    if not any_exact:
        return None, gens
    return exact, floats


def _to_number(v):
    if isinstance(v, Fraction) or _is_sympy(v):
        c = complex(v)
        return c.real if c.imag == 0 else c
    return v


def exact_tag(exact) -> str:
    """Text that distinguishes exact input from what the float rule would recover: empty when
    every exact entry is what its float reads as, so equal groups keep equal keys."""
    if exact is None:
        return ""
    parts = []
    for i, a in enumerate(exact):
        if a is None:
            continue
        for idx, v in np.ndenumerate(a):
            try:
                f = as_rational(v)
            except ExactSolveError:
                parts.append(f"{i}{idx}:{v}")
                continue
            if float_to_rational(float(f)) != f:
                parts.append(f"{i}{idx}:{f}")
    return ";".join(parts)

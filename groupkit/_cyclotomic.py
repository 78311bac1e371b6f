"""Exact values in cyclotomic fields Q(ζ_e), for character tables.

A value Σ_a v_a ζ_e^a is an integer vector v of length e (object dtype: Python ints). Products
are cyclic convolutions, complex conjugation is a ↦ −a, and a value is reduced to its canonical
form by the remainder modulo the cyclotomic polynomial Φ_e — so equality, and both orthogonality
relations of a character table, are decided in integer arithmetic.
"""

from __future__ import annotations

import functools
import math

import numpy as np


@functools.lru_cache(maxsize=64)
def _cyclotomic_poly(e: int) -> tuple[int, ...]:
    import sympy

    x = sympy.Symbol("x")
    return tuple(int(c) for c in sympy.Poly(sympy.cyclotomic_poly(e, x), x).all_coeffs())


def _reduce(v: np.ndarray, e: int) -> tuple[int, ...]:
    """Canonical form of Σ v_a ζ_e^a: the remainder modulo the cyclotomic polynomial Φ_e."""
    phi = _cyclotomic_poly(e)  # leading coefficient first, monic
    deg = len(phi) - 1
    c = [int(x) for x in v]
    for top in range(len(c) - 1, deg - 1, -1):
        t = c[top]
        if t:
            for i, p in enumerate(phi):
                c[top - deg + (deg - i)] -= t * p if i else 0
            c[top] = 0
    return tuple(c[:deg])


def _mul(a: np.ndarray, b: np.ndarray, e: int) -> np.ndarray:
    out = np.zeros(e, dtype=object)
    for i in np.flatnonzero(a):
        out += np.roll(b, i) * a[i]
    return out


def _conj(a: np.ndarray) -> np.ndarray:
    return np.roll(a[::-1], 1)


def _is_integer(v: np.ndarray, e: int, n: int) -> bool:
    w = v.copy()
    w[0] -= n
    return not any(_reduce(w, e))


def _galois_conjugates(v: np.ndarray, e: int) -> list[tuple[int, ...]]:
    seen = []
    for u in range(1, e):
        if math.gcd(u, e) != 1:
            continue
        w = np.zeros(e, dtype=object)
        for a in np.flatnonzero(v):
            w[(a * u) % e] += v[a]
        r = _reduce(w, e)
        if r not in seen:
            seen.append(r)
    return seen


def _to_sympy(v: np.ndarray, e: int):
    """A readable sympy number for Σ v_a ζ_e^a: an integer, a quadratic irrational, or a sum
    of roots of unity."""
    import sympy

    num = complex(sum(complex(v[a]) * np.exp(2j * np.pi * a / e) for a in np.flatnonzero(v)))
    conj = _galois_conjugates(v, e)
    if len(conj) == 1:
        return sympy.Integer(round(num.real))
    if len(conj) == 2:
        zeta = np.exp(2j * np.pi / e)
        vals = [sum(c * zeta ** a for a, c in enumerate(r)) for r in conj]
        s, p = round((vals[0] + vals[1]).real), round((vals[0] * vals[1]).real)
        root = sympy.sqrt(sympy.Integer(s * s - 4 * p))
        cands = [(sympy.Integer(s) + root) / 2, (sympy.Integer(s) - root) / 2]
        return min(cands, key=lambda x: abs(complex(x) - num))
    z = sympy.exp(2 * sympy.pi * sympy.I / e)
    return sympy.Add(*[int(v[a]) * z ** int(a) for a in np.flatnonzero(v)])


def _exact_values(chi_powers, orders, e: int) -> list[np.ndarray]:
    """Cyclotomic vectors (length e) of χ on each class, from χ(g^t) for t < o(g)."""
    out = []
    for vals, o in zip(chi_powers, orders):
        vec = np.zeros(e, dtype=object)
        t = np.arange(o)
        for a in range(o):
            m = np.sum(np.asarray(vals) * np.exp(-2j * np.pi * a * t / o)) / o
            mi = round(m.real)
            if abs(m - mi) > 1e-4:
                raise ArithmeticError(
                    f"a character value is not a sum of roots of unity (multiplicity {m:.4f}); "
                    "the numerical character table is not accurate enough.")
            if mi:
                vec[(a * (e // o)) % e] += mi
        out.append(vec)
    return out

"""The exact dimension never comes from the floating-point solve.

exact mode takes an upper bound from the nullity mod p and needs as many exactly verified
solutions; the numeric basis is only a hint. These tests corrupt or remove the hint, or switch
off the factor-structured modular path, and check the answer against known counts.
"""

from __future__ import annotations

import numpy as np
import pytest

import groupkit as gk
import groupkit._modular as modular
import groupkit.exact as exact

import oracles as orc

SO3 = gk.SO(3)
CASES = [  # (rep_in, rep_out, count)
    (gk.V(SO3) ** 4, gk.Scalar, orc.riordan(4)),
    (gk.V(SO3) ** 2, gk.V(SO3) ** 2, 3),
    (gk.V(gk.Lorentz()) ** 2, gk.V(gk.Lorentz()) ** 2, 3),
    (gk.V(gk.SL(3)) * gk.V(gk.SL(3)).T, gk.V(gk.SL(3)) * gk.V(gk.SL(3)).T, 2),
]
IDS = ["SO(3) T4→1", "SO(3) VV→VV", "Lorentz VV→VV", "SL(3) VV*→VV*"]


def _hint_dropping_a_column(R, S):
    Q = exact_hint(R, S)
    return None if Q is None else Q[:, 1:]


def _hint_of_noise(R, S):
    Q = exact_hint(R, S)
    return None if Q is None else np.random.default_rng(0).normal(size=Q.shape)


exact_hint = exact._numeric_hint
HINTS = {"none": lambda R, S: None, "incomplete": _hint_dropping_a_column,
         "noise": _hint_of_noise}


@pytest.mark.parametrize("hint", list(HINTS))
@pytest.mark.parametrize("rin, rout, count", CASES, ids=IDS)
def test_exact_dimension_holds_whatever_the_numeric_hint(monkeypatch, rin, rout, count, hint):
    monkeypatch.setattr(exact, "_numeric_hint", HINTS[hint])
    Q = exact.exact_basis(rin, rout)
    assert Q.shape[1] == count and Q.rank() == count


@pytest.mark.parametrize("rin, rout, count", CASES, ids=IDS)
def test_dense_and_factor_structured_modular_ranks_agree(monkeypatch, rin, rout, count):
    a = exact.exact_basis(rin, rout)
    monkeypatch.setattr(exact, "pivot_nullspace_mod_p", lambda *args, **kw: None)
    b = exact.exact_basis(rin, rout)
    assert a.shape[1] == b.shape[1] == count
    assert a.row_join(b).rank() == count


def test_sheared_rotations_have_a_pivot_over_a_finite_field():
    # Over Q the sheared so(3) has no eigenvector basis, over F_p with p ≡ 1 (mod 4) it has.
    pytest.importorskip("flint", reason="the factor-structured path needs python-flint")
    Sh = np.array([[1, 100, 0], [0, 1, 100], [0, 0, 1]])
    Shi = np.round(np.linalg.inv(Sh)).astype(int)
    A = [Sh @ np.round(a).astype(int) @ Shi for a in SO3.lie_algebra]
    G = gk.Group([], A)
    U = exact.hom_space(gk.V(G) ** 2, gk.Scalar)
    sizes, gens = exact.exact_constraint(U)
    K = next(K for p in modular.candidate_primes()
             if (K := modular.pivot_nullspace_mod_p(gens, sizes, p)) is not None)
    assert K.shape[1] == 1  # the invariant quadratic form


def test_modular_nullity_bounds_the_rational_nullity_from_above():
    # An integer matrix whose rank drops mod 3: over Q nullity 0, mod 3 nullity 1.
    M = np.array([[1, 1], [1, 4]], dtype=np.int64)
    assert modular._nullspace_mod(M % 3, 3).shape[1] == 1
    assert modular._nullspace_mod(M % 16777213, 16777213).shape[1] == 0


def test_rational_reconstruction_recovers_small_fractions():
    p = modular.PRIMES[0]
    for f in [(3, 7), (-5, 11), (1, 1000), (0, 1)]:
        a = f[0] * pow(f[1], -1, p) % p
        r = modular._rational_reconstruct(a, p)
        assert (r.numerator, r.denominator) == (f[0] // np.gcd(*f) if f[0] else 0,
                                                f[1] // np.gcd(*f) if f[0] else 1)

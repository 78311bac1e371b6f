"""Exact bases: rational entries, a zero residual in exact arithmetic, the numeric span.

The residual is computed here with exact rationals (``fractions.Fraction`` in numpy object
arrays), from the group's generator arrays and this file's own Kronecker construction of the
representation matrices — not with groupkit's representation code.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

import groupkit as gk
from groupkit.exact import rationalize

import oracles as orc
from cases import REPS, bound_rep, count_specs, group


def _exact(a: np.ndarray) -> np.ndarray:
    """A float array with integer (or half-integer) entries as an object array of Fractions."""
    a = np.asarray(a)
    assert np.isrealobj(a)
    out = np.vectorize(lambda x: Fraction(x).limit_denominator(2), otypes=[object])(a)
    assert np.all(np.vectorize(float)(out) == a), "generator entries are not small rationals"
    return out


def _eye(n):
    out = np.full((n, n), Fraction(0), dtype=object)
    np.fill_diagonal(out, Fraction(1))
    return out


def _zeros(n, m):
    return np.full((n, m), Fraction(0), dtype=object)


def _block(mats):
    n = sum(m.shape[0] for m in mats)
    out = _zeros(n, n)
    i = 0
    for m in mats:
        out[i:i + m.shape[0], i:i + m.shape[0]] = m
        i += m.shape[0]
    return out


def _inv(m):
    M = sympy.Matrix(m.tolist()).inv()
    return np.array([[Fraction(int(x.p), int(x.q)) for x in row] for row in M.tolist()],
                    dtype=object)


def _factor(g, i, dims):
    """The block of factor i of a block-diagonal element (all of g for i = None)."""
    if i is None:
        return g
    a = sum(dims[:i])
    return g[a:a + dims[i], a:a + dims[i]]


def exact_rho(spec, g, dims):
    """ρ(g) exactly, for specs built from V, V*, ⊕ and ⊗ (row-major Kronecker)."""
    kind = spec[0]
    if kind == "1":
        return _eye(1)
    if kind == "V":
        return _factor(g, spec[1], dims)
    if kind == "dual":
        return _inv(exact_rho(spec[1], g, dims)).T
    if kind == "sum":
        return _block([exact_rho(p, g, dims) for p in spec[1:]])
    out = _eye(1)
    for p in spec[1:]:
        out = np.kron(out, exact_rho(p, g, dims))
    return out


def exact_drho(spec, A, dims):
    """dρ(A) exactly: V ↦ A, V* ↦ −Aᵀ, ⊕ block-diagonal, ⊗ by the Leibniz rule."""
    kind = spec[0]
    if kind == "1":
        return _zeros(1, 1)
    if kind == "V":
        return _factor(A, spec[1], dims)
    if kind == "dual":
        return -exact_drho(spec[1], A, dims).T
    if kind == "sum":
        return _block([exact_drho(p, A, dims) for p in spec[1:]])
    parts = spec[1:]
    sizes = [orc.spec_size(p, dims) for p in parts]
    total = int(np.prod(sizes))
    out = _zeros(total, total)
    for i, p in enumerate(parts):
        left, right = int(np.prod(sizes[:i])), int(np.prod(sizes[i + 1:]))
        out = out + np.kron(np.kron(_eye(left), exact_drho(p, A, dims)), _eye(right))
    return out


def exact_residuals(Q: sympy.Matrix, G: gk.Group, rin, rout):
    """All entries of ρ_out(h) W − W ρ_in(h) and dρ_out(A) W − W dρ_in(A), every column W."""
    dims = [f.d for f in G.factors]
    n_in, n_out = orc.spec_size(rin, dims), orc.spec_size(rout, dims)
    cols = [np.array([Fraction(int(x.p), int(x.q)) for x in Q[:, j]], dtype=object)
            .reshape(n_out, n_in) for j in range(Q.shape[1])]
    res = []
    for h in G.discrete_generators:
        h = _exact(h)
        a, b = exact_rho(rin, h, dims), exact_rho(rout, h, dims)
        res += [(b.dot(W) - W.dot(a)).ravel() for W in cols]
    for A in G.lie_algebra:
        A = _exact(A)
        a, b = exact_drho(rin, A, dims), exact_drho(rout, A, dims)
        res += [(b.dot(W) - W.dot(a)).ravel() for W in cols]
    return np.concatenate(res) if res else np.zeros(0)


_V, _VV = orc.V(), orc.tensor(orc.V(), orc.V())
EXACT_CASES = [
    # (case, spec in, spec out, expected count)
    ("SO(3)", orc.power(_V, 4), orc.SCALAR, orc.riordan(4)),
    ("S(6)", orc.power(_V, 3), orc.SCALAR, orc.symmetric_invariants(6, 3)),
    ("Lorentz", _VV, _VV, None),
    ("SO(3)", _VV, _V, orc.riordan(3)),
    ("O(3)", REPS["2V+VV"], REPS["2V+VV"], None),
    ("Sp(1)", _VV, orc.SCALAR, None),
    ("Sp(2)", _VV, _VV, None),
    ("SL(2)", REPS["VV*"], REPS["VV*"], None),
    ("GL(2)", REPS["VV*"], orc.SCALAR, None),
    ("D(4)", _VV, _VV, None),
    ("C(4)", _VV, orc.SCALAR, None),
    ("Z(5)", _VV, _V, None),
    ("Octahedral", orc.power(_V, 4), orc.SCALAR, None),
    ("SO13p", _VV, _VV, None),
]


def _expected(case_id, rin, rout, count):
    return count if count is not None else count_specs(case_id, rin, rout)


@pytest.mark.parametrize("case_id, rin, rout, count", EXACT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(EXACT_CASES)])
def test_exact_basis_has_zero_exact_residual(case_id, rin, rout, count):
    G = group(case_id)
    Q = gk.equivariant_basis(bound_rep(rin, G), bound_rep(rout, G), exact=True)
    assert isinstance(Q, sympy.MatrixBase)
    assert all(isinstance(x, sympy.Rational) for x in Q)
    assert Q.shape[1] == _expected(case_id, rin, rout, count)
    assert Q.rank() == Q.shape[1]
    assert all(r == 0 for r in exact_residuals(Q, G, rin, rout))


@pytest.mark.parametrize("case_id, rin, rout, count", EXACT_CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(EXACT_CASES)])
def test_exact_basis_spans_the_numeric_basis(case_id, rin, rout, count):
    G = group(case_id)
    rep_in, rep_out = bound_rep(rin, G), bound_rep(rout, G)
    E = np.array(gk.equivariant_basis(rep_in, rep_out, exact=True).evalf(), dtype=float)
    Q = gk.equivariant_basis(rep_in, rep_out)
    assert E.shape == Q.shape
    # span(E) = span(Q): E lies in span(Q) and has full rank.
    np.testing.assert_allclose(Q @ (Q.T @ E), E, atol=1e-9)
    assert np.linalg.matrix_rank(E) == Q.shape[1]


def test_exact_rotation_maps_are_the_cross_product():
    Q = gk.equivariant_basis(gk.V(gk.SO(3)) ** 2, gk.V(gk.SO(3)), exact=True)
    W = np.array(Q[:, 0].T.tolist()[0], dtype=int).reshape(3, 3, 3)
    eps = np.zeros((3, 3, 3), dtype=int)
    for (i, j, k), s in {(0, 1, 2): 1, (1, 2, 0): 1, (2, 0, 1): 1,
                         (0, 2, 1): -1, (2, 1, 0): -1, (1, 0, 2): -1}.items():
        eps[i, j, k] = s
    assert np.array_equal(W, eps) or np.array_equal(W, -eps)


def test_exact_product_group_basis():
    G = gk.SO(3) * gk.S(4)
    rin = orc.tensor(orc.V(0), orc.V(1))
    Q = gk.equivariant_basis(bound_rep(rin, G), bound_rep(rin, G), exact=True)
    assert Q.shape == (144, 2)
    assert all(r == 0 for r in exact_residuals(Q, G, rin, rin))


def test_exact_bases_print_as_sympy_matrices_and_latex():
    Q = gk.equivariant_basis(gk.V(gk.SO(3)) ** 2, gk.V(gk.SO(3)), exact=True)
    assert "Matrix" in repr(Q)
    assert sympy.latex(Q).startswith("\\left[")


def test_numeric_basis_rationalises_to_an_exactly_equivariant_basis():
    # The numeric → exact bridge, verified by this file's exact residual.
    G = gk.Lorentz()
    Q = gk.equivariant_basis(gk.V(G) ** 2, gk.V(G) ** 2)
    X = rationalize(Q)
    assert X.shape == Q.shape
    M = sympy.Matrix(X.shape[0], X.shape[1], lambda i, j: sympy.Rational(
        X[i, j].numerator, X[i, j].denominator))
    assert M.rank() == Q.shape[1]
    assert all(r == 0 for r in exact_residuals(M, G, _VV, _VV))


def test_exact_solve_of_a_symmetric_square_of_a_permutation_representation():
    Q = gk.equivariant_basis(gk.Sym(gk.V(gk.S(4)), 2), gk.Scalar, exact=True)
    assert Q.shape[1] == 2


def test_exact_residual_check_detects_a_wrong_basis():
    G = gk.SO(3)
    Q = gk.equivariant_basis(gk.V(G) ** 2, gk.V(G), exact=True)
    wrong = Q.copy()
    wrong[0, 0] += 1
    assert any(r != 0 for r in exact_residuals(wrong, G, _VV, _V))

"""Exact (rational) irreducible decomposition: the splitting of :mod:`groupkit.decompose` in
arithmetic over Q.

The commutant has an exact rational basis (:func:`groupkit.exact.exact_basis`). For a rational
commutant element x, its characteristic polynomial factors over Q as Π f_i^{e_i}, and the
primary components ker f_i(x)^{e_i} are rational G-invariant subspaces with rational invariant
complements. Splitting with the basis elements (which are often "nice": permutations of tensor
factors, contractions), then with small integer combinations, ends either in the irreducible
pieces the numerical decomposition predicts — then the copies are aligned by rational
intertwiners, Q is rational, and Q⁻¹ρ(g)Q is checked block-diagonal exactly on every generator —
or in a piece that does not split over Q although it splits over R (the 4-dimensional summand
of the permutation representation of C(5), say), which raises :class:`DecompositionError`.
"""

from __future__ import annotations

import numpy as np
import sympy
from sympy.polys.domains import QQ
from sympy.polys.matrices import DomainMatrix

from .decompose import Decomposition, DecompositionError, Irrep, _decompose_numeric, _readonly
from .reps import Rep

_x = sympy.Symbol("x")


def _dm(M) -> DomainMatrix:
    return DomainMatrix.from_Matrix(sympy.Matrix(M)).convert_to(QQ)


def _rational_matrix(m: np.ndarray, what: str) -> DomainMatrix:
    from .exact import _rational

    m = np.asarray(m)
    rows = [[QQ(_rational(v, what).numerator, _rational(v, what).denominator) for v in row]
            for row in m]
    return DomainMatrix(rows, m.shape, QQ)


def _eye(k: int) -> DomainMatrix:
    return DomainMatrix.eye(k, QQ)


def _poly_at(coeffs, x: DomainMatrix) -> DomainMatrix:
    """f(x) for f with rational coefficients (highest degree first), by Horner's rule."""
    k = x.shape[0]
    out = DomainMatrix.zeros((k, k), QQ)
    for c in coeffs:
        out = out * x + _eye(k) * QQ(c)
    return out


def _primary_split(x: DomainMatrix):
    """[(Z_i (k, k_i), rows of the inverse)] for the primary decomposition of x over Q, or
    None when x's characteristic polynomial is a power of one irreducible."""
    k = x.shape[0]
    cp = sympy.Poly(x.charpoly(), _x, domain="QQ")
    _, factors = sympy.factor_list(cp.as_expr(), _x)
    if len(factors) < 2:
        return None
    Zs = []
    for f, e in factors:
        coeffs = sympy.Poly(f ** e, _x).all_coeffs()
        N = _poly_at([QQ(sympy.Rational(c).p, sympy.Rational(c).q) for c in coeffs], x)
        Z = N.nullspace().transpose()  # (k, k_i)
        Zs.append(Z)
    M = Zs[0].hstack(*Zs[1:]) if len(Zs) > 1 else Zs[0]
    if M.shape != (k, k) or M.rank() != k:
        return None
    Minv = M.inv()
    out, start = [], 0
    for Z in Zs:
        c = Z.shape[1]
        out.append((Z, Minv[start:start + c, :]))
        start += c
    return out


def _candidates(E: list[DomainMatrix], rng, tries: int = 24):
    yield from E
    for i in range(len(E)):
        for j in range(i + 1, len(E)):
            yield E[i] + E[j]
    for _ in range(tries):
        c = rng.integers(-3, 4, size=len(E))
        x = E[0] * QQ(int(c[0]))
        for ci, Ei in zip(c[1:], E[1:]):
            x = x + Ei * QQ(int(ci))
        yield x


def _restrict(C: list[DomainMatrix], B: DomainMatrix, L: DomainMatrix) -> list[DomainMatrix]:
    out = []
    for Cl in C:
        x = L * Cl * B
        if any(v for row in x.to_list() for v in row):
            out.append(x)
    return out


def _split(B, L, C, rng, target: int):
    """Split the rational piece (B, L) until pieces have the numerical irreps' sizes."""
    k = B.shape[1]
    if k <= target:
        return [(B, L)]
    E = _restrict(C, B, L)
    for x in _candidates(E, rng):
        parts = _primary_split(x)
        if parts is None:
            continue
        out = []
        for Z, Zi in parts:
            out += _split(B * Z, Zi * L, C, rng, target)
        return out
    return [(B, L)]


def _to_float(M: DomainMatrix) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in M.to_list()], dtype=float)


def exact_decompose(rep: Rep, *, rng=0) -> Decomposition:
    from .exact import exact_basis

    if rep.is_complex:
        raise DecompositionError(
            f"{rep} is a complex representation; exact decomposition works over Q only.")
    num = _decompose_numeric(rep, rng)
    if not num.completely_reducible:
        raise DecompositionError(
            f"{rep} is not completely reducible; exact decomposition needs irreducible summands.")
    rng = np.random.default_rng(rng)
    n = rep.size
    Ex = exact_basis(rep, rep)
    C = [_dm(Ex[:, j].reshape(n, n)) for j in range(Ex.shape[1])]
    smallest = min(r.size for r in num.irreps)
    pieces = _split(_eye(n), _eye(n), C, rng, smallest)
    # every piece must be one of the irreducibles: sizes must match the numerical count
    got = sorted(B.shape[1] for B, _ in pieces)
    want = sorted(num.dims)
    if got != want:
        big = max(got)
        raise DecompositionError(
            f"{rep} does not split into its irreducibles over Q: a rational piece of dimension "
            f"{big} remains (over R the summands have dimensions {want}); its irreducible "
            "summands are not defined over the rationals. Use exact=False.")
    # classes of isomorphic pieces, aligned by rational intertwiners
    classes: list[list[int]] = []
    based = {}
    for j, (B, L) in enumerate(pieces):
        for cls in classes:
            Bi, Li = based[cls[0]]
            if Bi.shape[1] != B.shape[1]:
                continue
            H = _restrict(C, Bi, L)  # L C Bi: maps W_i → W_j
            if not H:
                continue
            phi = H[0]
            if phi.rank() != phi.shape[0]:
                continue
            based[j] = (B * phi, phi.inv() * L)
            cls.append(j)
            break
        else:
            based[j] = (B, L)
            classes.append([j])
    # match the numerical irreps by size and character on a few elements
    G = rep.group
    test = G.samples(3, rng=0) if G is not None else []

    def signature(i):
        Bf, Lf = (_to_float(M) for M in based[i])
        return np.array([np.trace(Lf @ rep.rho(g) @ Bf) for g in test])

    order, used = [], set()
    for r in num.irreps:
        sig = np.array([np.trace(r.rho(g)) for g in test])
        for c, cls in enumerate(classes):
            if c in used or pieces[cls[0]][0].shape[1] != r.size:
                continue
            if np.allclose(signature(cls[0]), sig, atol=1e-8 * max(1.0, np.abs(sig).max())):
                order.append((r, c))
                used.add(c)
                break
        else:
            raise DecompositionError(f"could not match the exact pieces of {rep} with its "
                                     "irreducibles; please report this.")
    irreps, mults, cols, rows = [], [], [], []
    for r, c in order:
        cls = classes[c]
        if len(cls) != num.multiplicities[num.irreps.index(r)]:
            raise DecompositionError(f"the exact multiplicities of {rep} disagree with the "
                                     "numerical ones; please report this.")
        B0, L0 = based[cls[0]]
        irreps.append(Irrep(rep, _to_float(B0), _to_float(L0), kind=r.kind, irreducible=True,
                            label=r.label, trivial=r.is_trivial))
        mults.append(len(cls))
        for j in cls:
            cols.append(based[j][0])
            rows.append(based[j][1])
    Q = cols[0].hstack(*cols[1:]) if len(cols) > 1 else cols[0]
    Qi = rows[0].vstack(*rows[1:]) if len(rows) > 1 else rows[0]
    if Qi * Q != _eye(n):
        raise DecompositionError("the exact change of basis is not invertible; please report.")
    _verify_blocks(rep, Q, Qi, [r.size for r, m in zip(irreps, mults) for _ in range(m)])
    Qs = Q.to_Matrix()
    return Decomposition(rep, tuple(irreps), tuple(mults), _readonly(_to_float(Q)),
                         _readonly(_to_float(Qi)), True, exact_Q=Qs)


def _verify_blocks(rep: Rep, Q: DomainMatrix, Qi: DomainMatrix, dims: list[int]) -> None:
    """Q⁻¹ ρ(h) Q (and Q⁻¹ dρ(A) Q) are block-diagonal, in exact arithmetic."""
    G = rep.group
    if G is None:
        return
    mats = [(rep.rho(h), "a discrete generator") for h in G.discrete_generators]
    mats += [(rep.drho(A), "a Lie-algebra generator") for A in G.lie_algebra]
    edges = np.concatenate([[0], np.cumsum(dims)])
    block = np.zeros((Q.shape[0],) * 2, bool)
    for a, b in zip(edges[:-1], edges[1:]):
        block[a:b, a:b] = True
    for m, what in mats:
        M = (Qi * _rational_matrix(m, what) * Q).to_list()
        for i, j in zip(*np.nonzero(~block)):
            if M[i][j] != 0:
                raise DecompositionError(f"the exact change of basis does not block-diagonalise "
                                         f"{what} of {rep}; please report this.")

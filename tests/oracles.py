"""Independent counts of equivariant maps: the test suite's oracles.

Nothing here uses groupkit's solver or representation code. A representation is described by a
small *spec* (nested tuples, see :func:`V`, :func:`dual`, …) from which we compute its character,
and the dimension of the equivariant maps R → S is the average of a character over the group:

    dim Hom(R, S)^G = ∫_G χ_R(g⁻¹) χ_S(g) dg.

Two kinds of "measure" supply the average (both reduced to power sums p_k(g) = tr(g^k), from
which every character here is a polynomial):

* finite groups: all elements, found by closure under the generators (breadth-first search over
  products, elements hashed by their rounded entries), each of weight 1/|G|;
* compact connected Lie groups: Weyl's integration formula on the maximal torus,
  ∫_G f = (1/|W|) ∫_T f(t) Π_{α>0} |1 − e^{iα(θ)}|² dθ, by the trapezoid rule on a grid with more
  points than the highest frequency of the (trigonometric polynomial) integrand, which is exact.
  Non-compact groups use their compact forms (Weyl's unitarian trick): SL(n,R) → SU(n),
  GL(n,R) → U(n), Sp(2m,R) → USp(2m), SO⁺(1,3) → SO(4), O(1,3) → O(4).

Closed formulas (Bell, Stirling, Brauer double factorials, Catalan, Riordan) cross-check these and
reach sizes the averages cannot (S(30), the Rubik's cube). For the Rubik's cube group the count of
orbits on index tuples comes from ``sympy.combinatorics``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

# -- representation specs --------------------------------------------------------------------
# ("V", i): the defining representation of factor i (i = None: of the whole group, which for a
# direct product is the direct sum of the factors' defining representations);
# ("1",), ("dual", s), ("sum", s, ...), ("tensor", s, ...), ("sym", s, k), ("alt", s, k).

SCALAR = ("1",)


def V(i: int | None = None) -> tuple:
    return ("V", i)


def dual(s) -> tuple:
    return ("dual", s)


def direct_sum(*parts) -> tuple:
    return ("sum", *parts)


def tensor(*parts) -> tuple:
    return ("tensor", *parts)


def mult(k: int, s) -> tuple:
    return ("sum", *([s] * k))


def power(s, k: int) -> tuple:
    return tensor(*([s] * k)) if k else SCALAR


def sym(s, k: int = 2) -> tuple:
    return ("sym", s, k)


def alt(s, k: int = 2) -> tuple:
    return ("alt", s, k)


def hom(r, s) -> tuple:
    """The representation on maps r → s: s ⊗ r*."""
    return tensor(s, dual(r))


def spec_degree(s) -> int:
    """Tensor degree: the largest number of V or V* factors in a term of the character."""
    kind = s[0]
    if kind == "1":
        return 0
    if kind == "V":
        return 1
    if kind == "dual":
        return spec_degree(s[1])
    if kind == "sum":
        return max(spec_degree(p) for p in s[1:])
    if kind == "tensor":
        return sum(spec_degree(p) for p in s[1:])
    if kind in ("sym", "alt"):
        return s[2] * spec_degree(s[1])
    raise ValueError(f"unknown spec {s!r}")


def spec_size(s, dims: Sequence[int]) -> int:
    """Dimension of the representation, for factor dimensions ``dims``."""
    kind = s[0]
    if kind == "1":
        return 1
    if kind == "V":
        return sum(dims) if s[1] is None else dims[s[1]]
    if kind == "dual":
        return spec_size(s[1], dims)
    if kind == "sum":
        return sum(spec_size(p, dims) for p in s[1:])
    if kind == "tensor":
        return math.prod(spec_size(p, dims) for p in s[1:])
    n, k = spec_size(s[1], dims), s[2]
    return math.comb(n + k - 1, k) if kind == "sym" else math.comb(n, k)


def _partitions(k: int, largest: int | None = None):
    largest = k if largest is None else largest
    if k == 0:
        yield ()
        return
    for first in range(min(k, largest), 0, -1):
        for rest in _partitions(k - first, first):
            yield (first, *rest)


def _z(lam) -> int:
    """Size of the centraliser of a permutation of cycle type ``lam``."""
    out = 1
    for part, count in ((p, lam.count(p)) for p in set(lam)):
        out *= part ** count * math.factorial(count)
    return out


def character(s, power_sum: Callable[[int, int | None], np.ndarray], k: int = 1) -> np.ndarray:
    """χ_s(g^k) at every point of a measure, from the power sums p(j, factor) = tr(g_factor^j).

    χ_V = tr g, χ_{V*}(g) = tr g⁻¹, sums add, products multiply, and the symmetric and
    alternating powers follow the cycle-index formula
    χ_{Sym^m R}(g) = Σ_{λ ⊢ m} z_λ⁻¹ Π_i χ_R(g^{λ_i}) (with the sign of λ for Λ^m), which for m = 2
    is (χ(g)² ± χ(g²))/2.
    """
    kind = s[0]
    if kind == "1":
        return np.ones_like(power_sum(0, None))
    if kind == "V":
        return power_sum(k, s[1])
    if kind == "dual":
        return character(s[1], power_sum, -k)
    if kind == "sum":
        return sum(character(p, power_sum, k) for p in s[1:])
    if kind == "tensor":
        out = character(s[1], power_sum, k)
        for p in s[2:]:
            out = out * character(p, power_sum, k)
        return out
    if kind in ("sym", "alt"):
        base, m = s[1], s[2]
        total = 0
        for lam in _partitions(m):
            sign = (-1) ** (m - len(lam)) if kind == "alt" else 1
            term = sign / _z(lam)
            for part in lam:
                term = term * character(base, power_sum, k * part)
            total = total + term
        return total
    raise ValueError(f"unknown spec {s!r}")


# -- measures --------------------------------------------------------------------------------

@dataclass
class Measure:
    """Points of a group (or of its torus) with weights summing to one.

    ``eig[f]`` holds, per factor f, either the eigenvalues of every point, shape (P, d_f), or
    (for enumerated finite groups) ``None`` with ``mats[f]`` the element matrices (P, d_f, d_f).
    """

    weights: np.ndarray
    eig: list = field(default_factory=list)
    mats: list = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_factors(self) -> int:
        return len(self.eig)

    def power_sum(self, k: int, f: int | None) -> np.ndarray:
        """tr(g^k) for factor f (f = None: all factors, block-diagonally), shape (P,)."""
        if f is None:
            return sum(self.power_sum(k, i) for i in range(self.n_factors))
        key = (k, f)
        if key not in self._cache:
            if self.eig[f] is not None:
                self._cache[key] = np.sum(self.eig[f] ** k, axis=1)
            else:
                self._cache[key] = np.trace(_matrix_power(self.mats[f], k, self._cache, f),
                                            axis1=1, axis2=2)
        return self._cache[key]

    def average(self, s) -> complex:
        return complex(np.sum(self.weights * character(s, self.power_sum)))


def _matrix_power(mats: np.ndarray, k: int, cache: dict, f: int) -> np.ndarray:
    key = ("mat", k, f)
    if key not in cache:
        if k == 0:
            out = np.broadcast_to(np.eye(mats.shape[1]), mats.shape)
        elif k == 1:
            out = mats
        elif k == -1:
            out = np.linalg.inv(mats)
        else:
            step = 1 if k > 0 else -1
            out = _matrix_power(mats, k - step, cache, f) @ _matrix_power(mats, step, cache, f)
        cache[key] = out
    return cache[key]


def count(measure: Measure, r, s) -> int:
    """dim Hom(r, s)^G as an integer (raises if the average is not one)."""
    x = measure.average(hom(r, s))
    n = round(x.real)
    if abs(x - n) > 1e-6 * max(1.0, abs(x)):
        raise AssertionError(f"the character average {x} is not an integer")
    return n


def product(*measures: Measure) -> Measure:
    """The product measure on G1 × G2 × … (every point of one with every point of the others)."""
    sizes = [len(m.weights) for m in measures]
    grids = np.meshgrid(*[np.arange(n) for n in sizes], indexing="ij")
    idx = [g.ravel() for g in grids]
    weights = np.prod([m.weights[i] for m, i in zip(measures, idx)], axis=0)
    eig, mats = [], []
    for m, i in zip(measures, idx):
        for e, a in zip(m.eig, m.mats):
            eig.append(None if e is None else e[i])
            mats.append(None if a is None else a[i])
    return Measure(weights, eig, mats)


def mixture(*measures: Measure) -> Measure:
    """The uniform mixture of measures with one factor each (e.g. the components of O(n))."""
    w = np.concatenate([m.weights for m in measures]) / len(measures)
    eig = [np.concatenate([m.eig[0] for m in measures])]
    return Measure(w, eig, [None])


# -- finite groups: closure ------------------------------------------------------------------

def enumerate_group(generators: np.ndarray, *, limit: int = 100_000, decimals: int = 8
                    ) -> np.ndarray:
    """All elements of the group generated by ``generators`` (k, d, d), as (|G|, d, d).

    Breadth-first search over products with the generators; elements are identified by their
    entries rounded to ``decimals`` places.
    """
    gens = np.asarray(generators)
    d = gens.shape[1] if gens.ndim == 3 and len(gens) else None
    if d is None:
        raise ValueError("enumerate_group needs at least one generator")

    def key(m):
        r = np.round(m.real, decimals) + 0.0
        parts = [r] if not np.iscomplexobj(m) else [r, np.round(m.imag, decimals) + 0.0]
        return b"".join(p.tobytes() for p in parts)

    eye = np.eye(d, dtype=gens.dtype)
    seen = {key(eye): eye}
    frontier = [eye]
    while frontier:
        new = []
        for g in frontier:
            for h in gens:
                x = g @ h
                kx = key(x)
                if kx not in seen:
                    seen[kx] = x
                    new.append(x)
                    if len(seen) > limit:
                        raise ValueError(f"group has more than {limit} elements")
        frontier = new
    return np.stack(list(seen.values()))


def finite_measure(generators: np.ndarray) -> Measure:
    elements = enumerate_group(generators)
    return Measure(np.full(len(elements), 1.0 / len(elements)), [None], [elements])


def trivial_measure(d: int) -> Measure:
    return Measure(np.ones(1), [np.ones((1, d))], [None])


# -- compact Lie groups: Weyl integration ----------------------------------------------------

@dataclass(frozen=True)
class Torus:
    """A maximal torus: eigenvalues exp(i⟨w, θ⟩) for the weights w (rows of ``weights``, shape
    (d, r)) plus fixed eigenvalues ``extra``; positive roots as rows of ``roots`` (n₊, r)."""

    weights: np.ndarray
    roots: np.ndarray
    weyl_order: int
    extra: tuple = ()

    @property
    def rank(self) -> int:
        return self.weights.shape[1]


def weyl_measure(torus: Torus, degree: int, *, sign: float = 1.0) -> Measure:
    """Weyl integration on ``torus``, exact for characters of tensor degree ≤ ``degree``.

    The integrand's frequency in θ_j is at most degree·max|w_j| (the character) plus Σ|α_j| over
    positive roots (the density), so a grid of one more point per axis integrates it exactly.
    ``sign`` multiplies every eigenvalue (−1: the coset −G, for O(2m+1) = SO(2m+1) × {±I}).
    """
    r = torus.rank
    if r == 0:
        eig = np.array([list(torus.extra)], dtype=complex) * sign
        return Measure(np.ones(1), [eig], [None])
    W, R = torus.weights, torus.roots
    freq = degree * np.abs(W).max(axis=0) + (np.abs(R).sum(axis=0) if len(R) else 0)
    n = (freq + 1).astype(int)
    axes = [2 * np.pi * np.arange(m) / m for m in n]
    theta = np.stack([a.ravel() for a in np.meshgrid(*axes, indexing="ij")], axis=1)  # (P, r)
    density = np.ones(len(theta))
    for alpha in R:
        density *= np.abs(1 - np.exp(1j * theta @ alpha)) ** 2
    weights = density / torus.weyl_order / math.prod(n)
    eig = np.exp(1j * theta @ W.T)
    if torus.extra:
        eig = np.concatenate([eig, np.tile(np.array(torus.extra, complex), (len(eig), 1))], 1)
    return Measure(weights, [sign * eig], [None])


def _unit(r: int, i: int) -> np.ndarray:
    e = np.zeros(r, dtype=int)
    e[i] = 1
    return e


def torus_SO(n: int) -> Torus:
    m = n // 2
    if m == 0:
        return Torus(np.zeros((0, 0)), np.zeros((0, 0)), 1, (1.0,) * n)
    e = [_unit(m, i) for i in range(m)]
    weights = np.array([v for i in range(m) for v in (e[i], -e[i])])
    roots = [e[i] + s * e[j] for i in range(m) for j in range(i + 1, m) for s in (1, -1)]
    if n % 2:
        roots += e
        order = 2 ** m * math.factorial(m)
    else:
        order = 2 ** (m - 1) * math.factorial(m)
    return Torus(weights, np.array(roots).reshape(-1, m), order, (1.0,) if n % 2 else ())


def torus_USp(m: int, extra: tuple = ()) -> Torus:
    """Compact symplectic USp(2m) (Sp(m) compact): eigenvalues e^{±iθ_j}; roots e_i ± e_j, 2e_i."""
    if m == 0:
        return Torus(np.zeros((0, 0)), np.zeros((0, 0)), 1, extra)
    e = [_unit(m, i) for i in range(m)]
    weights = np.array([v for i in range(m) for v in (e[i], -e[i])])
    roots = [e[i] + s * e[j] for i in range(m) for j in range(i + 1, m) for s in (1, -1)]
    roots += [2 * v for v in e]
    return Torus(weights, np.array(roots), 2 ** m * math.factorial(m), extra)


def torus_U(n: int) -> Torus:
    e = [_unit(n, i) for i in range(n)]
    roots = [e[i] - e[j] for i in range(n) for j in range(i + 1, n)]
    return Torus(np.array(e), np.array(roots).reshape(-1, n), math.factorial(n))


def torus_SU(n: int) -> Torus:
    """θ_n = −(θ_1 + … + θ_{n−1}): weights e_1, …, e_{n−1}, −Σe_i."""
    r = n - 1
    e = [_unit(r, i) for i in range(r)]
    weights = np.array(e + [-np.ones(r, dtype=int)])
    roots = [weights[i] - weights[j] for i in range(n) for j in range(i + 1, n)]
    return Torus(weights, np.array(roots), math.factorial(n))


def measure_SO(n: int, degree: int) -> Measure:
    return weyl_measure(torus_SO(n), degree)


def measure_O(n: int, degree: int) -> Measure:
    """Haar measure of O(n): half on SO(n), half on the other component.

    O(2m+1) = SO(2m+1) × {±I}, so the other component is −SO(2m+1). For O(2m) the other component
    has eigenvalues 1, −1 and m−1 pairs e^{±iθ} distributed as on the torus of USp(2m−2)
    (the classical eigenvalue law of O⁻(2m)); for O(2) every reflection has eigenvalues {1, −1}.
    """
    rot = measure_SO(n, degree)
    if n % 2:
        other = weyl_measure(torus_SO(n), degree, sign=-1.0)
    else:
        other = weyl_measure(torus_USp(n // 2 - 1, extra=(1.0, -1.0)), degree)
    return mixture(rot, other)


def measure_U(n: int, degree: int) -> Measure:
    return weyl_measure(torus_U(n), degree)


def measure_SU(n: int, degree: int) -> Measure:
    return weyl_measure(torus_SU(n), degree)


def measure_USp(m: int, degree: int) -> Measure:
    return weyl_measure(torus_USp(m), degree)


# -- closed formulas -------------------------------------------------------------------------

def stirling2(n: int, k: int) -> int:
    """Stirling numbers of the second kind: partitions of n labelled points into k blocks."""
    row = [1] + [0] * k  # S(0, j)
    for i in range(1, n + 1):
        new = [0] * (k + 1)
        for j in range(1, min(i, k) + 1):
            new[j] = j * row[j] + row[j - 1]
        row = new
    return row[k]


def bell(n: int) -> int:
    return sum(stirling2(n, k) for k in range(n + 1))


def symmetric_invariants(n: int, k: int) -> int:
    """dim (V^⊗k)^{S(n)} for the permutation representation V = R^n: set partitions of k
    points into at most n blocks (the Bell number B(k) when n ≥ k)."""
    return sum(stirling2(k, j) for j in range(min(n, k) + 1))


def double_factorial(n: int) -> int:
    return math.prod(range(n, 0, -2)) if n > 0 else 1


def orthogonal_invariants(n: int, k: int) -> int:
    """dim (V^⊗k)^{O(n)} for n ≥ k/2: perfect matchings, (k−1)!! for even k, 0 for odd k."""
    if 2 * n < k:
        raise ValueError("the Brauer count needs n ≥ k/2")
    return double_factorial(k - 1) if k % 2 == 0 else 0


def catalan(k: int) -> int:
    return math.comb(2 * k, k) // (k + 1)


def riordan(k: int) -> int:
    """Riordan numbers 1, 0, 1, 1, 3, 6, 15, 36, 91, …: dim (V^⊗k)^{SO(3)}."""
    r = [Fraction(1), Fraction(0)]
    for j in range(2, k + 1):
        r.append(Fraction(j - 1, j + 1) * (2 * r[j - 1] + 3 * r[j - 2]))
    return int(r[k])


# -- permutation groups too large to enumerate: orbits with sympy ----------------------------

def orbit_count_on_tuples(perms: Sequence[Sequence[int]], n: int, k: int) -> int:
    """Number of orbits of the group generated by ``perms`` (permutations of 0..n−1) acting
    diagonally on k-tuples of points: dim Hom for the permutation representation on R^{n^k}.
    Computed with ``sympy.combinatorics`` on n^k points."""
    from sympy.combinatorics import Permutation, PermutationGroup

    tuples = list(itertools.product(range(n), repeat=k))
    index = {t: i for i, t in enumerate(tuples)}
    gens = []
    for p in perms:
        gens.append(Permutation([index[tuple(p[i] for i in t)] for t in tuples]))
    return len(PermutationGroup(gens).orbits())


# -- representation matrices, built independently of groupkit.reps --------------------------

def spec_matrix(s, blocks: Sequence[np.ndarray]) -> np.ndarray:
    """ρ_s(g) for a spec without Sym/Alt, from the factor blocks g_f of a group element:
    V ↦ g (the block-diagonal g for V(None)), V* ↦ g^{-T}, ⊕ ↦ block-diagonal in order,
    ⊗ ↦ Kronecker product (row-major: the last factor varies fastest)."""
    import scipy.linalg

    kind = s[0]
    if kind == "1":
        return np.ones((1, 1))
    if kind == "V":
        return scipy.linalg.block_diag(*blocks) if s[1] is None else np.asarray(blocks[s[1]])
    if kind == "dual":
        return np.linalg.inv(spec_matrix(s[1], blocks)).T
    if kind == "sum":
        return scipy.linalg.block_diag(*[spec_matrix(p, blocks) for p in s[1:]])
    if kind == "tensor":
        out = np.ones((1, 1))
        for p in s[1:]:
            out = np.kron(out, spec_matrix(p, blocks))
        return out
    raise ValueError(f"spec_matrix does not build {kind!r}")


def power_sums_of(g: np.ndarray) -> Callable[[int, int | None], np.ndarray]:
    """The power sums tr(g^k) of one matrix, in the form :func:`character` takes."""
    def p(k, f):
        return np.array([np.trace(np.linalg.matrix_power(g, k))])
    return p


def equivariance_residual(W: np.ndarray, rho_in: np.ndarray, rho_out: np.ndarray) -> float:
    """‖ρ_out W − W ρ_in‖ / ‖W‖ for one map W (out, in)."""
    return float(np.linalg.norm(rho_out @ W - W @ rho_in) / np.linalg.norm(W))

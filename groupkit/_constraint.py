"""The equivariance constraint of one Hom space, kept in tensor-factor form.

For a representation U = F_1 ⊗ … ⊗ F_n (the Hom space S ⊗ R* of a pair of summands), a discrete
generator h acts by ⊗_f ρ_f(h) and a Lie-algebra generator A by Σ_f I ⊗ … ⊗ dρ_f(A) ⊗ … ⊗ I.
We keep only the small factor matrices and apply them axis by axis: vec(A W Bᵀ) = (A ⊗ B) vec(W)
is two small products, never an N × N Kronecker matrix.

Units and coordinates must not change an answer, so the numeric solver never works on the
constraint as written. :meth:`Constraint.balanced` applies one diagonal similarity per tensor
factor (powers of two, so it is exact) that evens out the sizes of the generators' entries — a
group written in metres and kilometres, or with c = 10⁴, becomes the same problem as in natural
units — and every generator is measured against its own norm (:meth:`Generator.bound`), so a Lie
generator scaled by 10⁻⁶ counts as much as one of size 1.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from .reps import Rep

# A Lie-algebra element whose action on U is below this (relative to the element itself) is
# rounding noise: a thousand roundings.
NOISE_TOL = 1e3 * np.finfo(float).eps


def _acts_by_noise(f: Rep, A: np.ndarray, m: np.ndarray) -> bool:
    """Whether every entry of m = dρ_f(A) is within NOISE_TOL of the rounding error bound of
    computing it, |dρ_f(|A|)| entry by entry (an entry whose bound cancels to zero counts as
    genuine: that errs on the side of keeping a constraint)."""
    if not m.size:
        return True
    return bool(np.all(np.abs(m) <= NOISE_TOL * drho_error_bound(f, np.abs(A))))


def drho_error_bound(f: Rep, absA: np.ndarray) -> np.ndarray:
    """The entrywise scale of the rounding error of f.drho(A), from |A|: |dρ_f(|A|)| for the
    tensor constructions (non-negative sums of Kronecker products); for a summand
    ρ = L ρ_parent B (:class:`~groupkit.decompose.Irrep`) |L| · bound_parent · |B|, through duals
    and lifts. L dρ(|A|) B itself cancels (to 0 for the trivial summand of V⊗V⊗V of SO(3) or of
    V⊗V of the Lorentz group), and its rounding noise then counted as a genuine action."""
    from .decompose import Irrep
    from .rep_algebra import _Dual, _Lifted, _Sum, _Tensor

    if isinstance(f, _Sum):
        return scipy.linalg.block_diag(*[drho_error_bound(p, absA) for p in f._parts])
    if isinstance(f, _Tensor):  # Σ_i I ⊗ … ⊗ dρ_i ⊗ … ⊗ I, row-major as _Tensor.drho
        sizes = [p.size for p in f._parts]
        out = np.zeros((f.size, f.size))
        for i, p in enumerate(f._parts):
            left, right = np.eye(math.prod(sizes[:i])), np.eye(math.prod(sizes[i + 1:]))
            out += np.kron(np.kron(left, drho_error_bound(p, absA)), right)
        return out
    if isinstance(f, Irrep):
        return np.abs(f.coords) @ drho_error_bound(f.parent, absA) @ np.abs(f.basis)
    if isinstance(f, _Dual):  # dρ*(A) = −dρ(A)ᵀ
        return drho_error_bound(f.base, absA).T
    if isinstance(f, _Lifted):
        return drho_error_bound(f.base, absA[np.ix_(f._idx, f._idx)])
    return np.abs(np.asarray(f.drho(absA)))


@dataclass(frozen=True)
class Generator:
    """One constraint: the factor matrices of a discrete generator or of a Lie-algebra element."""

    mats: tuple[np.ndarray, ...]
    lie: bool

    def apply(self, X: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
        """Apply the generator's action on U to the columns of X (N, r)."""
        r = X.shape[1]
        Xt = X.reshape(*sizes, r)
        if self.lie:
            out = np.zeros(Xt.shape, dtype=np.result_type(X, *self.mats))
            for f, m in enumerate(self.mats):
                if np.any(m):
                    out += np.moveaxis(np.tensordot(m, Xt, axes=([1], [f])), 0, f)
            return out.reshape(X.shape[0], r)
        Y = Xt
        for f, m in enumerate(self.mats):
            if not _is_identity(m):
                Y = np.moveaxis(np.tensordot(m, Y, axes=([1], [f])), 0, f)
        return Y.reshape(X.shape[0], r)

    def residual(self, X: np.ndarray, sizes) -> np.ndarray:
        """The constraint applied to X: dU(A) X for Lie elements, (U(h) − I) X for discrete."""
        Y = self.apply(X, sizes)
        return Y if self.lie else Y - X

    def bound(self) -> float:
        """Upper bound on the spectral norm of this generator's constraint on U:
        Σ_f ‖M_f‖ for a Lie element, Π_f ‖M_f‖ + 1 for a discrete one (⊗ M_f − I).
        Residuals and ranks are measured relative to it, so each generator is judged on its
        own scale."""
        norms = [np.linalg.norm(m, 2) if m.size else 0.0 for m in self.mats]
        return float(sum(norms)) if self.lie else float(math.prod(norms)) + 1.0

    def similar(self, left: tuple[np.ndarray, ...], right: tuple[np.ndarray, ...]) -> "Generator":
        """The generator in other coordinates: factor matrices L_f M_f R_f (R_f = L_f⁻¹)."""
        return Generator(tuple(a @ m @ b for m, a, b in zip(self.mats, left, right)), self.lie)


def _is_identity(m: np.ndarray) -> bool:
    return m.shape[0] == m.shape[1] and np.array_equal(m, np.eye(m.shape[0]))


@dataclass(frozen=True)
class Constraint:
    """All constraints on vec(W) ∈ U = ⊗ factors, for the generators of U's group.

    ``rep`` (optional) is the representation U the constraint came from; the numeric solver asks
    it for a grading (:mod:`groupkit._grading`) when no generator is diagonalisable.
    """

    sizes: tuple[int, ...]
    generators: tuple[Generator, ...]
    is_complex: bool
    rep: Rep | None = field(default=None, compare=False, repr=False)

    @property
    def n(self) -> int:
        return math.prod(self.sizes)

    @classmethod
    def of(cls, U: Rep) -> "Constraint":
        factors = U.factors()
        sizes = tuple(f.size for f in factors)
        G = U.group
        gens: list[Generator] = []
        if G is not None:
            for h in G.discrete_generators:
                mats = tuple(np.asarray(f.rho(h)) for f in factors)
                if not all(_is_identity(m) for m in mats):  # generators of other factors of
                    gens.append(Generator(mats, lie=False))  # a product act trivially here
            for A in G.lie_algebra:
                mats = tuple(np.asarray(f.drho(A)) for f in factors)
                # An element that acts on U by rounding noise alone acts by zero (tr A of sl(2)
                # in skew coordinates is 1e-16, so Λ²V is trivial): measured against its own
                # size, as every generator is, the noise became a full constraint and the
                # invariant of Λ²V (the determinant) was lost. Noise is judged entry by entry
                # against the running error bound dρ(|A|) (for a trace, Σ|A_ii|), not against
                # max |A|, which changes with units: [[1e-7, 1e6], [0, 0]] acts on Λ²V by its
                # genuine trace 1e-7, however small beside 1e6.
                if not all(_acts_by_noise(f, A, m) for f, m in zip(factors, mats)):
                    gens.append(Generator(mats, lie=True))
        is_complex = bool(U.is_complex or any(np.iscomplexobj(m) for g in gens for m in g.mats))
        return cls(sizes, tuple(gens), is_complex, U)

    def residual_norm(self, X: np.ndarray) -> float:
        """max over generators of ‖C_g X‖_F / (bound_g · ‖X‖_F): the relative residual."""
        if X.shape[1] == 0 or not self.generators:
            return 0.0
        nx = max(np.linalg.norm(X), 1e-300)
        return max(np.linalg.norm(g.residual(X, self.sizes)) / g.bound() for g in self.generators
                   ) / nx

    def column_residuals(self, X: np.ndarray) -> np.ndarray:
        """Per column of X, the largest relative residual ‖C_g x‖ / (bound_g ‖x‖) over g."""
        out = np.zeros(X.shape[1])
        if X.shape[1] == 0:
            return out
        nx = np.maximum(np.linalg.norm(X, axis=0), 1e-300)
        for g in self.generators:
            out = np.maximum(out, np.linalg.norm(g.residual(X, self.sizes), axis=0)
                             / (g.bound() * nx))
        return out

    def balanced(self) -> tuple["Constraint", tuple[np.ndarray, ...]]:
        """The same constraint after a diagonal similarity D_f per factor, and the D_f diagonals.

        D_f balances Σ_g |M_f^g| / ‖M_f^g‖ (LAPACK's gebal on the summed pattern, so every
        generator counts equally whatever its size); its entries are powers of two, so the
        change of coordinates is exact. A null vector y of the balanced constraint is
        x = (⊗ D_f) y of the original one.

        ‖M_f^g‖ is the largest entry of M_f^g *balanced on its own*, which (unlike its largest
        entry as written) does not change under a diagonal change of units. Weighting by the
        entry as written let units decide which generator dominated the sum: SO(3) in units
        spanning 10⁷ on V ⊗ Sym²(V) was balanced so that entries of one generator stayed 10⁻¹³
        of its largest, were lost to rounding, and spurious invariants came back (dimension 1
        instead of 0, with a clear gap).
        """
        scales = []
        for f, d in enumerate(self.sizes):
            acc = np.zeros((d, d))
            for g in self.generators:
                m = np.abs(g.mats[f])
                if not g.lie:
                    m = m.copy()
                    np.fill_diagonal(m, 0.0)
                top = _balanced_max(m) if m.size else 0.0
                if top > 0:
                    acc += m / top
            if d > 1 and np.any(acc):
                _, (s, _) = scipy.linalg.matrix_balance(acc, permute=False, separate=True)
            else:
                s = np.ones(d)
            scales.append(np.asarray(s, dtype=float))
        if all(np.all(s == 1.0) for s in scales):
            return self, tuple(scales)
        left = tuple(np.diag(1.0 / s) for s in scales)
        right = tuple(np.diag(s) for s in scales)
        gens = tuple(g.similar(left, right) for g in self.generators)
        return Constraint(self.sizes, gens, self.is_complex, self.rep), tuple(scales)


def _balanced_max(m: np.ndarray) -> float:
    """The largest entry of the non-negative matrix m after balancing it alone (gebal, powers of
    two): a size of m that a diagonal change of units D⁻¹ m D leaves unchanged (to a factor of
    about two), unlike max |m_ij|. 0 for a zero matrix."""
    top = m.max()
    if top <= 0 or m.shape[0] < 2:
        return float(top)
    b = scipy.linalg.matrix_balance(m / top, permute=False, separate=True)[0]
    return float(b.max() * top)

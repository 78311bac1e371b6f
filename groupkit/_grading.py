"""Gradings for groups whose generators are not diagonalisable (Heisenberg, unipotent groups).

If a diagonalisable matrix H normalises the Lie algebra 𝔤 ([H, 𝔤] ⊂ 𝔤), the invariants of 𝔤 on
any representation U are H-stable: A x = 0 for all A ∈ 𝔤 implies A H x = H A x − [H, A] x = 0. So
they split along the eigenspaces U_μ of H, and the null space can be solved one weight space at a
time — blocks of a few hundred unknowns instead of one of thousands. H need not lie in 𝔤 (for the
Heisenberg algebra of strictly upper-triangular matrices every diagonal H normalises it, while 𝔤
has no diagonalisable element at all); on a representation built from V by ⊕, ⊗, duals and
Sym/Alt, H acts by the same functor as 𝔤 does, dρ(H).

>>> import numpy as np
>>> from groupkit import Group
>>> E = lambda i, j: np.eye(3)[:, [i]] @ np.eye(3)[[j], :]
>>> H = normaliser_element(Group([], [E(0, 1), E(1, 2), E(0, 2)]))
>>> bool(np.allclose(H, np.triu(H)))  # the normaliser of the Heisenberg algebra is the Borel
True
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from ._memo import memoized
from .groups import Group

__all__ = ["normaliser_element", "factor_gradings"]


def _null_space(M: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    if M.size == 0:
        return np.eye(M.shape[1], dtype=M.dtype)
    _, s, vh = np.linalg.svd(M)
    top = s[0] if len(s) else 0.0
    rank = int(np.sum(s > rtol * max(top, 1e-300)))
    return vh[rank:].conj().T


def _normaliser_of_algebra(A: np.ndarray, rng) -> np.ndarray | None:
    """A random diagonalisable element of the normaliser of span(A) in gl(d), or None."""
    m, d, _ = A.shape
    if m == 0:
        return np.zeros((d, d))
    # Work in balanced coordinates (an exact diagonal similarity D): in badly scaled units the
    # normaliser's null space would be resolved only to the scale's dynamic range.
    acc = sum(np.abs(a) / max(np.abs(a).max(), 1e-300) for a in A)
    _, (D, _) = scipy.linalg.matrix_balance(acc, permute=False, separate=True)
    A = A * D[None, None, :] / D[None, :, None]
    norms = np.array([np.linalg.norm(a) for a in A])
    An = A / norms[:, None, None]
    basis = An.reshape(m, d * d).T                      # (d², m)
    U, s, _ = np.linalg.svd(basis, full_matrices=False)
    Qa = U[:, s > 1e-10 * s[0]]
    comp = np.eye(d * d) - Qa @ Qa.conj().T             # projector off span(𝔤)
    eye = np.eye(d)
    # vec([H, A]) = (I ⊗ Aᵀ − A ⊗ I) vec(H) in row-major vec.
    rows = [comp @ (np.kron(eye, a.T) - np.kron(a, eye)) for a in An]
    N = _null_space(np.concatenate(rows, axis=0))       # (d², k) normaliser basis
    if N.shape[1] == 0:
        return None
    ad = np.concatenate(rows, axis=0)
    best = None
    for _ in range(6):
        H = (N @ rng.normal(size=N.shape[1])).reshape(d, d)
        if not np.iscomplexobj(A):
            H = H.real
        # Its diagonal part, when that normalises 𝔤 too (triangular algebras in their own
        # coordinates), has eigenvectors e_i: a perfectly conditioned grading.
        Dg = np.diag(np.diag(H))
        cands = [H]
        if np.linalg.norm(ad @ Dg.ravel()) <= 1e-10 * max(np.linalg.norm(Dg), 1e-300) * m:
            cands.insert(0, Dg)
        for X in cands:
            w, P = np.linalg.eig(X)
            if not np.all(np.isfinite(P)) or not np.any(w):
                continue
            cond = np.linalg.cond(P)
            if cond < 1e6 and (best is None or cond < best[0]):
                best = (cond, X / np.abs(w).max())
    if best is None:
        return None
    return best[1] * D[:, None] / D[None, :]   # back: D H_bal D⁻¹


@memoized(16)  # depends on the group only, and is asked for once per Hom pair
def normaliser_element(G: Group) -> np.ndarray | None:
    """A diagonalisable H (d, d) normalising G's Lie algebra, block-diagonal over the factors of
    a direct product; drawn with a fixed seed, so the result is reproducible. None when no such
    element was found."""
    rng = np.random.default_rng(20261201)
    blocks = []
    for f in G.factors:
        H = _normaliser_of_algebra(np.asarray(f.lie_algebra), rng)
        if H is None:
            return None
        blocks.append(H)
    dtype = np.result_type(*blocks)
    out = np.zeros((G.d, G.d), dtype=dtype)
    i = 0
    for b in blocks:
        out[i:i + len(b), i:i + len(b)] = b
        i += len(b)
    return out


def _functorial(rep) -> bool:
    """True when dρ of ``rep`` is defined on all of gl(d) by ⊕, ⊗, duals and Sym/Alt of V (a
    user representation's drho is only known on the group's own algebra)."""
    from . import reps as R

    if rep is R.Scalar or isinstance(rep, R.Vector):
        return True
    if isinstance(rep, (R._Dual, R._Lifted, R._SymmetricPower)):
        return _functorial(rep.base)
    if isinstance(rep, (R._Sum, R._Tensor)):
        return all(_functorial(p) for p in rep._parts)
    return False


def factor_gradings(U) -> tuple[np.ndarray, ...] | None:
    """dρ_f(H) for every tensor factor of U, with H from :func:`normaliser_element`; None when U
    has a non-functorial factor or no grading was found."""
    if U is None or U.group is None or not all(_functorial(f) for f in U.factors()):
        return None
    H = normaliser_element(U.group)
    if H is None or not np.any(H):
        return None
    return tuple(np.asarray(f.drho(H)) for f in U.factors())

"""Rank decisions: the common null space of a stack of per-generator-normalised constraints.

Each constraint block K_g arrives divided by its generator's own norm bound, so ‖K_g‖ ≤ 1 and a
generator written in other units (or scaled by 10⁻⁶) weighs the same. The null space is found in
two stages:

1. the Gram matrix Σ K_gᴴ K_g (cheap: its size is the number of unknowns) picks *candidates*,
   the eigenvectors with eigenvalue ≤ ``CANDIDATE_TOL``. A Gram matrix squares the conditioning,
   so it only shortlists; it never decides.
2. an SVD of the stacked [K_g Z_c] on the candidates decides, on singular values, which are
   accurate to machine precision relative to ‖K_g‖ rather than to its square root.

Small problems (rows·n² ≤ ``DIRECT_SVD_WORK``) skip the Gram matrix and take one SVD of the
whole stack, which is backward stable: its null space is accurate to ε/σ_min rather than the
Gram route's ε/σ_min². A singular value ≤ ``ZERO_TOL`` is zero. The rank is *ambiguous* when
the smallest non-zero one is below ``AMBIGUOUS_TOL`` or less than ``MIN_GAP`` times the largest
zero one; the caller then tries another method, and warns if none is clear.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse

ZERO_TOL = 1e-11       # singular values (relative to each generator's norm) counted as zero
AMBIGUOUS_TOL = 1e-10  # a non-zero singular value below this makes the rank doubtful
MIN_GAP = 1e3          # ... as does a ratio smallest non-zero / largest zero below this
CANDIDATE_TOL = 1e-4   # Gram eigenvalues (σ² scale) shortlisted for the SVD stage
DIRECT_SVD_WORK = 2e7  # rows·n² below which one SVD of the whole stack is cheaper and exact


@dataclass(frozen=True)
class Kernel:
    Z: np.ndarray          # (n, r) orthonormal columns spanning the null space
    largest_zero: float    # largest singular value counted as zero
    smallest_nonzero: float


def merge(kernels: list[Kernel]) -> tuple[float, float]:
    """(largest zero, smallest non-zero) over several independent kernels."""
    lz = max((k.largest_zero for k in kernels), default=0.0)
    sn = min((k.smallest_nonzero for k in kernels), default=math.inf)
    return lz, sn


def _stack(blocks, Z: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(K @ Z) for K in blocks], axis=0)


def _used_rows(K):
    """A sparse block without its empty rows (they add nothing but cost in the SVD)."""
    if not scipy.sparse.issparse(K):
        return K
    K = K.tocsr()
    return K[np.flatnonzero(np.diff(K.indptr))]


def kernel(blocks, n: int, dtype=float) -> Kernel:
    """The common null space of the normalised blocks K_g, each (rows_g, n), sparse or dense."""
    if not blocks:
        return Kernel(np.eye(n, dtype=dtype), 0.0, math.inf)
    blocks = [_used_rows(K) for K in blocks]
    rows = sum(K.shape[0] for K in blocks)
    if rows * n * n <= DIRECT_SVD_WORK:
        return _direct(blocks, n)
    gram = np.zeros((n, n), dtype=complex if any(_cplx(K) for K in blocks) else float)
    for K in blocks:
        g = K.conj().T @ K
        gram += g.toarray() if scipy.sparse.issparse(g) else g
    gram = (gram + gram.conj().T) / 2
    if np.iscomplexobj(gram) and not np.any(gram.imag):
        gram = gram.real
    # "evd" (divide and conquer): the default MRRR driver can return non-orthogonal vectors
    # inside a tight cluster, and the cluster at zero is exactly what we need.
    lam, V = scipy.linalg.eigh(gram, driver="evd")
    cand = np.flatnonzero(lam <= CANDIDATE_TOL)
    beyond = math.sqrt(max(lam[len(cand)], 0.0)) if len(cand) < n else math.inf
    if len(cand) == 0:
        return Kernel(np.zeros((n, 0), dtype=gram.dtype), 0.0, beyond)
    Zc, _ = np.linalg.qr(V[:, cand])
    M = _stack(blocks, Zc)
    if M.shape[0] == 0:
        return Kernel(Zc, 0.0, beyond)
    # Right singular vectors only (U would be rows × rows); all c of them when rows < c.
    _, s, vh = np.linalg.svd(M, full_matrices=M.shape[0] < M.shape[1])
    s = np.concatenate([s, np.zeros(len(cand) - len(s))])   # fewer rows than candidates
    order = np.argsort(s)                                     # ascending
    s, W = s[order], vh.conj().T[:, order]
    r = int(np.sum(s <= ZERO_TOL))
    largest_zero = float(s[r - 1]) if r else 0.0
    smallest_nonzero = float(min(s[r], beyond)) if r < len(s) else beyond
    Z = Zc @ W[:, :r]
    return Kernel(Z, largest_zero, smallest_nonzero)


def _direct(blocks, n: int) -> Kernel:
    """Small problems: one SVD of the stacked blocks (backward stable; nothing squared)."""
    M = np.concatenate([K.toarray() if scipy.sparse.issparse(K) else np.asarray(K)
                        for K in blocks], axis=0)
    if M.shape[0] == 0:
        return Kernel(np.eye(n, dtype=M.dtype), 0.0, math.inf)
    _, s, vh = np.linalg.svd(M, full_matrices=M.shape[0] < n)   # never the rows × rows U
    s = np.concatenate([s, np.zeros(n - len(s))])[::-1]     # ascending
    W = vh.conj().T[:, ::-1]
    r = int(np.sum(s <= ZERO_TOL))
    largest_zero = float(s[r - 1]) if r else 0.0
    smallest_nonzero = float(s[r]) if r < n else math.inf
    return Kernel(W[:, :r], largest_zero, smallest_nonzero)


def _cplx(K) -> bool:
    return np.iscomplexobj(K.data if scipy.sparse.issparse(K) else K)

"""Equivariance checks shared by the test suite and by users.

The error measure is scale-aware, so it means the same for non-compact groups (large boosts) as
for rotations: for outputs a = f(ρ_in(g) x) and b = ρ_out(g) f(x),

    rel(a, b) = ‖a − b‖ / (½(‖a‖ + ‖b‖) + tiny).

Group elements are drawn from ``G.samples`` with a seeded generator; bases are also checked on the
Lie-algebra generators exactly (dρ_out(A) W − W dρ_in(A) = 0), which sampling cannot replace.

>>> import numpy as np
>>> from groupkit import SO, V, equivariant_basis
>>> from groupkit.testing import basis_error
>>> G = SO(3)
>>> Q = equivariant_basis(V(G) ** 2, V(G))
>>> bool(basis_error(Q, V(G) ** 2, V(G)) < 1e-12)
True
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

import numpy as np

from .reps import Rep, RepError, _unify

__all__ = ["relative_error", "basis_error", "equivariance_error", "assert_equivariant"]

_TINY = 1e-30


def relative_error(a, b) -> float:
    """‖a − b‖ / (½(‖a‖ + ‖b‖) + tiny), over all entries.

    >>> import numpy as np
    >>> relative_error(np.ones(4), np.ones(4)), round(relative_error(np.ones(4), 2 * np.ones(4)), 6)
    (0.0, 0.666667)
    """
    a, b = np.asarray(a), np.asarray(b)
    return float(np.linalg.norm(a - b) / (0.5 * (np.linalg.norm(a) + np.linalg.norm(b)) + _TINY))


def basis_error(Q, rep_in: Rep, rep_out: Rep, *, n_samples: int = 20, rng=0,
                lie: bool = True) -> float:
    """Largest relative residual max_k ‖ρ_out(g) W_k − W_k ρ_in(g)‖ / ‖W_k‖ over random g (and
    ‖dρ_out(A) W_k − W_k dρ_in(A)‖ / ‖W_k‖ over the Lie-algebra basis), for every column of Q.

    ``Q`` is a (rep_out.size · rep_in.size, r) basis: ndarray, scipy.sparse, sympy Matrix or an
    :class:`~groupkit.EquivariantBasis`.

    >>> from groupkit import SO, V, solve
    >>> basis_error(solve(V(SO(3))**2, V(SO(3))), V(SO(3))**2, V(SO(3))) < 1e-12
    True
    """
    rep_in, rep_out = _unify((rep_in, rep_out))
    Q = _as_array(Q)
    n_in, n_out = rep_in.size, rep_out.size
    if Q.shape[0] != n_in * n_out:
        raise ValueError(f"the basis has {Q.shape[0]} rows; expected rep_out.size · rep_in.size "
                         f"= {n_out * n_in}.")
    if Q.shape[1] == 0:
        return 0.0
    W = Q.T.reshape(-1, n_out, n_in)
    norms = np.linalg.norm(W, axis=(1, 2)) + _TINY
    G = rep_in.group if rep_in.group is not None else rep_out.group
    if G is None:
        return 0.0
    worst = 0.0
    for g in G.samples(n_samples, rng=rng):
        a, b = rep_out.rho(g) @ W, W @ rep_in.rho(g)
        scale = 0.5 * (np.linalg.norm(a, axis=(1, 2)) + np.linalg.norm(b, axis=(1, 2))) + _TINY
        worst = max(worst, float(np.max(np.linalg.norm(a - b, axis=(1, 2)) / scale)))
    if lie:
        for A in G.lie_algebra:
            d_out, d_in = rep_out.drho(A), rep_in.drho(A)  # each built once: large for big reps
            res = d_out @ W - W @ d_in
            scale = norms * max(1.0, np.linalg.norm(d_out, 2), np.linalg.norm(d_in, 2))
            worst = max(worst, float(np.max(np.linalg.norm(res, axis=(1, 2)) / scale)))
    return worst


def _as_array(Q) -> np.ndarray:
    if hasattr(Q, "dense") and hasattr(Q, "blocks"):
        return Q.dense()
    if hasattr(Q, "toarray"):
        return Q.toarray()
    if type(Q).__module__.startswith("sympy"):
        import sympy

        return np.array(Q.evalf(), dtype=complex if Q.has(sympy.I) else float)
    return np.asarray(Q)


def _is_torch(f) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(f, torch.nn.Module)


def equivariance_error(f: Callable, rep_in: Rep | Sequence[Rep] | None = None,
                       rep_out: Rep | None = None, *, n_samples: int = 5, batch: int = 4,
                       rng=0, inputs=None, group=None) -> float:
    """Largest relative error of f(ρ_in(g) x) against ρ_out(g) f(x) over random g and x.

    ``f`` maps arrays (batch, rep_in.size) to (batch, rep_out.size): a numpy function or a torch
    module (whose ``rep_in``/``rep_out`` attributes are used when the reps are not given; it runs
    in the module's dtype and device). With several inputs give a sequence of reps and
    ``f(*xs)``. ``inputs`` fixes x (a tuple for several inputs); otherwise x ~ N(0, 1), seeded.

    >>> import numpy as np
    >>> from groupkit import SO, V, Scalar
    >>> G = SO(3)
    >>> equivariance_error(lambda x: (x**2).sum(1, keepdims=True), V(G), Scalar) < 1e-12
    True
    >>> equivariance_error(lambda x: x[:, :1], V(G), Scalar) > 0.1       # not invariant
    True
    """
    torch_mode = _is_torch(f)
    rep_in = rep_in if rep_in is not None else getattr(f, "rep_in", None)
    rep_out = rep_out if rep_out is not None else getattr(f, "rep_out", None)
    if rep_in is None or rep_out is None:
        raise RepError("equivariance_error needs rep_in and rep_out (or a module that has them).")
    multi = isinstance(rep_in, (tuple, list))
    reps_in = tuple(rep_in) if multi else (rep_in,)
    unified = _unify((*reps_in, rep_out))
    reps_in, rep_out = unified[:-1], unified[-1]
    G = group or next((r.group for r in unified if r.group is not None), None)
    if G is None:
        return 0.0
    gen = np.random.default_rng(rng)
    complex_ = any(r.is_complex for r in unified)
    if inputs is None:
        xs = [gen.normal(size=(batch, r.size)) for r in reps_in]
        if complex_:
            xs = [x + 1j * gen.normal(size=x.shape) for x in xs]
    else:
        xs = [np.asarray(x) for x in (inputs if multi else (inputs,))]

    def call(args):
        if torch_mode:
            import torch

            p = next(iter(f.parameters()), None)
            dtype = p.dtype if p is not None else torch.float64
            device = p.device if p is not None else "cpu"
            if complex_:
                dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
            with torch.no_grad():
                out = f(*[torch.as_tensor(a, dtype=dtype, device=device) for a in args])
            return out.detach().cpu().numpy()
        return np.asarray(f(*args))

    fx = call(xs)
    worst = 0.0
    for g in G.samples(n_samples, rng=gen):
        gx = [x @ r.rho(g).T for x, r in zip(xs, reps_in)]
        worst = max(worst, relative_error(call(gx), fx @ rep_out.rho(g).T))
    return worst


def assert_equivariant(f: Callable, rep_in=None, rep_out=None, *, tol: float | None = None,
                       **kwargs) -> float:
    """Raise AssertionError when :func:`equivariance_error` exceeds ``tol`` (default 1e-10 for
    float64, 1e-4 for float32 torch modules); returns the error.

    >>> from groupkit import SO, V
    >>> G = SO(3)
    >>> assert_equivariant(lambda x: 2 * x, V(G), V(G)) < 1e-12
    True
    >>> try:
    ...     assert_equivariant(lambda x: x[:, ::-1], V(G), V(G))
    ... except AssertionError:
    ...     print("not equivariant")
    not equivariant
    """
    err = equivariance_error(f, rep_in, rep_out, **kwargs)
    if tol is None:
        tol = 1e-10
        if _is_torch(f):
            p = next(iter(f.parameters()), None)
            import torch

            if p is not None and p.dtype in (torch.float32, torch.complex64):
                tol = 1e-4
    if not err <= tol:
        raise AssertionError(f"equivariance error {err:.3e} exceeds tolerance {tol:.1e}")
    return err

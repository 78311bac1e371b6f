"""The kernel MLP's input: invariant scalars and polynomial features of the relative position.

:class:`EdgeEncoder` maps a relative position x (…, space.size) and optional invariant edge
features (…, e) to one vector in the representation

    n_s · Scalar ⊕ space ⊕ Sym²(space) ⊕ … ⊕ Sym^degree(space),

where the n_s scalars are a Gaussian radial basis of r(x), the invariant quadratic forms
q_k(x) = xᵀ F_k x / s² of :func:`~kernels.geometry.space_geometry`, and the edge features, and
Sym^k(space) holds the symmetric tensor power x̂^{⊗k} (in the coordinates of
``groupkit.Sym``'s basis). A gated MLP alone cannot raise the polynomial degree of its input
(gates only rescale by invariants), so the angular content of a kernel is fixed here: degree 2
gives kernels with the angular content of spherical harmonics up to l = 2 for SO(3).

Scale: x̂ = x / s with s = ``length_scale``, or, when ``normalize`` (the default for compact
groups), x̂ = x / sqrt(r² + (10⁻³ s)²), a unit direction everywhere except within 10⁻³ s of the
origin, where it goes smoothly to zero. Coincident points (x = 0) therefore give x̂ = 0 and finite
values and gradients — never a NaN from normalising a zero vector. For non-compact groups r can
vanish on the light cone, so x is only divided by s.

The envelope u(r / cutoff) (:func:`envelope`) is a polynomial that equals 1 at r = 0, vanishes
with its first two derivatives at the cut-off, and is 0 beyond it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from groupkit import Rep, RepError, Scalar, Sym, direct_sum

from .geometry import space_geometry

__all__ = ["EdgeEncoder", "envelope", "NORMALIZE_EPS"]

NORMALIZE_EPS = 1e-3  # relative to the length scale


def envelope(t: torch.Tensor, p: int = 5) -> torch.Tensor:
    """u(t) = 1 − (p+1)(p+2)/2 tᵖ + p(p+2) tᵖ⁺¹ − p(p+1)/2 tᵖ⁺² for t < 1, else 0.

    u(0) = 1, and u, u′, u″ vanish at t = 1 (the polynomial envelope of DimeNet).
    """
    t = t.clamp_min(0)
    tp = t ** p
    u = 1 - (p + 1) * (p + 2) / 2 * tp + p * (p + 2) * tp * t - p * (p + 1) / 2 * tp * t * t
    return torch.where(t < 1, u, torch.zeros_like(u))


def _monomial_table(C: np.ndarray, n: int, k: int):
    """(index (k, m), weight (m,)) with x^⊗k @ C = w · Π_j x[index[j]] for every x, when each
    column of C (n^k, m) is supported on the orderings of one multi-index (then, x^⊗k being
    symmetric, the column is its weight sum times that monomial); else None."""
    multi = np.stack(np.unravel_index(np.arange(n ** k), (n,) * k))  # (k, n^k)
    index, weight = [], []
    for j in range(C.shape[1]):
        rows = np.flatnonzero(C[:, j])
        if rows.size == 0:
            return None
        keys = {tuple(sorted(multi[:, i])) for i in rows}
        if len(keys) != 1:
            return None
        index.append(sorted(multi[:, rows[0]]))
        weight.append(C[rows, j].sum())
    weight = np.asarray(weight)
    # count · (1/count) can land an ulp off an integer weight; snap it back
    whole = np.round(weight)
    weight = np.where(np.abs(weight - whole) < 1e-12, whole, weight)
    return np.asarray(index, dtype=np.int64).T.copy(), weight


class EdgeEncoder(nn.Module):
    """x (…, space.size) [, edge_attr (…, edge_features)] → (features (…, rep_out.size), r).

    ``r`` (…,) is the invariant radius (norm, or sqrt |interval| for non-compact groups), or None
    when ``space`` has no invariant form.
    """

    def __init__(self, space: Rep, *, degree: int = 2, n_radial: int = 8,
                 edge_features: int = 0, length_scale: float = 1.0,
                 normalize: bool | None = None, radial_scale: float | None = None):
        super().__init__()
        for name, v, least in (("degree", degree, 1), ("n_radial", n_radial, 0),
                               ("edge_features", edge_features, 0)):
            if not isinstance(v, int) or isinstance(v, bool) or v < least:
                raise ValueError(f"{name} must be an integer ≥ {least}; got {v!r}.")
        if not length_scale > 0:
            raise ValueError(f"length_scale must be positive; got {length_scale!r}.")
        geo = space_geometry(space)
        self.space, self.geometry = space, geo
        self.degree, self.edge_features = degree, edge_features
        self.length_scale = float(length_scale)
        self.radial_scale = float(radial_scale or length_scale)
        if normalize is None:
            normalize = geo.compact
        if normalize and not geo.compact:
            raise RepError(f"normalize=True needs a positive-definite invariant form on {space}; "
                           f"{space.group} has none (it is not compact). Use normalize=False.")
        self.normalize = bool(normalize)
        self.n_radial = n_radial if geo.has_radius else 0
        self.n_forms = geo.forms.shape[0]
        self.n_scalars = self.n_radial + self.n_forms + edge_features
        reps = [self.n_scalars * Scalar] if self.n_scalars else []
        reps += [space] + [Sym(space, k) for k in range(2, degree + 1)]
        self.rep_out = direct_sum(*reps)
        dt = torch.float64
        self.register_buffer("forms", torch.as_tensor(geo.forms, dtype=dt), persistent=False)
        M = geo.radius_form if geo.has_radius else torch.zeros(space.size, space.size)
        self.register_buffer("radius_form", torch.as_tensor(M, dtype=dt), persistent=False)
        # Fast paths, equal up to rounding (they skip multiplications by zero): on an orthogonal
        # space (SO(n), O(n), finite groups, …) the radius form is I, so r² = x·x; on an
        # irreducible one (SO(n), O(n)) every invariant form is a multiple of I too, so
        # q_k = α_k r², without the (…, n, n) contractions. And Sym^k's coordinates of x^⊗k are
        # weighted monomials of x, so they are gathered products of k coordinates instead of
        # a GEMM with the n^k-wide power (the GEMM stays as the general fallback).
        I = np.eye(space.size)
        self._identity_radius = geo.has_radius and np.array_equal(np.asarray(M), I)
        alphas = [float(np.sum(F * I)) / space.size for F in geo.forms]
        self._identity_forms = self._identity_radius and all(
            np.allclose(F, a * I, rtol=0, atol=1e-12) for F, a in zip(geo.forms, alphas))
        if self._identity_forms:
            self.register_buffer("form_scales", torch.as_tensor(alphas, dtype=dt),
                                 persistent=False)
        self._monomials = []  # k with a monomial table
        for k in range(2, degree + 1):
            C = np.asarray(Sym(space, k).coordinates.T, dtype=np.float64)  # (n^k, m)
            table = _monomial_table(C, space.size, k)
            if table is None:  # x^⊗k ↦ Sym coords as a matrix
                self.register_buffer(f"sym{k}", torch.as_tensor(C, dtype=dt), persistent=False)
                continue
            idx, w = table
            self.register_buffer(f"mono_index{k}", torch.as_tensor(idx), persistent=False)
            self.register_buffer(f"mono_weight{k}", torch.as_tensor(w, dtype=dt),
                                 persistent=False)
            self._monomials.append(k)
        if self.n_radial:
            centers = torch.linspace(0, 1, self.n_radial, dtype=dt)
            self.register_buffer("centers", centers, persistent=False)
            self.width = 1.0 / max(self.n_radial - 1, 1)

    def radius(self, x: torch.Tensor) -> torch.Tensor | None:
        """r(x) = sqrt(|xᵀ M x|) (…,); its gradient is 0, not NaN, at r = 0."""
        if not self.geometry.has_radius:
            return None
        return self._root(self._radius_sq(x))

    def _radius_sq(self, x: torch.Tensor) -> torch.Tensor:
        """|xᵀ M x| (…,): x·x when M = I, without the (…, n, n) contraction."""
        if self._identity_radius:
            return (x * x).sum(-1)
        return torch.einsum("...i,ij,...j->...", x, self.radius_form.to(x.dtype), x).abs()

    def _root(self, q: torch.Tensor) -> torch.Tensor:
        """sqrt(q) with q clamped away from 0, so that the gradient at x = 0 is 0, not NaN."""
        return torch.sqrt(q.clamp_min((1e-12 * self.length_scale) ** 2))

    def forward(self, x: torch.Tensor, edge_attr: torch.Tensor | None = None):
        self._check_x(x)
        return self.assemble(self.geometric(x), edge_attr)

    def _check_x(self, x: torch.Tensor) -> None:
        n = self.space.size
        if x.ndim < 1 or x.shape[-1] != n:
            raise ValueError(f"relative positions must have last dimension {n} (the size of the "
                             f"space {self.space} of {self.space.group}); got shape "
                             f"{tuple(x.shape)}.")

    def cache_key(self) -> tuple:
        """Everything :meth:`geometric` depends on besides x: encoders with equal keys give
        equal geometric parts (:class:`~kernels.plan.EdgePlan` computes them once)."""
        return (self.space, self.degree, self.n_radial, self.n_forms, self.normalize,
                self.length_scale, self.radial_scale)

    def geometric(self, x: torch.Tensor) -> tuple[list, list, torch.Tensor | None]:
        """The parts of the features that depend on x alone: (scalars before the edge features
        — radial basis, invariant forms —, the angular parts after them, r)."""
        n = self.space.size
        # r² once, shared by the radius and (when they are multiples of I) the forms
        r2 = self._radius_sq(x) if self.geometry.has_radius else None
        r = None if r2 is None else self._root(r2)
        before, after = [], []
        if self.n_radial:
            t = r / self.radial_scale
            before.append(torch.exp(-0.5 * ((t[..., None] - self.centers.to(x.dtype))
                                            / self.width) ** 2))
        if self.n_forms:
            if self._identity_forms:  # xᵀ(α I)x = α x·x
                q = r2[..., None] * self.form_scales.to(x.dtype)
            else:
                q = torch.einsum("...i,kij,...j->...k", x, self.forms.to(x.dtype), x)
            before.append(q / self.length_scale ** 2)
        if self.normalize:
            eps = NORMALIZE_EPS * self.length_scale
            xs = x / torch.sqrt(r * r + eps * eps)[..., None]
        else:
            xs = x / self.length_scale
        after.append(xs)
        for k in range(2, self.degree + 1):
            if k in self._monomials:
                idx = getattr(self, f"mono_index{k}")  # (k, m)
                mono = xs.index_select(-1, idx[0])
                for j in range(1, k):
                    mono = mono * xs.index_select(-1, idx[j])
                after.append(mono * getattr(self, f"mono_weight{k}").to(x.dtype))
                continue
            power = xs
            for _ in range(k - 1):
                power = (power[..., :, None] * xs[..., None, :]).reshape(
                    *x.shape[:-1], power.shape[-1] * n)
            after.append(power @ getattr(self, f"sym{k}").to(x.dtype))
        return before, after, r

    def assemble(self, geometric, edge_attr: torch.Tensor | None = None):
        """(features, r) from :meth:`geometric`'s parts and the edge features (checked)."""
        before, after, r = geometric
        batch = after[0].shape[:-1]
        if self.edge_features:
            if edge_attr is None:
                raise ValueError(f"this kernel was built with edge_features={self.edge_features};"
                                 " pass edge_attr of shape (…, edge_features).")
            if edge_attr.shape != (*batch, self.edge_features):
                raise ValueError(f"edge_attr must have shape {(*batch, self.edge_features)}"
                                 f"; got {tuple(edge_attr.shape)}.")
            before = [*before, edge_attr.to(after[0].dtype)]
        elif edge_attr is not None:
            raise ValueError("edge_attr given, but the kernel was built with edge_features=0.")
        return torch.cat([*before, *after], dim=-1), r

    def extra_repr(self) -> str:
        return (f"space={self.space}, degree={self.degree}, n_radial={self.n_radial}, "
                f"forms={self.n_forms}, edge_features={self.edge_features}, "
                f"normalize={self.normalize}")


"""Implicit steerable kernels: K(x) = B(h(x), ·), an equivariant MLP of the relative position.

K: space → Hom(rep_in, rep_out) satisfies K(g·x) = ρ_out(g) K(x) ρ_in(g)⁻¹ by construction, for
every matrix group G for which groupkit can solve the layers — rotations, reflections, finite point
groups, products, the Lorentz group — and exactly (up to rounding): every layer is an exactly
equivariant linear map or an invariant gate; no nonlinearity samples the group.

Pipeline (shapes for an edge batch (…,)):

1. :class:`~kernels.embedding.EdgeEncoder`: x (…, n) [+ edge_attr (…, e)] → invariant scalars
   (radial basis of r, the invariant forms xᵀF_k x, the edge features) ⊕ x̂ ⊕ Sym²(x̂) ⊕ … .
2. :class:`~kernels.mlp.GatedMLP` → h (…, H), then h ← u(r / cutoff) · h (smooth envelope).
3. :class:`~kernels.bilinear.BilinearWeight` W (out, H, in): K(x) = Σ_h W[:, h, :] h_h.

Initialisation: the MLP layers keep unit variance (EquivariantLinear); then the last layer is
rescaled once so that E‖K(x) f‖² / rep_out.size = 1 for unit-variance features f and x drawn
uniformly from the ball r < cutoff (or length_scale) — the paper's normalisation by the
kernel's empirical scale at initialisation, done with a fixed seed so it is reproducible.

Non-compact groups (Lorentz): r(x) = sqrt(|xᵀ η x|) is the square root of the absolute
interval, so the envelope u(r / cutoff) cuts off by *interval*, the only invariant notion of
distance. Its support {|xᵀηx| < cutoff²} is unbounded (it contains the whole light cone), so the
graph, not the envelope, bounds the neighbourhood; pass ``cutoff=None`` for no envelope.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from groupkit import Group, Rep, RepError, V
from groupkit.reps import lift

from ._checks import unchecked_radial, warn_vanishing_radial, warn_zero_blocks
from .bilinear import BilinearWeight
from .embedding import EdgeEncoder, envelope
from .mlp import GatedMLP, resolve_hidden

__all__ = ["ImplicitKernel", "bind_rep"]

CALIBRATION_SAMPLES = 2048
CALIBRATION_SEED = 0


def bind_rep(rep: Rep, G: Group, what: str) -> Rep:
    """``rep`` as a representation of G (reps of a factor are lifted into a product group)."""
    if not isinstance(rep, Rep):
        raise RepError(f"{what} must be a groupkit representation; got {type(rep).__name__}.")
    try:
        rep = lift(rep, G)
    except RepError as e:
        raise RepError(f"{what} ({rep}) is not a representation of {G}: {e}") from e
    if rep.group is not None and rep.group != G:
        raise RepError(f"{what} ({rep}) is a representation of {rep.group}, not of {G}.")
    if rep.is_complex:
        raise RepError(f"{what} ({rep}) is complex; implicit kernels support real groups only.")
    return rep


class ImplicitKernel(nn.Module):
    """An equivariant MLP x ↦ K(x) ∈ Hom(rep_in, rep_out), for relative positions x ∈ ``space``.

    Parameters (all but the first three keyword-only):

    * ``G``, ``rep_in``, ``rep_out``: the group and the field types (reps of G or of its factors).
    * ``space``: the representation the positions live in (default V(G)).
    * ``edge_features``: number of extra invariant scalars per edge (bond types, charges, …).
    * ``hidden``: the MLP's hidden representations — None (two layers of
      ``default_hidden(space, degree=degree)``), an int multiplicity, a Rep, or a sequence.
    * ``degree``: polynomial degree of the angular input features (see EdgeEncoder).
    * ``cutoff``: radius where the smooth envelope reaches zero (None: no envelope).
    * ``length_scale``: scale of x in the features (default: cutoff, else 1).
    * ``n_radial``: size of the Gaussian radial basis of r fed to the MLP.
    * ``normalize``: use unit directions x/|x| (default: when the group is compact).
    * ``dtype``: parameter dtype (default torch's). Build float64 models with dtype=torch.float64
      rather than ``.double()`` afterwards: groupkit.nn layers may keep their bases in the
      construction dtype.

    ``forward(x, edge_attr=None)``: x (…, space.size) → K (…, rep_out.size, rep_in.size).
    ``hidden_features(x, edge_attr)`` → h (…, H) with the envelope applied, and ``weight()`` →
    W (out, H, in): K = einsum('ohi,…h->…oi', W, h). :class:`~kernels.PointConv` uses these two
    to avoid materialising K per edge.

    >>> from groupkit import SO, V, Scalar
    >>> G = SO(3)
    >>> k = ImplicitKernel(G, V(G) + Scalar, V(G), cutoff=1.0)
    >>> k(torch.zeros(5, 3)).shape
    torch.Size([5, 3, 4])
    """

    def __init__(self, G: Group, rep_in: Rep, rep_out: Rep, *, space: Rep | None = None,
                 edge_features: int = 0, hidden=None, degree: int = 2,
                 cutoff: float | None = None, length_scale: float | None = None,
                 n_radial: int = 8, normalize: bool | None = None,
                 dtype: torch.dtype | None = None):
        super().__init__()
        if not isinstance(G, Group):
            raise RepError(f"G must be a groupkit Group; got {type(G).__name__}.")
        self.group = G
        self.rep_in = bind_rep(rep_in, G, "rep_in")
        self.rep_out = bind_rep(rep_out, G, "rep_out")
        self.space = bind_rep(space if space is not None else V(G), G, "space")
        if cutoff is not None and not cutoff > 0:
            raise ValueError(f"cutoff must be positive or None; got {cutoff!r}.")
        self.cutoff = None if cutoff is None else float(cutoff)
        scale = length_scale or cutoff or 1.0
        self.encoder = EdgeEncoder(self.space, degree=degree, n_radial=n_radial,
                                   edge_features=edge_features, length_scale=scale,
                                   normalize=normalize, radial_scale=cutoff or scale)
        if self.cutoff is not None and not self.encoder.geometry.has_radius:
            raise RepError(f"{self.space} of {G} has no invariant quadratic form, so a radial "
                           "cut-off is not invariant; use cutoff=None.")
        hidden_reps = resolve_hidden(hidden, self.space, degree)
        self.mlp = GatedMLP(self.encoder.rep_out, hidden_reps, dtype=dtype)
        self.rep_hidden = hidden_reps[-1]
        self.bilinear = BilinearWeight(self.rep_hidden, self.rep_in, self.rep_out, dtype=dtype)
        if self.bilinear.dim == 0:
            raise RepError(
                f"no equivariant bilinear map {self.rep_hidden} × {self.rep_in} → {self.rep_out}"
                f" exists for {G}: the kernel would be zero. Add summands to `hidden` (or raise "
                "`degree`) so that Hom(hidden ⊗ rep_in, rep_out) is non-zero.")
        self.edge_features = edge_features
        warn_zero_blocks(self)
        self.calibrate()

    # -- evaluation ---------------------------------------------------------------------------
    def hidden_features(self, x: torch.Tensor, edge_attr: torch.Tensor | None = None, *,
                        plan=None) -> torch.Tensor:
        """h(x) (…, H), already multiplied by the envelope. With ``plan`` (a
        :class:`~kernels.plan.EdgePlan` whose relative positions are x) the geometric part of
        the edge encoding is taken from the plan, computed once for every kernel with the same
        encoder settings."""
        if plan is None:
            feats, r = self.encoder(x, edge_attr)
        else:
            feats, r = self.encoder.assemble(plan.geometric(self.encoder), edge_attr)
        warn_vanishing_radial(self, r)
        h = self.mlp(feats)
        if self.cutoff is not None:
            h = h * envelope(r / self.cutoff)[..., None]
        return h

    def weight(self) -> torch.Tensor:
        """W (rep_out.size, H, rep_in.size)."""
        return self.bilinear()

    def forward(self, x: torch.Tensor, edge_attr: torch.Tensor | None = None) -> torch.Tensor:
        h = self.hidden_features(x, edge_attr)
        return torch.einsum("ohi,...h->...oi", self.weight().to(h.dtype), h)

    # -- initialisation -----------------------------------------------------------------------
    def sample_positions(self, n: int, generator: torch.Generator,
                         dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """n positions uniform in the ball r < cutoff (or length_scale) of a compact space, or
        Gaussian with that standard deviation per coordinate for a non-compact one."""
        d = self.space.size
        R = self.cutoff or self.encoder.length_scale
        z = torch.randn(n, d, generator=generator, dtype=dtype)
        if not self.encoder.geometry.compact:
            return R * z
        M = self.encoder.radius_form.to(dtype)
        L = torch.linalg.cholesky(M)  # xᵀMx = |Lᵀx|², so x = L⁻ᵀ y has r(x) = |y|
        y = z / z.norm(dim=1, keepdim=True) * torch.rand(n, 1, generator=generator,
                                                          dtype=dtype) ** (1 / d)
        return R * torch.linalg.solve_triangular(L.T, y.T, upper=True).T

    @torch.no_grad()
    @unchecked_radial  # its samples are not the user's neighbourhoods
    def calibrate(self) -> float:
        """Rescale the last layer so that E‖K(x) f‖² / rep_out.size = 1 (see the module
        docstring); returns the factor applied."""
        gen = torch.Generator().manual_seed(CALIBRATION_SEED)
        p = self.bilinear.weight
        x = self.sample_positions(CALIBRATION_SAMPLES, gen).to(p.dtype)
        e = None
        if self.edge_features:
            e = torch.randn(CALIBRATION_SAMPLES, self.edge_features, generator=gen).to(p.dtype)
        f = torch.randn(CALIBRATION_SAMPLES, self.rep_in.size, generator=gen).to(p.dtype)
        h = self.hidden_features(x, e)
        y = torch.einsum("ohi,nh,ni->no", self.weight(), h, f)
        ms = float(y.pow(2).mean())
        factor = 1.0 / math.sqrt(ms) if ms > 0 else 1.0
        p.mul_(factor)
        return factor

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()
        self.calibrate()

    def extra_repr(self) -> str:
        return (f"{self.rep_in} → {self.rep_out} over {self.space} of {self.group}, "
                f"hidden={self.rep_hidden}, cutoff={self.cutoff}")

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

import numpy as np
import torch
from torch import nn

from groupkit import Group, Rep, RepError, Sym, V
from groupkit.nn import EquivariantLinear, GatedNonlinearity
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


def _sign_diagonal(rep: Rep, g: np.ndarray) -> np.ndarray | None:
    """The diagonal of ρ(g) when it is a diagonal ±1 matrix, else None."""
    M = np.asarray(rep.rho(g))
    d = np.real(np.diag(M))
    if np.iscomplexobj(M) and np.abs(M.imag).max(initial=0) > 1e-12:
        return None
    if not np.allclose(M, np.diag(d), atol=1e-12) or not np.allclose(np.abs(d), 1, atol=1e-12):
        return None
    return np.sign(d)


def _parity_signs(kernel) -> torch.Tensor | None:
    """See :meth:`ImplicitKernel.parity_signs`."""
    space, enc = kernel.space, kernel.encoder
    if space != V(kernel.group) or not isinstance(kernel.mlp, GatedMLP):
        return None
    g = -np.eye(space.size)
    s = np.concatenate([np.ones(enc.n_scalars), -np.ones(space.size)]
                       + [(-1.0) ** k * np.ones(Sym(space, k).size)
                          for k in range(2, enc.degree + 1)])
    rng = np.random.default_rng(0)
    for layer in kernel.mlp.net:
        if isinstance(layer, EquivariantLinear) and type(layer) is EquivariantLinear:
            s_out = _sign_diagonal(layer.rep_out, g)
            if s_out is None or layer.assembler.is_complex:
                return None
            with torch.no_grad():
                p = layer.weight
                W = layer.assembler(torch.as_tensor(rng.standard_normal(layer.assembler.dim),
                                                    dtype=p.dtype, device=p.device))
                W = W.double().cpu().numpy()
                if np.abs(W[s_out[:, None] != s[None, :]]).max(initial=0) \
                        > 1e-6 * max(np.abs(W).max(initial=0), 1e-30):
                    return None
                if layer.bias_assembler is not None and layer.bias_assembler.dim:
                    b = layer.bias_assembler(torch.as_tensor(
                        rng.standard_normal(layer.bias_assembler.dim), dtype=p.dtype,
                        device=p.device)).double().cpu().numpy().reshape(-1)
                    if np.abs(b[s_out < 0]).max(initial=0) > 0:
                        return None
            s = s_out
        elif isinstance(layer, GatedNonlinearity):  # invariant gates and scalars
            n = layer.rep_out.size
            if s.size != layer.rep_in.size or not np.all(s[n:] == 1):  # gates: invariant
                return None
            s = s[:n]
        else:
            return None
    return torch.as_tensor(s, dtype=kernel.bilinear.weight.dtype)


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
        signs = pairing = None
        if plan is None:
            feats, r = self.encoder(x, edge_attr)
        else:
            pairing = plan.pairing()
            signs = None if pairing is None else self.parity_signs()
            if signs is not None and (edge_attr is None
                                      or torch.equal(edge_attr, edge_attr[pairing.rev])):
                # h(x_ij) = ρ_h(−I) h(x_ji): the MLP runs on one edge of each reverse pair
                feats, r = self.encoder.assemble(
                    plan.geometric(self.encoder, half=True),
                    None if edge_attr is None else edge_attr[pairing.half])
            else:
                signs = None
                feats, r = self.encoder.assemble(plan.geometric(self.encoder), edge_attr)
        warn_vanishing_radial(self, r)
        h = self.mlp(feats)
        if self.cutoff is not None:
            h = h * envelope(r / self.cutoff)[..., None]
        if signs is not None:  # the other half of the edges by the parity signs
            h = torch.cat([h, h * signs.to(h)]).index_select(0, pairing.index)
        return h

    def parity_signs(self) -> torch.Tensor | None:
        """s (H,) with h(−x) = s · h(x) for invariant edge features, when every layer of the MLP
        commutes with −I (space = V(G) and the solved bases respect parity: O(n), E(n), and
        SO(3) kernels without axial maps); None otherwise. Then a symmetric graph needs the
        MLP on half its edges (:meth:`hidden_features` with a plan). Checked once, on the
        bases (random coefficients), not on the current parameters."""
        if not hasattr(self, "_parity"):
            self._parity = _parity_signs(self)
        return self._parity

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

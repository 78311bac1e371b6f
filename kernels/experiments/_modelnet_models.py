"""The ModelNet experiment's groups and networks: implicit-kernel and standard-kernel arms.

Groups, all acting on R³ (``GROUPS``; :func:`make_group`):

* ``SO2``  — rotations about the z axis, SO(2) (the Lie algebra of L_z);
* ``O2``   — SO(2)⋊M: those rotations and the mirror x ↦ −x in the plane x = 0, which contains
  the z axis (so O(2) acting on the xy-plane, z fixed);
* ``SO3``, ``O3`` — all rotations, and rotations with reflections;
* ``M``    — the mirror group {1, x ↦ −x};
* ``none`` — the trivial group: no symmetry (a plain point convolution).

Kernels (:func:`make_kernel`, ``kernel=``):

* ``"implicit"`` — :class:`~kernels.ImplicitKernel`: K(x) = W · h(x), h a gated equivariant MLP
  of the relative position (the seed paper's implicit kernel).
* ``"standard"`` — :class:`SteerableBasisKernel`: the same bilinear last layer W, but h(x) is
  the *fixed* steerable basis φ_i(|x|) ⊗ A(x̂) (Gaussian radial functions times the angular
  harmonics of degree ≤ 2) — the analytic kernel of steerable CNNs, for any group.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from groupkit import Group, O, Rep, Scalar, SO, Sym, Trivial, V, direct_sum
from groupkit.nn import GatedNonlinearity, gated

from ..bilinear import BilinearWeight
from ..embedding import EdgeEncoder, envelope
from ..kernel import ImplicitKernel, bind_rep
from ..mlp import default_hidden
from ..pointconv import PointConv
from ..pooling import InvariantReadout, global_pool

__all__ = ["GROUPS", "KERNELS", "make_group", "group_elements", "SteerableBasisKernel",
           "ModelNetClassifier"]

GROUPS = ("SO2", "O2", "SO3", "O3", "M", "none")
KERNELS = ("implicit", "standard")

_LZ = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])  # rotation about z
_MX = np.diag([-1.0, 1.0, 1.0])  # the mirror x ↦ −x (its plane x = 0 contains the z axis)


def make_group(name: str) -> Group:
    """The group ``name`` (one of :data:`GROUPS`) as a matrix group on R³.

    >>> make_group("O2").d, make_group("O2").is_finite, make_group("M").is_finite
    (3, False, True)
    """
    if name == "SO3":
        return SO(3)
    if name == "O3":
        return O(3)
    if name == "SO2":
        return Group(lie_algebra=[_LZ], name="SO(2)z")
    if name == "O2":
        return Group([_MX], [_LZ], name="SO(2)⋊M")
    if name == "M":
        return Group([_MX], name="M")
    if name == "none":
        return Trivial(3)
    raise ValueError(f"unknown group {name!r}; choose from {', '.join(GROUPS)}.")


def _mirror_diagonals(n: int, g) -> np.ndarray:
    """(n, 1, 3): rows (±1, 1, 1), the sign −1 with probability 1/2."""
    d = np.ones((n, 1, 3))
    d[:, 0, 0] = np.where(g.random(n) < 0.5, 1.0, -1.0)
    return d


def group_elements(name: str, n: int, *, rng=None) -> np.ndarray:
    """n random elements (n, 3, 3) of the group ``name`` (Haar-distributed on the continuous
    part, the mirror with probability 1/2), or of SO(3) for ``name="SO3"``; identities for
    ``"none"``. Used to rotate the test sets.

    >>> R = group_elements("O2", 4, rng=0)
    >>> np.allclose(R[:, 2], [0, 0, 1]), np.allclose(R @ R.transpose(0, 2, 1), np.eye(3))
    (True, True)
    """
    from kernels.data.modelnet import random_rotations

    g = np.random.default_rng(rng)
    if name in ("SO3", "O3", "none"):
        return random_rotations(n, {"SO3": "so3", "O3": "o3", "none": "none"}[name], rng=g)
    if name in ("SO2", "O2"):
        R = random_rotations(n, "z", rng=g)
        if name == "O2":
            R = R * _mirror_diagonals(n, g)  # R · diag(±1, 1, 1): the mirror half of the time
        return R
    if name == "M":
        return _mirror_diagonals(n, g) * np.eye(3)
    raise ValueError(f"unknown group {name!r}; choose from {', '.join(GROUPS)}.")


class SteerableBasisKernel(nn.Module):
    """The standard (analytic) steerable kernel: a learned linear combination of a fixed basis.

        K(x) = Σ_{i, a} φ_i(|x|) · W[:, (i, a), :] · A_a(x̂),     x̂ = x / |x|,

    φ_i the ``n_radial`` Gaussian radial functions of :class:`~kernels.embedding.EdgeEncoder`,
    A(x̂) = 1 ⊕ x̂ ⊕ Sym²(x̂) ⊕ … ⊕ Sym^degree(x̂) the angular harmonics (for SO(3): l ≤ degree),
    and W (out, H, in) any *equivariant* bilinear map (:class:`~kernels.bilinear.BilinearWeight`,
    the generalised Clebsch–Gordan coefficients, solved for the group). This is the steerable
    kernel basis of Weiler et al. 2018 and Lang & Weiler 2020 (radial profile × harmonic ×
    intertwiner), band-limited to ``degree``, for any group groupkit can solve.

    Why this and not ``ImplicitKernel(hidden=…)``: ImplicitKernel always puts a gated MLP between
    the features and W (``hidden=()`` is refused), and even without the MLP its features are the
    radial functions *beside* the angular ones (a sum), not their products — the kernels
    would be φ(r) ⊕ A(x̂), not the full basis φ_i(r) A_a(x̂). Here h(x) is the tensor product
    φ(r) ⊗ A(x̂): n_radial · dim A features (80 for SO(3) at 8 radial functions and degree 2: the
    same type 16·1 ⊕ 8·V ⊕ 8·Y2 as ImplicitKernel's default hidden layer), so the two kernels
    share W's shape and differ exactly by the MLP.

    Same interface as :class:`~kernels.ImplicitKernel` (``hidden_features``, ``weight``,
    ``bilinear``, ``forward``), so :class:`~kernels.PointConv` runs it unchanged.

    >>> from groupkit import SO, V, Scalar
    >>> k = SteerableBasisKernel(SO(3), Scalar + V(SO(3)), V(SO(3)), length_scale=1.0)
    >>> k(torch.randn(5, 3)).shape, k.rep_hidden.size
    (torch.Size([5, 3, 4]), 80)
    """

    def __init__(self, G: Group, rep_in: Rep, rep_out: Rep, *, space: Rep | None = None,
                 degree: int = 2, n_radial: int = 8, cutoff: float | None = None,
                 length_scale: float | None = None, dtype: torch.dtype | None = None):
        super().__init__()
        self.group = G
        self.rep_in = bind_rep(rep_in, G, "rep_in")
        self.rep_out = bind_rep(rep_out, G, "rep_out")
        self.space = bind_rep(space if space is not None else V(G), G, "space")
        if n_radial < 1:
            raise ValueError(f"n_radial must be ≥ 1; got {n_radial!r}.")
        self.cutoff = None if cutoff is None else float(cutoff)
        scale = length_scale or cutoff or 1.0
        self.encoder = EdgeEncoder(self.space, degree=degree, n_radial=n_radial,
                                   length_scale=scale, normalize=True,
                                   radial_scale=cutoff or scale)
        self.n_radial, self.edge_features = n_radial, 0
        angular = direct_sum(Scalar, self.space,
                             *[Sym(self.space, k) for k in range(2, degree + 1)])
        self.rep_angular = angular
        self.rep_hidden = n_radial * angular  # row-major (radial i, angular a)
        self.bilinear = BilinearWeight(self.rep_hidden, self.rep_in, self.rep_out, dtype=dtype)
        if self.bilinear.dim == 0:
            raise ValueError(f"no equivariant kernel {self.rep_in} → {self.rep_out} of angular "
                             f"degree ≤ {degree} exists for {G}; raise degree.")
        self.calibrate()

    # The ball sampling and the calibration to unit output variance are ImplicitKernel's.
    sample_positions = ImplicitKernel.sample_positions
    calibrate = ImplicitKernel.calibrate
    weight = ImplicitKernel.weight
    forward = ImplicitKernel.forward

    def hidden_features(self, x: torch.Tensor, edge_attr: torch.Tensor | None = None
                        ) -> torch.Tensor:
        """h(x) = φ(|x|) ⊗ A(x̂) (…, n_radial · dim A)."""
        if edge_attr is not None:
            raise ValueError("SteerableBasisKernel takes no edge features.")
        feats, r = self.encoder(x)
        enc = self.encoder
        radial = feats[..., :self.n_radial]
        ang = feats[..., enc.n_scalars:]  # x̂ ⊕ Sym²(x̂) ⊕ …
        ang = torch.cat([torch.ones_like(ang[..., :1]), ang], dim=-1)
        h = (radial[..., :, None] * ang[..., None, :]).flatten(-2)
        if self.cutoff is not None:
            h = h * envelope(r / self.cutoff)[..., None]
        return h

    def extra_repr(self) -> str:
        return (f"{self.rep_in} → {self.rep_out} over {self.space} of {self.group}, "
                f"basis {self.n_radial} radial × {self.rep_angular}")


def make_conv(G: Group, rep_in: Rep, rep_out: Rep, kernel: str, *, length_scale: float,
              n_radial: int, degree: int, avg_degree: float) -> PointConv:
    """A :class:`~kernels.PointConv` with an implicit or a standard kernel. The implicit
    kernel's hidden layers have multiplicity ``n_radial`` (2m·1 ⊕ m·V ⊕ m·Sym²-harmonics), so
    that its last layer W has the same shape as the standard kernel's (n_radial × angular)."""
    if kernel == "implicit":
        hidden = default_hidden(V(G), degree=degree, multiplicity=n_radial)
        return PointConv(G, rep_in, rep_out, hidden=(hidden, hidden), degree=degree,
                         length_scale=length_scale, n_radial=n_radial, avg_degree=avg_degree)
    if kernel == "standard":
        # PointConv builds an ImplicitKernel; a one-layer, multiplicity-1 one (cheap to build)
        # that is replaced at once by the basis kernel.
        conv = PointConv(G, rep_in, rep_out, hidden=(default_hidden(V(G), degree=degree,
                                                                    multiplicity=1),),
                         degree=degree, length_scale=length_scale, n_radial=2,
                         avg_degree=avg_degree)
        conv.kernel = SteerableBasisKernel(G, rep_in, rep_out, degree=degree, n_radial=n_radial,
                                           length_scale=length_scale)
        return conv
    raise ValueError(f"unknown kernel {kernel!r}; choose from {', '.join(KERNELS)}.")


class ModelNetClassifier(nn.Module):
    """Point-cloud classifier: ``layers`` steerable point convolutions on a k-NN graph (gated
    nonlinearities between them), mean pooling per cloud, and an invariant readout
    (:class:`~kernels.InvariantReadout`: quadratic invariants → MLP) to ``n_classes`` logits.

    Input per point: the constant 1 and the surface normal (Scalar ⊕ V(G)). The logits are
    G-invariant for every G (tested on trained models).
    ``forward(batch)`` with a :class:`~groupkit.train.GraphBatch` (pos, x = normals, batch,
    edge_index) → logits (B, n_classes).

    >>> m = ModelNetClassifier(make_group("M"), 5, kernel="standard", layers=2, width=1)
    >>> m.readout.mlp[-1].out_features, type(m.convs[0].kernel).__name__
    (5, 'SteerableBasisKernel')
    """

    def __init__(self, G: Group, n_classes: int, *, kernel: str = "implicit", layers: int = 3,
                 width: int = 4, degree: int = 2, n_radial: int = 8,
                 length_scale: float = 0.5, avg_degree: float = 16.0, readout_hidden: int = 64):
        super().__init__()
        self.group, self.kernel_kind = G, kernel
        field = default_hidden(V(G), degree=degree, multiplicity=width)
        self.rep_field = field
        opts = dict(length_scale=length_scale, n_radial=n_radial, degree=degree,
                    avg_degree=avg_degree)
        self.convs, self.gates = nn.ModuleList(), nn.ModuleList()
        prev = Scalar + V(G)
        for _ in range(layers - 1):
            self.convs.append(make_conv(G, prev, gated(field), kernel, **opts))
            self.gates.append(GatedNonlinearity(field))
            prev = field
        self.convs.append(make_conv(G, prev, field, kernel, **opts))
        self.readout = InvariantReadout(field, n_classes, hidden=readout_hidden)

    def forward(self, batch) -> torch.Tensor:
        pos, ei = batch.pos, batch.edge_index
        x = torch.cat([torch.ones_like(batch.x[:, :1]), batch.x], dim=1)
        for conv, gate in zip(self.convs[:-1], self.gates):
            x = gate(conv(x, pos, ei))
        x = self.convs[-1](x, pos, ei)
        return self.readout(global_pool(x, batch.batch, reduce="mean",
                                        num_graphs=batch.num_graphs))


class E3nnClassifier(nn.Module):
    """e3nn's tensor-product convolutions (:class:`~kernels.baselines.E3nnNet`: spherical
    harmonics l ≤ 2, radial MLP) with the same input, pooling and head as
    :class:`ModelNetClassifier`: the independent standard-kernel arm for SO(3)/O(3). For O(3)
    the output is ``0e`` scalars; for SO(3) also pseudoscalars ``0o`` (SO(3)-invariant)."""

    def __init__(self, group: str, n_classes: int, *, hidden: str, layers: int = 3,
                 max_radius: float = 1.0, avg_degree: float = 16.0, n_out: int = 32,
                 num_basis: int = 8, radial_hidden: int = 16, readout_hidden: int = 64):
        super().__init__()
        from ..baselines import E3nnNet

        out = f"{n_out}x0e" if group == "O3" else f"{n_out // 2}x0e + {n_out // 2}x0o"
        self.net = E3nnNet("1x0e + 1x1o", hidden, out, layers=layers, max_radius=max_radius,
                           avg_degree=avg_degree, num_basis=num_basis,
                           radial_hidden=radial_hidden)
        self.head = nn.Sequential(nn.Linear(n_out, readout_hidden), nn.SiLU(),
                                  nn.Linear(readout_hidden, n_classes))

    def forward(self, batch) -> torch.Tensor:
        x = torch.cat([torch.ones_like(batch.x[:, :1]), batch.x], dim=1)
        x = self.net(x, batch.pos, batch.edge_index)
        return self.head(global_pool(x, batch.batch, reduce="mean",
                                     num_graphs=batch.num_graphs))

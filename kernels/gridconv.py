"""Steerable convolutions on pixel and voxel grids: the implicit kernel sampled on the stencil.

The weight of :class:`GridConv2d` (:class:`GridConv3d`) is K(x) evaluated at the stencil offsets
x = spacing · (a − c, b − c) for a, b = 0 … k−1, c = (k−1)/2, so that W[:, :, a, b] = K(x_ab)
and ``conv2d`` (a cross-correlation) computes out(p) = Σ_x K(x) f(p + x) — the point convolution
with source minus target offsets x. Channels are the coordinates of rep_in / rep_out; array axis i
is coordinate i of the space.

Exactness: when G maps the stencil onto itself (C(4), D(4) in 2D; the octahedral groups in 3D;
generators that are signed permutation matrices), the layer is equivariant to rounding for the
grid transformations f ↦ ρ(g) f(g⁻¹ ·) (see :func:`grid_action`) on square (cubic) inputs with
"same" zero padding: substituting x = g y permutes the stencil. For continuous groups (SO(2),
O(2), SO(3)) the stencil is not invariant, and the error depends on how well the grid resolves
the input. Measured (``tests/test_kernels_gridconv.py::test_so2_rotation_error_is_small``):
SO(2), rep 1 ⊕ V → V ⊕ 1, 5×5 stencil, centre pixel of Gaussian-blob inputs of width s, median
relative error over random angles ≈ 0.03 for s = 1.5 px and ≈ 0.003 for s = 3 px (it falls as
the input gets smoother) — approximate equivariance, as for every sampled steerable filter.
"""

from __future__ import annotations


import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from groupkit import Group, Rep, RepError, Scalar, V, solve
from groupkit.groups import signed_permutation

from .kernel import ImplicitKernel

__all__ = ["GridConv2d", "GridConv3d", "grid_action", "stencil"]


def stencil(kernel_size: int, dim: int, spacing: float = 1.0,
            dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Offsets (k, …, k, dim) of a centred stencil, axis i → coordinate i."""
    c = (kernel_size - 1) / 2
    axis = (torch.arange(kernel_size, dtype=dtype) - c) * spacing
    grids = torch.meshgrid(*([axis] * dim), indexing="ij")
    return torch.stack(grids, dim=-1)


def grid_action(field: torch.Tensor, g, rep: Rep) -> torch.Tensor:
    """f ↦ ρ(g) f(g⁻¹ p) on a grid field (B, rep.size, n, …, n), p centred coordinates.

    ``g`` (d, d) must be a signed permutation matrix (a symmetry of the square/cubic grid) and the
    spatial axes must have equal lengths when g permutes them.

    >>> import torch
    >>> from groupkit import C, V
    >>> g = C(4).discrete_generators[0]           # a quarter turn
    >>> f = torch.randn(1, 2, 8, 8)               # a vector field on an 8×8 grid
    >>> four = f
    >>> for _ in range(4):
    ...     four = grid_action(four, g, V(C(4)))
    ...
    >>> bool(torch.allclose(four, f))             # four quarter turns are the identity
    True
    """
    g = np.asarray(g)
    d = g.shape[0]
    if field.ndim != d + 2 or field.shape[1] != rep.size:
        raise ValueError(f"field must have shape (B, {rep.size}, {d} spatial axes); got "
                         f"{tuple(field.shape)}.")
    sp = signed_permutation(np.asarray(g, dtype=float), atol=1e-12)
    if sp is None:
        raise ValueError("grid_action needs a signed permutation matrix (a symmetry of the grid); "
                         f"got {g.tolist()}.")
    perm, sign = sp
    if len({field.shape[2 + int(perm[j])] for j in range(d)} | {field.shape[2 + j]
                                                                 for j in range(d)}) > 1 \
            and any(perm[j] != j for j in range(d)):
        raise ValueError("grid_action permutes axes, so the spatial axes must have equal lengths; "
                         f"got {tuple(field.shape[2:])}.")
    # f'(p) = f(y) with y_j = s_j p_{π(j)}: flip the axes with s_j = −1, then permute by π⁻¹.
    flips = [2 + j for j in range(d) if sign[j] < 0]
    out = torch.flip(field, flips) if flips else field
    inv = np.argsort(perm)
    out = out.permute(0, 1, *[2 + int(inv[m]) for m in range(d)])
    # a copy: rho(g) may be a read-only generator, which torch warns about
    R = torch.as_tensor(np.array(rep.rho(g)), dtype=field.dtype, device=field.device)
    return torch.einsum("oc,bc...->bo...", R, out)


class _GridConv(nn.Module):
    dim = 0

    def __init__(self, G: Group, rep_in: Rep, rep_out: Rep, kernel_size: int, *,
                 space: Rep | None = None, spacing: float = 1.0, padding="same",
                 stride: int = 1, bias: bool = True, hidden=None, degree: int = 2,
                 cutoff: float | None = None, length_scale: float | None = None,
                 n_radial: int = 8, normalize: bool | None = None,
                 dtype: torch.dtype | None = None):
        super().__init__()
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd integer (the stencil is centred"
                             f" on a pixel); got {kernel_size!r}.")
        space = space if space is not None else (V(G) if isinstance(G, Group) else None)
        if space is not None and space.size != self.dim:
            raise RepError(f"{type(self).__name__} needs a {self.dim}-dimensional space; {space} "
                           f"of {G} has size {space.size}.")
        if not spacing > 0:
            raise ValueError(f"spacing must be positive; got {spacing!r}.")
        half = (kernel_size - 1) / 2 * spacing
        self.kernel = ImplicitKernel(G, rep_in, rep_out, space=space, hidden=hidden,
                                     degree=degree, cutoff=cutoff,
                                     length_scale=length_scale or max(half, spacing),
                                     n_radial=n_radial, normalize=normalize, dtype=dtype)
        self.rep_in, self.rep_out = self.kernel.rep_in, self.kernel.rep_out
        self.kernel_size, self.spacing, self.padding, self.stride = (kernel_size, spacing,
                                                                     padding, stride)
        self.register_buffer("offsets", stencil(kernel_size, self.dim, spacing),
                             persistent=False)
        self.bias = None
        if bias:
            Q = solve(Scalar, self.rep_out).dense()
            if Q.shape[1]:
                self.register_buffer("bias_basis", torch.as_tensor(Q), persistent=False)
                self.bias = nn.Parameter(torch.zeros(Q.shape[1], dtype=dtype))

    def weight(self) -> torch.Tensor:
        """The convolution weight (rep_out.size, rep_in.size, k, …, k)."""
        p = self.kernel.bilinear.weight
        K = self.kernel(self.offsets.to(p.dtype))  # (k, …, k, out, in)
        return K.permute(self.dim, self.dim + 1, *range(self.dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != self.dim + 2 or x.shape[1] != self.rep_in.size:
            raise ValueError(f"{type(self).__name__} expects (B, {self.rep_in.size}, "
                             f"{', '.join(['n'] * self.dim)}) (channels = rep_in = "
                             f"{self.rep_in}); got {tuple(x.shape)}.")
        W = self.weight()
        if x.dtype != W.dtype:
            raise TypeError(f"{type(self).__name__}: input dtype {x.dtype} but the layer has "
                            f"{W.dtype}.")
        b = None if self.bias is None else self.bias_basis.to(W.dtype) @ self.bias
        conv = F.conv2d if self.dim == 2 else F.conv3d
        return conv(x, W, b, stride=self.stride, padding=self.padding)

    def extra_repr(self) -> str:
        return (f"{self.rep_in} → {self.rep_out}, kernel_size={self.kernel_size}, "
                f"spacing={self.spacing}, padding={self.padding}")


class GridConv2d(_GridConv):
    """Steerable 2D convolution (B, rep_in.size, H, W) → (B, rep_out.size, H', W').

    ``GridConv2d(G, rep_in, rep_out, kernel_size, *, space=V(G), spacing=1.0, padding="same",
    stride=1, bias=True, …kernel options of ImplicitKernel)``. G acts on R² (C(4), D(4): exact;
    SO(2), O(2): approximate — see the module docstring).

    >>> import torch
    >>> from groupkit import C, V, Scalar
    >>> G = C(4)
    >>> conv = GridConv2d(G, Scalar, V(G), kernel_size=5)
    >>> conv(torch.randn(2, 1, 16, 16)).shape      # a scalar image → a vector field
    torch.Size([2, 2, 16, 16])
    """

    dim = 2


class GridConv3d(_GridConv):
    """Steerable 3D convolution (B, rep_in.size, D, H, W) → (B, rep_out.size, D', H', W').

    Same options as :class:`GridConv2d`; G acts on R³ (Octahedral, FullOctahedral: exact;
    SO(3), O(3): approximate).

    >>> import torch
    >>> from groupkit import Octahedral, V, Scalar
    >>> G = Octahedral()
    >>> conv = GridConv3d(G, Scalar, V(G), kernel_size=3)
    >>> conv(torch.randn(1, 1, 6, 6, 6)).shape
    torch.Size([1, 3, 6, 6, 6])
    """

    dim = 3

"""The last layer of an implicit kernel: an equivariant bilinear map B: H × rep_in → rep_out.

The kernel is linear in the MLP's last hidden features h: K(x) = L h(x) with L an equivariant
linear map H → Hom(rep_in, rep_out) = rep_out ⊗ rep_in*. Equivalently K(x) f = B(h(x), f) with
B ∈ Hom(H ⊗ rep_in, rep_out). :class:`BilinearWeight` holds B as one small basis per distinct
triple of summands (P of H, R of rep_in, S of rep_out) — the solver's Hom(P ⊗ R, S) — with one
learnable coefficient per basis element and per copy of P, R and S, and assembles the dense
tensor W (rep_out.size, H.size, rep_in.size), so that

    K(x)[o, i] = Σ_h W[o, h, i] h[h],        B(h, f)[o] = Σ_{h,i} W[o, h, i] h[h] f[i].

Solving triples of summands keeps every solve small (a 72 → 72 SO(3) layer over an 80-dim H is
27 solves of at most 5·5·5 unknowns), instead of one solve of the 5,184 × 80 Hom space.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from groupkit import Rep, solve, tensor
from groupkit.nn._fingerprint import attach_fingerprint
from groupkit.solver import _summand_table

__all__ = ["BilinearWeight"]


def _copies_index(offsets: list[int], size: int) -> np.ndarray:
    """Coordinates (copies, size) of every copy of a summand."""
    return np.asarray(offsets)[:, None] + np.arange(size)[None, :]


class BilinearWeight(nn.Module):
    """Learnable equivariant W (rep_out.size, rep_h.size, rep_in.size); see the module docstring.

    ``forward()`` returns W; ``dim`` is the number of coefficients. ``state_dict`` holds only the
    coefficients ``weight`` (dim,); the bases are non-persistent buffers.
    """

    def __init__(self, rep_h: Rep, rep_in: Rep, rep_out: Rep, *,
                 dtype: torch.dtype | None = None):
        super().__init__()
        self.rep_h, self.rep_in, self.rep_out = rep_h, rep_in, rep_out
        self._specs: list[tuple[int, int, tuple[int, int, int, int]]] = []
        dim = 0
        i = 0
        for S, s_off in _summand_table(rep_out):
            for P, p_off in _summand_table(rep_h):
                for R, r_off in _summand_table(rep_in):
                    Q = solve(tensor(P, R), S).dense()  # (S·P·R, k), orthonormal columns
                    k = Q.shape[1]
                    if k == 0:
                        continue
                    if np.iscomplexobj(Q):
                        raise ValueError("implicit kernels support real groups only.")
                    Qt = torch.as_tensor(Q.reshape(S.size, P.size, R.size, k))
                    self.register_buffer(f"Q{i}", Qt, persistent=False)
                    # Flat positions in W of this triple's entries, in the einsum's
                    # (b, s, c, p, a, r) order, so forward needs one index_put for all triples.
                    o = _copies_index(s_off, S.size)[:, :, None, None, None, None]
                    h = _copies_index(p_off, P.size)[None, None, :, :, None, None]
                    r = _copies_index(r_off, R.size)[None, None, None, None, :, :]
                    pos = (o * rep_h.size + h) * rep_in.size + r
                    self.register_buffer(f"pos{i}", torch.as_tensor(pos.ravel()),
                                         persistent=False)
                    shape = (len(s_off), len(p_off), len(r_off), k)
                    self._specs.append((i, dim, shape))
                    dim += math.prod(shape)
                    i += 1
        self.dim = dim
        self.weight = nn.Parameter(torch.empty(dim, dtype=dtype or torch.get_default_dtype()))
        self.reset_parameters()
        attach_fingerprint(self)  # state dicts carry (and check) the basis they were saved with

    def reset_parameters(self) -> None:
        """θ ~ N(0, rep_out.size / dim): ‖W‖_F² ≈ rep_out.size, as in EquivariantLinear."""
        with torch.no_grad():
            self.weight.normal_(0.0, math.sqrt(self.rep_out.size / max(self.dim, 1)))

    def forward(self) -> torch.Tensor:
        theta = self.weight
        vals, positions = [], []
        for i, start, (b, c, a, k) in self._specs:
            th = theta[start:start + b * c * a * k].reshape(b, c, a, k)
            Q = getattr(self, f"Q{i}").to(theta.dtype)
            vals.append(torch.einsum("sprk,bcak->bscpar", Q, th).reshape(-1))
            positions.append(getattr(self, f"pos{i}"))
        W = theta.new_zeros(self.rep_out.size * self.rep_h.size * self.rep_in.size)
        if vals:
            # Different triples write disjoint entries, so plain assignment is exact.
            W = W.index_put((torch.cat(positions),), torch.cat(vals))
        return W.reshape(self.rep_out.size, self.rep_h.size, self.rep_in.size)

    def extra_repr(self) -> str:
        return f"{self.rep_h} × {self.rep_in} → {self.rep_out}, dim={self.dim}"

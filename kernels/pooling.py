"""Equivariant pooling and invariant readouts for classification and regression heads.

* :func:`global_pool`: sum or mean of node features per graph — linear, so it commutes with
  ρ(g): equivariant for every representation (and invariant for the scalar part).
* :class:`QuadraticInvariants`: for every summand copy v of a representation, the invariant
  quadratic forms vᵀ M_k v (M_k a basis of the symmetric invariant forms of that summand type,
  from the solver's Hom(S ⊗ S, Scalar)); scalar summands pass through unchanged. For orthogonal
  actions these include the squared norm; for the Lorentz group, the Minkowski square. Works for
  any group, compact or not.
* :class:`InvariantReadout`: QuadraticInvariants followed by an ordinary MLP — any function of
  invariants is invariant.

>>> from groupkit import SO, V, Scalar
>>> q = QuadraticInvariants(2 * V(SO(3)) + Scalar)
>>> q.n_out
3
"""

from __future__ import annotations

import torch
from torch import nn

from groupkit import Rep, Scalar

from .geometry import invariant_quadratic_forms

__all__ = ["global_pool", "QuadraticInvariants", "InvariantReadout"]


def global_pool(x: torch.Tensor, batch: torch.Tensor | None = None, *, reduce: str = "sum",
                num_graphs: int | None = None) -> torch.Tensor:
    """Pool node features (N, C) per graph → (B, C). ``batch`` (N,) holds graph ids (None: one
    graph). Graphs without points give zeros.

    >>> import torch
    >>> x = torch.ones(5, 3)
    >>> global_pool(x, torch.tensor([0, 0, 1, 1, 1]))
    tensor([[2., 2., 2.],
            [3., 3., 3.]])
    """
    if reduce not in ("sum", "mean"):
        raise ValueError(f"reduce must be 'sum' or 'mean'; got {reduce!r}.")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, C); got {tuple(x.shape)}.")
    if batch is None:
        batch = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
    if batch.shape != (x.shape[0],):
        raise ValueError(f"batch must have shape ({x.shape[0]},); got {tuple(batch.shape)}.")
    B = num_graphs if num_graphs is not None else (int(batch.max()) + 1 if batch.numel() else 0)
    out = x.new_zeros(B, x.shape[1]).index_add(0, batch, x)
    if reduce == "mean":
        count = torch.bincount(batch, minlength=B).clamp_min(1).to(x.dtype)
        out = out / count[:, None]
    return out


class QuadraticInvariants(nn.Module):
    """(…, rep.size) → (…, n_out) invariants: scalar summands as they are, and vᵀ M_k v for every
    non-scalar summand copy v and invariant form M_k of its type.

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> inv = QuadraticInvariants(2*V(SO(3)) + Scalar)
    >>> inv(torch.randn(4, 7)).shape              # 1 scalar and |v1|², |v2|²
    torch.Size([4, 3])
    """

    def __init__(self, rep: Rep):
        super().__init__()
        self.rep_in = rep
        self._specs: list[tuple[int, int, str]] = []
        scalars: list[int] = []
        i = 0
        seen: dict[str, str] = {}
        n_out = 0
        for S in rep.summands():
            if S == Scalar:
                scalars.append(i)
                n_out += 1
            else:
                name = seen.get(S.key)
                if name is None:
                    name = f"form{len(seen)}"
                    seen[S.key] = name
                    forms = torch.tensor(invariant_quadratic_forms(S))  # a copy of the cached array
                    self.register_buffer(name, forms, persistent=False)
                m = getattr(self, name).shape[0]
                self._specs.append((i, S.size, name))
                n_out += m
            i += S.size
        self.register_buffer("scalar_index", torch.as_tensor(scalars, dtype=torch.long),
                             persistent=False)
        self.n_out = n_out
        self.rep_out = n_out * Scalar if n_out else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] != self.rep_in.size:
            raise ValueError(f"QuadraticInvariants: last dimension must be {self.rep_in.size} "
                             f"({self.rep_in}); got {tuple(x.shape)}.")
        parts = [x[..., self.scalar_index]] if len(self.scalar_index) else []
        for start, size, name in self._specs:
            v = x[..., start:start + size]
            M = getattr(self, name).to(x.dtype)
            parts.append(torch.einsum("...i,kij,...j->...k", v, M, v))
        return torch.cat(parts, dim=-1) if parts else x.new_zeros(*x.shape[:-1], 0)


class InvariantReadout(nn.Module):
    """(…, rep.size) → (…, n_out): QuadraticInvariants, then Linear–SiLU–Linear (``hidden``
    units). Invariant for every group; use after :func:`global_pool` for graph-level heads.

    >>> import torch
    >>> from groupkit import SO, V, Scalar
    >>> head = InvariantReadout(V(SO(3)) + Scalar, 2, hidden=16)
    >>> head(torch.randn(4, 4)).shape
    torch.Size([4, 2])
    """

    def __init__(self, rep: Rep, n_out: int, *, hidden: int = 64,
                 dtype: torch.dtype | None = None):
        super().__init__()
        self.invariants = QuadraticInvariants(rep)
        if self.invariants.n_out == 0:
            raise ValueError(f"{rep} has no invariant quadratic features; nothing to read out.")
        self.rep_in = rep
        self.rep_out = n_out * Scalar
        self.mlp = nn.Sequential(nn.Linear(self.invariants.n_out, hidden, dtype=dtype), nn.SiLU(),
                                 nn.Linear(hidden, n_out, dtype=dtype))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(self.invariants(x))

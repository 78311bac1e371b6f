"""Graph and set networks from the structured permutation layers: a 2-IGN and DeepSets.

Both work on inputs of any size n: their parameters are the partition-basis coefficients, which
are the same list for every n ≥ k (the Bell numbers do not depend on n), and the structured
operations for each n are built on first use and kept. A batch of graphs of different sizes is a
list; graphs of equal size are stacked and run together.

>>> import torch
>>> model = IGN2(1, 8, 1)
>>> graphs = [torch.ones(5, 5), torch.ones(7, 7), torch.zeros(5, 5)]
>>> model(graphs).shape
torch.Size([3, 1])
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..catalogue import S
from ..reps import Scalar, V
from ..solver import solve
from .permutation import PartitionOp

__all__ = ["PermutationLayer", "IGN2", "DeepSets"]


def _rep(n: int, k: int, c: int):
    return c * (V(S(n)) ** k if k else Scalar)


class PermutationLayer(nn.Module):
    """c_in copies of V^⊗k_in → c_out copies of V^⊗k_out for S(n), any n ≥ k_in + k_out.

    ``forward(x)`` with x (B, c_in, n, …, n) (k_in index axes) → (B, c_out, n, …, n).

    ``normalize`` says how one set of coefficients is read at every n:

    * ``"frobenius"`` (default): the coefficients of :class:`~groupkit.nn.EquivariantLinear`
      at each n (orbit maps of unit Frobenius norm), times n^(k_out/2) so that outputs are
      O(1) at initialisation. A sum over m indices then grows like n^(m/2) relative to a
      diagonal: a model trained at one n does not carry over to another.
    * ``"mean"``: the coefficients multiply the *diagram* maps (Maron et al.'s operations:
      diagonal extraction, sums, broadcasts, transposes) with every sum replaced by a mean —
      a diagram summing m free indices is divided by n^m. Row means, graph means and traces/n
      are O(1) for every n, so functions such as mean degree or degree variance are the same
      coefficients at every size: this is the setting that generalises across n.

    Both span the same space of equivariant maps at each n (the diagram and orbit bases are
    related by an invertible (dim, dim) Möbius transform, applied to the coefficients only).

    >>> import torch
    >>> layer = PermutationLayer(2, 2, c_in=1, c_out=4)      # 15 maps per channel pair
    >>> layer.weight.numel(), layer(torch.randn(3, 1, 7, 7)).shape
    (60, torch.Size([3, 4, 7, 7]))
    >>> mean = PermutationLayer(2, 0, c_in=1, c_out=2, normalize="mean", bias=False)
    >>> A = torch.ones(2, 1, 9, 9)                            # every mean of all-ones is 1
    >>> torch.allclose(mean(A), mean.weight.reshape(2, 2).sum(1).expand(2, 2))
    True
    """

    def __init__(self, k_in: int, k_out: int, c_in: int, c_out: int, *, bias: bool = True,
                 normalize: str = "frobenius"):
        super().__init__()
        if normalize not in ("frobenius", "mean"):
            raise ValueError(f"normalize must be 'frobenius' or 'mean'; got {normalize!r}.")
        self.k_in, self.k_out, self.c_in, self.c_out = k_in, k_out, c_in, c_out
        self.normalize = normalize
        self.min_n = max(k_in + k_out, 1)
        n0 = self.min_n
        dim = solve(_rep(n0, k_in, c_in), _rep(n0, k_out, c_out)).dim
        if normalize == "mean":
            # Diagram outputs are O(1) means of the inputs: He-style fan-in c_in · maps.
            per_pair = max(dim // max(c_in * c_out, 1), 1)
            std = math.sqrt(2.0 / (c_in * per_pair))
        else:
            std = math.sqrt(c_out / max(dim, 1))
        self.weight = nn.Parameter(torch.randn(dim) * std)
        bdim = solve(Scalar, _rep(n0, k_out, c_out)).dim if bias else 0
        self.bias = nn.Parameter(torch.zeros(bdim)) if bias else None
        self.ops = nn.ModuleDict()

    def _ops(self, n: int):
        key = str(n)
        if key not in self.ops:
            if n < self.min_n:
                raise ValueError(f"{type(self).__name__} ({self.k_in} → {self.k_out}) needs "
                                 f"n ≥ {self.min_n} points; got n = {n}.")
            rin, rout = _rep(n, self.k_in, self.c_in), _rep(n, self.k_out, self.c_out)
            mods = [PartitionOp(solve(rin, rout))]
            if self.bias is not None:
                mods.append(PartitionOp(solve(Scalar, rout)))
            if self.normalize == "mean":
                for i, op in enumerate(mods):
                    self.register_buffer(f"_T{n}_{i}",
                                         _mean_transform(op, n).to(self.weight.device),
                                         persistent=False)
            self.ops[key] = nn.ModuleList(mods).to(self.weight.device)
        return self.ops[key]

    def _theta(self, n: int, i: int, w: torch.Tensor) -> torch.Tensor:
        """The solver's orbit coefficients θ for parameters w (mean-normalised diagrams)."""
        T = getattr(self, f"_T{n}_{i}").to(w.dtype)
        return (w.reshape(-1, T.shape[0]) @ T).reshape(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 + self.k_in or x.shape[1] != self.c_in:
            raise ValueError(f"expected (B, {self.c_in}" + ", n" * self.k_in +
                             f"); got {tuple(x.shape)}.")
        n = x.shape[-1] if self.k_in else None
        if n is None:
            raise ValueError("a layer from scalars needs n; use it after a set/graph layer.")
        ops = self._ops(n)
        B = x.shape[0]
        if self.normalize == "mean":
            weight = self._theta(n, 0, self.weight)
            bias = None if self.bias is None else self._theta(n, 1, self.bias)
        else:
            # The basis maps have unit Frobenius norm; n^(k_out/2) makes the output entries
            # O(1) for every n with the same coefficients (‖W‖_F² ≈ c_out · n^k_out at init).
            scale = float(n) ** (self.k_out / 2)
            weight = self.weight * scale
            bias = None if self.bias is None else self.bias * scale
        extra = () if bias is None else ((ops[1], x.new_ones(1, 1), bias),)
        y = ops[0](x.reshape(B, -1), weight, extra)
        return y.reshape(B, self.c_out, *([n] * self.k_out))


def _mean_transform(op: PartitionOp, n: int) -> torch.Tensor:
    """T (r, r) with θ = w T: the orbit coefficients θ whose map is Σ_σ w_σ D_σ / n^(m_σ),
    D_σ the diagram maps and m_σ the number of indices each sums over. The op computes the
    diagram coefficients as d = θ Mᵀ, so T = diag(n^−m) M^−ᵀ."""
    ((_, _, _, col, _, _, r, diagrams, _),) = op._blocks  # one summand type in and out
    assert col == 0
    summed = []
    for dg in diagrams:
        ins, outs = dg.spec[3:].split("->...")
        summed.append(len(set(ins) - set(outs)))
    M = op.M0.double()
    scale = torch.tensor([float(n) ** -m for m in summed], dtype=torch.float64)
    return scale[:, None] * torch.linalg.inv(M.T)


def _by_size(xs):
    """Group a list of (n, …, n) or (c, n, …, n) tensors by n: {n: (indices, stacked)}."""
    groups: dict[int, list[int]] = {}
    for i, x in enumerate(xs):
        groups.setdefault(x.shape[-1], []).append(i)
    return {n: (idx, torch.stack([xs[i] for i in idx])) for n, idx in groups.items()}


class _Invariant(nn.Module):
    """Shared structure: equivariant layers (order k), an invariant pooling, an MLP head."""

    k = 2

    def __init__(self, c_in: int, hidden: int, c_out: int, layers: int = 2, *,
                 normalize: str = "mean"):
        super().__init__()
        self.c_in = c_in
        widths = [c_in] + [hidden] * layers
        self.layers = nn.ModuleList(PermutationLayer(self.k, self.k, a, b, normalize=normalize)
                                    for a, b in zip(widths[:-1], widths[1:]))
        self.pool = PermutationLayer(self.k, 0, hidden, hidden, normalize=normalize)
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                  nn.Linear(hidden, c_out))

    def _one_size(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim == 1 + self.k:
            x = x.unsqueeze(1)
        for layer in self.layers:
            x = torch.relu(layer(x))
        return self.head(self.pool(x).reshape(x.shape[0], -1))

    def forward(self, x) -> torch.Tensor:
        """x: a tensor (B, [c_in,] n, …, n) or a list of such per-sample tensors of any n
        (no batch axis). Returns (B, c_out), invariant under relabelling the points."""
        if isinstance(x, torch.Tensor):
            return self._one_size(x)
        out = [None] * len(x)
        for _, (idx, stacked) in _by_size(list(x)).items():
            y = self._one_size(stacked)
            for i, row in zip(idx, y):
                out[i] = row
        return torch.stack(out)


class IGN2(_Invariant):
    """An invariant graph network (Maron et al., ICLR 2019): 2→2 equivariant layers on
    (B, c_in, n, n) edge features (or adjacency matrices (B, n, n)), ReLU, an invariant
    2→0 pooling (the 2 invariant maps: diagonal and total sums — means by default — per
    channel pair) and an MLP.
    Graphs of different sizes go in as a list. ``normalize="mean"`` (default) reads every
    sum of the layers as a mean, so one set of weights means the same function at every n
    (see :class:`PermutationLayer`); ``"frobenius"`` uses EquivariantLinear's coefficients.

    >>> import torch
    >>> net = IGN2(c_in=1, hidden=8, c_out=1)
    >>> A = (torch.rand(5, 6, 6) < 0.5).float()              # five adjacency matrices
    >>> net(A).shape, net([A[0], torch.zeros(9, 9)]).shape   # any n, also mixed in a list
    (torch.Size([5, 1]), torch.Size([2, 1]))
    """

    k = 2


class DeepSets(_Invariant):
    """DeepSets (Zaheer et al., 2017) as 1→1 equivariant layers on (B, c_in, n) point features,
    an invariant pooling and an MLP. Sums over the points are means by default
    (``normalize="mean"``, see :class:`PermutationLayer`); ``"frobenius"`` scales them as
    EquivariantLinear does.

    >>> import torch
    >>> net = DeepSets(c_in=3, hidden=16, c_out=2)
    >>> x = torch.randn(4, 3, 10)                             # 4 sets of 10 points, 3 features
    >>> perm = torch.randperm(10)
    >>> torch.allclose(net(x), net(x[..., perm]), atol=1e-5)  # invariant to the order
    True
    """

    k = 1

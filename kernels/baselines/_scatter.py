"""Sums and means of edge values onto their target nodes (pure torch)."""

from __future__ import annotations

import torch


def scatter_sum(values: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    """out[i] = Σ_{e: index[e] = i} values[e]; out has n rows."""
    out = values.new_zeros((n,) + values.shape[1:])
    return out.index_add_(0, index, values)


def scatter_mean(values: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    """Mean over the edges into each node (0 for a node without edges)."""
    count = torch.bincount(index, minlength=n).clamp(min=1).to(values.dtype)
    return scatter_sum(values, index, n) / count.view((-1,) + (1,) * (values.ndim - 1))


def mlp(sizes, act=torch.nn.SiLU, *, last_act: bool = False) -> torch.nn.Sequential:
    """Linear layers of the given sizes with ``act`` between them (and after, if last_act)."""
    layers = []
    for k, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if k < len(sizes) - 2 or last_act:
            layers.append(act())
    return torch.nn.Sequential(*layers)

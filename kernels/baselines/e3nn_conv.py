"""The seed paper's "standard kernel" arm: e3nn tensor-product convolutions (optional e3nn).

A standard steerable kernel for O(3)/SO(3) is analytic: spherical harmonics Y(r̂) of the edge
direction, coupled to the input features by Clebsch–Gordan tensor products, with weights from
an MLP of the edge length (Thomas et al. 2018, "Tensor field networks"; e3nn's design):

    x_i' = (1/√avg_degree) Σ_j TP_{w(|r_ij|)}(x_j, Y(r̂_ij)),   r_ij = pos_i − pos_j

* :class:`E3nnConv` — one such convolution (irreps in → irreps out).
* :class:`E3nnNet` — convolutions with gated nonlinearities (e3nn's ``Gate``), for scalar
  (QM9) or vector (N-body) outputs.

e3nn builds its Clebsch–Gordan coefficients in torch's default dtype, so a float64 model must
be built in float64 (``dtype=torch.float64``), not converted afterwards with ``.double()``.
Requires ``pip install e3nn`` (the ``bench`` extra). Edges follow :mod:`kernels.graph`.

>>> import pytest, torch
>>> _ = pytest.importorskip("e3nn")
>>> conv = E3nnConv("2x0e + 1x1o", "1x1o", max_radius=3.0)
>>> conv(torch.randn(4, 5), torch.randn(4, 3), torch.tensor([[0, 1, 2], [1, 2, 3]])).shape
torch.Size([4, 3])
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

from ._scatter import scatter_sum

__all__ = ["E3nnConv", "E3nnNet"]


@contextlib.contextmanager
def _default_dtype(dtype):
    old = torch.get_default_dtype()
    if dtype is not None:
        torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _e3nn():
    try:
        import e3nn  # noqa: F401
        from e3nn import o3
    except ImportError:
        raise ModuleNotFoundError("the standard-kernel baseline needs e3nn: pip install e3nn "
                                  "(or pip install 'groupkit[bench]').") from None
    return o3


class E3nnConv(nn.Module):
    """Tensor-product convolution: spherical harmonics up to ``lmax`` (parities of O(3)),
    radial weights from an MLP of ``num_basis`` smooth radial functions on [0, max_radius]
    (edges beyond max_radius contribute nothing); ``dtype``: that of the parameters.
    ``forward(x (N, irreps_in.dim), pos (N, 3),
    edge_index)`` → (N, irreps_out.dim)."""

    def __init__(self, irreps_in, irreps_out, *, lmax: int = 2, max_radius: float = 5.0,
                 num_basis: int = 10, radial_hidden: int = 64, avg_degree: float = 1.0,
                 dtype=None):
        super().__init__()
        with _default_dtype(dtype):
            self._build(irreps_in, irreps_out, lmax, max_radius, num_basis, radial_hidden,
                        avg_degree)

    def _build(self, irreps_in, irreps_out, lmax, max_radius, num_basis, radial_hidden,
               avg_degree):
        o3 = _e3nn()
        from e3nn.nn import FullyConnectedNet

        self.irreps_in, self.irreps_out = o3.Irreps(irreps_in), o3.Irreps(irreps_out)
        self.irreps_sh = o3.Irreps.spherical_harmonics(lmax)
        self.tp = o3.FullyConnectedTensorProduct(self.irreps_in, self.irreps_sh,
                                                 self.irreps_out, shared_weights=False,
                                                 internal_weights=False)
        self.radial = FullyConnectedNet([num_basis, radial_hidden, self.tp.weight_numel],
                                        torch.nn.functional.silu)
        self.max_radius, self.num_basis = float(max_radius), int(num_basis)
        self.norm = 1.0 / math.sqrt(avg_degree)

    def forward(self, x, pos, edge_index):
        from e3nn.math import soft_one_hot_linspace

        o3 = _e3nn()
        j, i = edge_index[0], edge_index[1]
        r = pos[i] - pos[j]
        sh = o3.spherical_harmonics(self.irreps_sh, r, normalize=True,
                                    normalization="component")
        basis = soft_one_hot_linspace(r.norm(dim=-1), 0.0, self.max_radius, self.num_basis,
                                      basis="smooth_finite", cutoff=True)
        w = self.radial(basis * math.sqrt(self.num_basis))
        return self.norm * scatter_sum(self.tp(x[j], sh, w), i, len(x))


class E3nnNet(nn.Module):
    """``layers`` :class:`E3nnConv` with gated nonlinearities between them.

    ``hidden``: the gated features, e.g. "16x0e + 8x1o + 4x2e" (scalars pass through SiLU;
    each non-scalar irrep gets one sigmoid gate). ``forward(x, pos, edge_index, batch=None,
    num_graphs=None)`` → (N, irreps_out.dim), or summed per graph with ``readout="sum"``.
    """

    def __init__(self, irreps_in, hidden, irreps_out, *, layers: int = 3,
                 readout: str | None = None, dtype=None, **conv_options):
        super().__init__()
        conv_options["dtype"] = dtype
        o3 = _e3nn()
        from e3nn.nn import Gate

        hidden = o3.Irreps(hidden).simplify()
        scalars = o3.Irreps([(m, ir) for m, ir in hidden if ir.l == 0])
        gated = o3.Irreps([(m, ir) for m, ir in hidden if ir.l > 0])
        gates = o3.Irreps(f"{gated.num_irreps}x0e") if gated.num_irreps else o3.Irreps("")
        self.convs, self.gates = nn.ModuleList(), nn.ModuleList()
        prev = o3.Irreps(irreps_in)
        for _ in range(layers - 1):
            with _default_dtype(dtype):  # Gate's normalising constants, in that dtype
                gate = Gate(scalars, [torch.nn.functional.silu] * len(scalars),
                            gates, [torch.sigmoid] * len(gates), gated)
            self.convs.append(E3nnConv(prev, gate.irreps_in, **conv_options))
            self.gates.append(gate)
            prev = gate.irreps_out
        self.convs.append(E3nnConv(prev, irreps_out, **conv_options))
        self.readout = readout

    def forward(self, x, pos, edge_index, batch=None, num_graphs: int | None = None):
        for conv, gate in zip(self.convs[:-1], self.gates):
            x = gate(conv(x, pos, edge_index))
        x = self.convs[-1](x, pos, edge_index)
        if self.readout == "sum":
            if batch is None:
                batch = torch.zeros(len(x), dtype=torch.long, device=x.device)
            x = scatter_sum(x, batch, int(batch.max()) + 1 if num_graphs is None else num_graphs)
        return x

"""The seed paper's "standard kernel" arm: e3nn tensor-product convolutions (optional e3nn).

A standard steerable kernel for O(3)/SO(3) is analytic: spherical harmonics Y(r̂) of the edge
direction, coupled to the input features by Clebsch–Gordan tensor products, with weights from
an MLP of the edge length (Thomas et al. 2018, "Tensor field networks"; e3nn's design):

    x_i' = W x_i + (1/√avg_degree) Σ_j TP_{w(|r_ij|, a_ij)}(x_j, Y(r̂_ij)),   r_ij = pos_i − pos_j

(W an equivariant linear self-connection; a_ij optional invariant edge attributes.)

* :class:`E3nnConv` — one such convolution (irreps in → irreps out).
* :class:`E3nnNet` — convolutions with gated nonlinearities (e3nn's ``Gate``), for scalar
  (QM9) or vector (N-body) outputs.
* :class:`E3nnDynamics` — the N-body model of this arm, with :class:`EGNNDynamics`'s inputs.

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

__all__ = ["E3nnConv", "E3nnNet", "E3nnDynamics"]


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
    weights from an MLP of ``num_basis`` smooth radial functions on [0, max_radius] (edges
    beyond it contribute nothing) and of ``edge_dim`` invariant edge attributes; plus a linear
    self-connection (``self_connection``). ``dtype``: that of the parameters.
    ``forward(x (N, irreps_in.dim), pos (N, 3), edge_index, edge_attr=None (E, edge_dim))`` →
    (N, irreps_out.dim)."""

    def __init__(self, irreps_in, irreps_out, *, lmax: int = 2, max_radius: float = 5.0,
                 num_basis: int = 10, radial_hidden: int = 64, edge_dim: int = 0,
                 avg_degree: float = 1.0, self_connection: bool = True, dtype=None):
        super().__init__()
        with _default_dtype(dtype):
            o3 = _e3nn()
            from e3nn.nn import FullyConnectedNet

            self.irreps_in, self.irreps_out = o3.Irreps(irreps_in), o3.Irreps(irreps_out)
            self.irreps_sh = o3.Irreps.spherical_harmonics(lmax)
            self.tp = o3.FullyConnectedTensorProduct(self.irreps_in, self.irreps_sh,
                                                     self.irreps_out, shared_weights=False,
                                                     internal_weights=False)
            self.radial = FullyConnectedNet([num_basis + edge_dim, radial_hidden,
                                             self.tp.weight_numel], torch.nn.functional.silu)
            self.self_linear = o3.Linear(self.irreps_in, self.irreps_out) \
                if self_connection else None
        self.max_radius, self.num_basis, self.edge_dim = float(max_radius), num_basis, edge_dim
        self.norm = 1.0 / math.sqrt(avg_degree)

    def forward(self, x, pos, edge_index, edge_attr=None):
        from e3nn.math import soft_one_hot_linspace

        o3 = _e3nn()
        j, i = edge_index[0], edge_index[1]
        r = pos[i] - pos[j]
        sh = o3.spherical_harmonics(self.irreps_sh, r, normalize=True,
                                    normalization="component")
        basis = soft_one_hot_linspace(r.norm(dim=-1), 0.0, self.max_radius, self.num_basis,
                                      basis="smooth_finite", cutoff=True)
        inputs = basis * math.sqrt(self.num_basis)
        if self.edge_dim:
            if edge_attr is None or edge_attr.shape != (len(r), self.edge_dim):
                raise ValueError(f"this E3nnConv takes edge_attr of shape ({len(r)}, "
                                 f"{self.edge_dim}).")
            inputs = torch.cat([inputs, edge_attr], dim=-1)
        out = self.norm * scatter_sum(self.tp(x[j], sh, self.radial(inputs)), i, len(x))
        return out if self.self_linear is None else out + self.self_linear(x)


class E3nnNet(nn.Module):
    """``layers`` :class:`E3nnConv` with gated nonlinearities between them.

    ``hidden``: the gated features, e.g. "16x0e + 8x1o + 4x2e" (scalars pass through SiLU;
    each non-scalar irrep gets one sigmoid gate). ``forward(x, pos, edge_index,
    edge_attr=None, batch=None, num_graphs=None)`` → (N, irreps_out.dim), or summed per graph
    with ``readout="sum"``. Other keywords go to every :class:`E3nnConv`.
    """

    def __init__(self, irreps_in, hidden, irreps_out, *, layers: int = 3,
                 readout: str | None = None, dtype=None, **conv_options):
        super().__init__()
        if readout not in (None, "sum"):
            raise ValueError(f"readout must be None or 'sum'; got {readout!r}.")
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

    def forward(self, x, pos, edge_index, edge_attr=None, batch=None,
                num_graphs: int | None = None):
        for conv, gate in zip(self.convs[:-1], self.gates):
            x = gate(conv(x, pos, edge_index, edge_attr))
        x = self.convs[-1](x, pos, edge_index, edge_attr)
        if self.readout == "sum":
            if batch is None:
                batch = torch.zeros(len(x), dtype=torch.long, device=x.device)
            x = scatter_sum(x, batch, int(batch.max()) + 1 if num_graphs is None else num_graphs)
        return x


class E3nnDynamics(nn.Module):
    """The standard-kernel N-body model: node input (q_i, v_i) as "1x0e + 1x1o", edge input
    q_i q_j, output a displacement "1x1o" added to the positions. The defaults give 139,640
    parameters (EGNN's N-body model: 134,020); most sit in the radial MLPs, which emit one
    weight per tensor-product path and edge (2,048 in the middle layers) — e3nn's per-edge
    weights are also what makes this arm memory-hungry on dense graphs.
    ``forward(pos (N, 3), vel (N, 3), charges (N,), edge_index)`` → (N, 3), like
    :class:`~kernels.baselines.EGNNDynamics`."""

    def __init__(self, *, hidden="16x0e + 8x1o + 8x1e + 4x2e + 4x2o", layers: int = 4,
                 max_radius: float = 10.0, radial_hidden: int = 32, dtype=None,
                 **conv_options):
        super().__init__()
        self.net = E3nnNet("1x0e + 1x1o", hidden, "1x1o", layers=layers, edge_dim=1,
                           max_radius=max_radius, radial_hidden=radial_hidden, dtype=dtype,
                           **conv_options)

    def forward(self, pos, vel, charges, edge_index):
        j, i = edge_index[0], edge_index[1]
        x = torch.cat([charges.unsqueeze(-1), vel], dim=-1)
        qq = (charges[i] * charges[j]).unsqueeze(-1)
        return pos + self.net(x, pos, edge_index, qq)

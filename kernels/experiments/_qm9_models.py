"""The QM9 models of :mod:`kernels.experiments.qm9`, all with one interface.

Every model here maps a :class:`~groupkit.train.GraphBatch` of molecules (``x`` the (N, 5)
one-hot atom types H, C, N, O, F; ``pos`` (N, 3) in Å; ``edge_index``; ``batch``) to one
prediction per molecule, (B,), in the target's units: the network predicts the normalised
target and :class:`QM9Model` undoes the normalisation (``y_mean``, ``y_std`` from the
training data only, kept as buffers so a checkpoint is self-contained).

* :class:`ImplicitQM9Net` — groupkit's arm (the seed paper's model): implicit-kernel
  :class:`~kernels.PointConv` message passing over O(3) or SO(3), gated nonlinearities,
  residual connections, invariant readout summed per molecule. The kernel MLP sees the
  relative position and, optionally, invariant edge features: ``"bond"`` (a smooth
  indicator that the two atoms are within covalent-bond distance, from their covalent
  radii) and ``"atom"`` (the one-hot types of both atoms) — the paper's "+bond" and
  "+atom" variants, computed from the geometry since QM9's geometries carry no bond list.
* the baselines of :mod:`kernels.baselines` behind the same interface: e3nn's
  tensor-product convolutions (the "standard kernel"), EGNN, and a plain GNN.
"""

from __future__ import annotations

import torch
from torch import nn

from groupkit import O, SO, Scalar, V
from groupkit.nn import EquivariantLinear, GatedNonlinearity, gated

from ..baselines._scatter import mlp, scatter_sum
from ..harmonic import harmonic
from ..pointconv import PointConv
from ..pooling import QuadraticInvariants

__all__ = ["QM9Model", "ImplicitQM9Net", "E3nnQM9Net", "EGNNQM9Net", "GNNQM9Net",
           "edge_features", "EDGE_FEATURES", "COVALENT_RADII"]

N_TYPES = 5  # H, C, N, O, F
_Z = torch.tensor([1.0, 6.0, 7.0, 8.0, 9.0])
#: covalent radii of H, C, N, O, F in Å (Cordero et al. 2008; C sp3)
COVALENT_RADII = torch.tensor([0.31, 0.76, 0.71, 0.66, 0.57])
EDGE_FEATURES = ("none", "bond", "atom", "bond+atom")


def edge_features(kind: str, onehot: torch.Tensor, pos: torch.Tensor,
                  edge_index: torch.Tensor) -> torch.Tensor | None:
    """Invariant edge features (E, k) for ``kind`` in ``EDGE_FEATURES`` (None for "none").

    "bond": σ((1.2·(R_i + R_j) − d_ij) / 0.05), ≈ 1 for a covalent bond, ≈ 0 otherwise
    (R the covalent radii; 1.2 the usual bond-perception tolerance). "atom": the one-hot types
    of the source and of the target (10 columns). Both are invariant under E(3) and follow
    the atoms under permutations.

    >>> oh = torch.eye(5)[[1, 0, 0]]             # C; H at 1.09 Å (a C–H bond); H at 2.5 Å
    >>> pos = torch.tensor([[0.0, 0.0, 0.0], [1.09, 0.0, 0.0], [0.0, 2.5, 0.0]])
    >>> edge_features("bond", oh, pos, torch.tensor([[1, 2], [0, 0]])).squeeze(1).round(decimals=3)
    tensor([0.9800, 0.0000])
    """
    if kind not in EDGE_FEATURES:
        raise ValueError(f"edge features must be one of {EDGE_FEATURES}; got {kind!r}.")
    if kind == "none":
        return None
    j, i = edge_index[0], edge_index[1]
    parts = []
    if "bond" in kind:
        radii = onehot @ COVALENT_RADII.to(onehot)
        d = (pos[i] - pos[j]).norm(dim=-1)
        parts.append(torch.sigmoid((1.2 * (radii[i] + radii[j]) - d) / 0.05)[:, None])
    if "atom" in kind:
        parts += [onehot[j], onehot[i]]
    return torch.cat(parts, dim=-1)


def _n_edge_features(kind: str) -> int:
    return {"none": 0, "bond": 1, "atom": 2 * N_TYPES, "bond+atom": 1 + 2 * N_TYPES}[kind]


class QM9Model(nn.Module):
    """A network ``net(batch) → (B,)`` with the target's mean and std as buffers:
    ``normalised(batch)`` = a · net(batch) + b (what training fits to (y − mean)/std) and
    ``forward(batch)`` → predictions in the target's units. a, b (buffers ``out_scale``,
    ``out_shift``; 1, 0 until :meth:`calibrate`) are fixed at initialisation so that every
    model starts with normalised outputs of mean 0 and std 1 on a training batch: a sum over a
    molecule's atoms of an untrained network's outputs is otherwise far off that scale (e3nn's
    by a factor 17 on QM9), which a short L1 training cannot undo.

    >>> class Zero(nn.Module):
    ...     def forward(self, batch): return torch.zeros(2)
    >>> QM9Model(Zero(), y_mean=-6500.0, y_std=600.0)(None).tolist()
    [-6500.0, -6500.0]
    """

    def __init__(self, net: nn.Module, *, y_mean: float = 0.0, y_std: float = 1.0):
        super().__init__()
        if not y_std > 0:
            raise ValueError(f"y_std must be positive; got {y_std!r}.")
        self.net = net
        self.register_buffer("y_mean", torch.tensor(float(y_mean)))
        self.register_buffer("y_std", torch.tensor(float(y_std)))
        self.register_buffer("out_scale", torch.tensor(1.0))
        self.register_buffer("out_shift", torch.tensor(0.0))

    @torch.no_grad()
    def calibrate(self, batch) -> None:
        """Set a, b so that ``normalised(batch)`` has mean 0 and std 1 (a data-dependent
        initialisation; constants, so invariance is untouched)."""
        was = self.training
        self.eval()
        out = self.net(batch)
        std = float(out.std()) if out.numel() > 1 else 1.0
        std = std if std > 0 else 1.0
        self.out_scale.fill_(1.0 / std)
        self.out_shift.fill_(-float(out.mean()) / std)
        self.train(was)

    def normalised(self, batch) -> torch.Tensor:
        return self.out_scale * self.net(batch) + self.out_shift

    def forward(self, batch) -> torch.Tensor:
        return self.y_mean + self.y_std * self.normalised(batch)


def _num_graphs(batch) -> int:
    return len(batch.ptr) - 1


class ImplicitQM9Net(nn.Module):
    """groupkit's QM9 network (see the module docstring).

    ``group`` "O(3)" or "SO(3)"; the hidden fields are ``scalars``·Scalar ⊕ ``vectors``·V ⊕
    ``tensors``·Y₂ (Y₂ the degree-2 harmonics); ``layers`` residual blocks
    x ← x + gate(PointConv(x)); kernels with envelope ``cutoff`` Å, kernel MLP of
    ``kernel_mult`` (its multiplicity per field type) and ``edge`` features; readout: the
    invariants of each atom's fields (QuadraticInvariants) through an MLP, summed per molecule.

    >>> from kernels.data.graphs import GraphCollate
    >>> net = ImplicitQM9Net(scalars=4, vectors=1, tensors=1, layers=1, kernel_mult=1)
    >>> mol = (torch.randn(4, 3), torch.eye(5)[[1, 0, 0, 3]], torch.zeros(1))
    >>> net(GraphCollate(("radius", 5.0))([mol, mol])).shape     # one value per molecule
    torch.Size([2])
    """

    def __init__(self, *, group: str = "O(3)", scalars: int = 32, vectors: int = 8,
                 tensors: int = 4, layers: int = 4, cutoff: float = 5.0, edge: str = "bond+atom",
                 kernel_mult: int = 8, avg_degree: float = 16.0, readout_hidden: int = 64):
        super().__init__()
        groups = {"O(3)": O, "SO(3)": SO}
        if group not in groups:
            raise ValueError(f"group must be one of {list(groups)}; got {group!r}.")
        if edge not in EDGE_FEATURES:
            raise ValueError(f"edge must be one of {EDGE_FEATURES}; got {edge!r}.")
        G = groups[group](3)
        self.group, self.edge = group, edge
        rep = scalars * Scalar + vectors * V(G) + tensors * harmonic(V(G), 2)
        k_hidden = [2 * kernel_mult * Scalar + kernel_mult * V(G)
                    + kernel_mult * harmonic(V(G), 2)] * 2
        self.embed = EquivariantLinear(N_TYPES * Scalar, rep)
        self.convs = nn.ModuleList(
            PointConv(G, rep, gated(rep), edge_features=_n_edge_features(edge), hidden=k_hidden,
                      cutoff=cutoff, avg_degree=avg_degree) for _ in range(layers))
        self.gates = nn.ModuleList(GatedNonlinearity(rep) for _ in range(layers))
        self.invariants = QuadraticInvariants(rep)
        self.readout = mlp([self.invariants.n_out, readout_hidden, readout_hidden, 1])

    def forward(self, batch) -> torch.Tensor:
        e = edge_features(self.edge, batch.x, batch.pos, batch.edge_index)
        x = self.embed(batch.x)
        for conv, gate in zip(self.convs, self.gates):
            x = x + gate(conv(x, batch.pos, batch.edge_index, e))
        atom = self.readout(self.invariants(x))  # (N, 1)
        return scatter_sum(atom, batch.batch, _num_graphs(batch)).squeeze(-1)


class E3nnQM9Net(nn.Module):
    """The standard-kernel arm: :class:`~kernels.baselines.E3nnNet` (spherical harmonics up
    to l = 2, radial MLP of the distance and the same invariant ``edge`` features), one-hot
    input "5x0e", hidden ``hidden`` irreps, sum readout of a scalar per atom."""

    def __init__(self, *, hidden: str = "32x0e + 8x1o + 4x2e", layers: int = 4,
                 cutoff: float = 5.0, edge: str = "bond+atom", radial_hidden: int = 64,
                 avg_degree: float = 16.0):
        super().__init__()
        from ..baselines import E3nnNet

        if edge not in EDGE_FEATURES:
            raise ValueError(f"edge must be one of {EDGE_FEATURES}; got {edge!r}.")
        self.edge = edge
        self.net = E3nnNet(f"{N_TYPES}x0e", hidden, "1x0e", layers=layers, readout="sum",
                           max_radius=cutoff, edge_dim=_n_edge_features(edge),
                           radial_hidden=radial_hidden, avg_degree=avg_degree)

    def forward(self, batch) -> torch.Tensor:
        e = edge_features(self.edge, batch.x, batch.pos, batch.edge_index)
        return self.net(batch.x, batch.pos, batch.edge_index, e, batch.batch,
                        _num_graphs(batch)).squeeze(-1)


def egnn_input(onehot: torch.Tensor, charge_power: int = 2) -> torch.Tensor:
    """EGNN's atom features from the one-hot types: one_hot[t] · (Z/9)^k, k = 0..charge_power
    (as :meth:`~kernels.data.qm9.Molecules.egnn_features`)."""
    z = onehot @ _Z.to(onehot)
    powers = (z[:, None] / 9.0) ** torch.arange(charge_power + 1, device=onehot.device)
    return (onehot[:, :, None] * powers[:, None, :]).reshape(len(onehot), -1)


class EGNNQM9Net(nn.Module):
    """EGNN's QM9 model (:class:`~kernels.baselines.EGNNRegressor`) on its own 15 atom
    features (charge power 2)."""

    def __init__(self, *, hidden: int = 128, layers: int = 7):
        super().__init__()
        from ..baselines import EGNNRegressor

        self.net = EGNNRegressor(3 * N_TYPES, hidden=hidden, layers=layers)

    def forward(self, batch) -> torch.Tensor:
        return self.net(egnn_input(batch.x), batch.pos, batch.edge_index, batch.batch,
                        _num_graphs(batch))


class GNNQM9Net(nn.Module):
    """A plain (not equivariant) GNN: node input the one-hot types and the raw coordinates,
    edge input the relative position and distance; sum readout."""

    def __init__(self, *, hidden: int = 128, layers: int = 4):
        super().__init__()
        from ..baselines import GNN

        self.net = GNN(N_TYPES + 3, 1, hidden=hidden, layers=layers, edge_dim=4, readout="sum")

    def forward(self, batch) -> torch.Tensor:
        j, i = batch.edge_index[0], batch.edge_index[1]
        d = batch.pos[i] - batch.pos[j]
        e = torch.cat([d, d.norm(dim=-1, keepdim=True)], dim=-1)
        return self.net(torch.cat([batch.x, batch.pos], dim=-1), batch.edge_index, e,
                        batch.batch, _num_graphs(batch)).squeeze(-1)

"""Permutation-equivariant layers applied as structured operations, never as a weight matrix.

For symmetric groups acting on tensor powers (sets V, graphs V⊗V, hypergraphs V⊗³, and sums and
products of them) every basis map is a set partition (:mod:`groupkit.partition_basis`). The
layer rewrites W = Σ_π θ_π O_π (orbit maps, the solver's basis) in the *diagram* basis,
W = Σ_σ d_σ D_σ with d = M θ (Möbius inversion, a small (dim, dim) matrix), because each diagram
map is one einsum: take the diagonals its input blocks ask for, sum the input-only blocks, and
broadcast into (the diagonals of) the output. For V⊗V → V⊗V these are the 15 operations of an
invariant graph network (Maron et al., ICLR 2019): O(n²) time and memory per sample, no build.

Parameters are the solver's (``weight`` (dim,) in the solver's column order, ``bias``), so a
:class:`PermutationLinear` and a dense :class:`~groupkit.nn.EquivariantLinear` with the same
``state_dict`` compute the same map. ``EquivariantLinear(rep_in, rep_out)`` returns a
:class:`PermutationLinear` by itself when the reps qualify and the structured path is cheaper.

>>> import torch
>>> from groupkit import S, V
>>> from groupkit.nn import EquivariantLinear
>>> layer = EquivariantLinear(V(S(1000)) ** 2, V(S(1000)) ** 2)
>>> type(layer).__name__, layer.weight.shape, layer(torch.randn(2, 1000 ** 2)).shape
('PermutationLinear', torch.Size([15]), torch.Size([2, 1000000]))
"""

from __future__ import annotations

import math
import string

import numpy as np
import torch
from torch import nn

from ..partition_basis import PartitionBasis, PartitionPairBasis, partition_pair
from ..reps import Rep, Scalar
from .._keys import text_digest
from ..solver import solve
from ._assemble import AssemblyCache
from ._fingerprint import attach_fingerprint
from ._layout import summand_types, type_major_permutation
from .linear import EquivariantLinear, check_input

__all__ = ["PartitionOp", "PermutationLinear", "structured_applies"]

# Below this many weight entries (out · in) a dense matmul is as cheap as the structured ops.
_STRUCTURED_ABOVE = 1 << 14
_LETTERS = string.ascii_letters


def structured_applies(rep_in: Rep, rep_out: Rep) -> bool:
    """True when every pair of summands of rep_in and rep_out has a partition basis (tensor
    powers of S(n)/A(n) representations, their products, scalars)."""
    try:
        ins = [t.rep for t in summand_types(rep_in)]
        outs = [t.rep for t in summand_types(rep_out)]
    except Exception:  # noqa: BLE001 — not reps we can read: let the dense path report it
        return False
    if not any(r != Scalar for r in ins + outs):
        return False
    return all(partition_pair(r, s) is not None or (r == Scalar and s == Scalar)
               for r in ins for s in outs)


def structured_is_cheaper(rep_in: Rep, rep_out: Rep) -> bool:
    return rep_in.size * rep_out.size >= _STRUCTURED_ABOVE and structured_applies(rep_in,
                                                                                  rep_out)


class _Diagram:
    """One diagram map D_σ between an input type and an output type, as einsum plans."""

    def __init__(self, blocks, k_out: int, k_in: int, degree_of_block):
        out_blocks = sorted((b for b in blocks if any(p < k_out for p in b)),
                            key=lambda b: min(b))
        self.out_pattern = tuple(next(i for i, b in enumerate(out_blocks) if p in b)
                                 for p in range(k_out))
        self.out_degrees = tuple(degree_of_block(b) for b in out_blocks)
        letter = {}
        for i, b in enumerate(blocks):
            for p in b:
                letter[p] = _LETTERS[i]
        through = [b for b in out_blocks if any(p >= k_out for p in b)]
        ins = "".join(letter[p] for p in range(k_out, k_out + k_in))
        outs = "".join(letter[b[0]] for b in through)
        self.spec = f"...{ins}->...{outs}"
        self.is_identity = ins == outs
        self.plan = _reduction_plan(ins, outs)
        # The reduced tensor has an axis per through block; broadcast blocks get size-1 axes.
        self.view = tuple(degree_of_block(b) if any(p >= k_out for p in b) else 1
                          for b in out_blocks)


class PartitionOp(nn.Module):
    """Applies the map of an :class:`~groupkit.EquivariantBasis` whose blocks are all partition
    bases: ``forward(x, θ)`` with x (B, rep_in.size), θ (dim,) → (B, rep_out.size), equal to
    x @ basis.weight(θ).T without forming the weight."""

    def __init__(self, basis):
        super().__init__()
        self.n_in, self.n_out = basis.rep_in.size, basis.rep_out.size
        self.dim = basis.dim
        self.in_types = summand_types(basis.rep_in)
        self.out_types = summand_types(basis.rep_out)
        in_of = {t.rep.key: i for i, t in enumerate(self.in_types)}
        out_of = {t.rep.key: j for j, t in enumerate(self.out_types)}
        self._blocks = []
        for n, blk in enumerate(basis.blocks):
            pair = blk.pair
            if isinstance(pair, PartitionPairBasis):
                pb = pair.partition
            elif blk.rep_in == Scalar and blk.rep_out == Scalar and pair.r == 1:
                pb = PartitionBasis([], [])  # the scalar-to-scalar block: one constant map
            else:
                raise ValueError(f"PartitionOp needs partition bases; Hom({blk.rep_in}, "
                                 f"{blk.rep_out}) was solved by {pair.method!r}.")
            scale = 1.0 / np.sqrt([float(pb.orbit_size(c)) for c in range(pb.dim)])
            M = pb.diagram_transform() * scale[None, :]  # θ (orbit, unit norm) → d (diagram)
            self.register_buffer(f"M{n}", torch.as_tensor(M), persistent=False)
            degrees = [pb.degrees[g] for g in pb.group_of]
            diagrams = [_Diagram(pb.blocks(c), pb.k_out, pb.k_in,
                                 lambda b, d=degrees: d[b[0]]) for c in range(pb.dim)]
            b, a = blk.multiplicity
            # Diagrams landing on one output shape are mixed in one product: their reduced
            # inputs are stacked (cheap: vectors and scalars), except full-size ones.
            groups: dict[tuple, list[int]] = {}
            for c, dg in enumerate(diagrams):
                groups.setdefault((dg.out_pattern, dg.view), []).append(c)
            plan = []
            for (pattern, view), cs in groups.items():
                small = math.prod(view) < blk.rep_out.size  # smaller than the output
                plan.append((pattern, view, cs, len(cs) > 1 and small))
            self._blocks.append((n, in_of[blk.rep_in.key], out_of[blk.rep_out.key],
                                 blk.col_start, b, a, pb.dim, diagrams, plan))
        # Embedding indices for output patterns with merged positions (diagonals).
        self._embed: dict[tuple, str] = {}
        for _, _, j, _, _, _, _, diagrams, _ in self._blocks:
            t = self.out_types[j]
            for dg in diagrams:
                key = (j, dg.out_pattern)
                if key in self._embed or len(set(dg.out_pattern)) == len(dg.out_pattern):
                    continue
                name = f"embed{len(self._embed)}"
                self.register_buffer(name, torch.as_tensor(
                    _diagonal_index(dg.out_pattern, dg.out_degrees, _sizes(t.rep))),
                    persistent=False)
                self._embed[key] = name
        perm_in, perm_out = _type_major(self.in_types), _type_major(self.out_types)
        self._in_perm = perm_in is not None
        self._out_perm = perm_out is not None
        if perm_in is not None:
            self.register_buffer("perm_in", torch.as_tensor(perm_in), persistent=False)
        if perm_out is not None:
            self.register_buffer("inv_out", torch.as_tensor(np.argsort(perm_out)),
                                 persistent=False)

    def forward(self, x: torch.Tensor, theta: torch.Tensor, extra=()) -> torch.Tensor:
        """x (B, rep_in.size), θ (dim,) → (B, rep_out.size). ``extra``: (op, x′, θ′) triples of
        other PartitionOps onto the same rep_out (the bias: Scalar → rep_out on x′ = 1) whose
        terms join before the output is formed, so a bias costs no extra full-size pass."""
        acc: dict[tuple, dict[tuple, torch.Tensor]] = {}
        self._accumulate(acc, x, theta)
        for op, x2, th2 in extra:
            op._accumulate(acc, x2, th2)
        return self._emit(acc, x.shape[0], x, theta)

    def _accumulate(self, acc, x: torch.Tensor, theta: torch.Tensor) -> None:
        B = x.shape[0]
        if self._in_perm:
            x = x.index_select(1, self.perm_in)
        xs, start = [], 0
        for t in self.in_types:
            width = t.copies * t.size
            xs.append(x[:, start:start + width].reshape(B, t.copies, *_sizes(t.rep)))
            start += width
        # Terms are summed first among equal shapes (cheap: most are vectors or scalars), then
        # broadcast once per output pattern — as a hand-written IGN layer does.
        for n, i, j, col, b, a, r, diagrams, plan in self._blocks:
            th = theta[col:col + b * a * r].reshape(b * a, r)
            d = (th @ getattr(self, f"M{n}").to(theta.dtype).T).reshape(b, a, r)
            reduced: dict[str, torch.Tensor] = {}
            for pattern, view, cs, stacked in plan:
                # channel mixing on the smaller (reduced) side: (B, a, …) → (B, b, …)
                if stacked:
                    S_ = torch.stack([_cached(reduced, xs[i], diagrams[c]) for c in cs], dim=-1)
                    if a == 1 and b == 1:
                        term = S_ @ d[0, 0, cs]
                    else:
                        term = torch.einsum("Ba...m,bam->Bb...", S_, d[:, :, cs])
                else:
                    term = None
                    for c in cs:
                        R = _cached(reduced, xs[i], diagrams[c])
                        t_ = R * d[0, 0, c] if a == 1 and b == 1 else \
                            torch.einsum("ba,Ba...->Bb...", d[:, :, c], R)
                        term = t_ if term is None else term + t_
                term = term.reshape(B, b, *view)
                group = acc.setdefault((j, pattern), {})
                group[view] = term if view not in group else group[view] + term

    def _emit(self, acc, B: int, x: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        outs = []
        for j, t in enumerate(self.out_types):
            sizes = _sizes(t.rep)
            y = None
            patterns = sorted((p for (jj, p) in acc if jj == j),
                              key=lambda p: -len(set(p)))  # the no-diagonal pattern first
            for pattern in patterns:
                terms = sorted(acc[(j, pattern)].values(), key=lambda v: -v.numel())
                val = terms[0]
                for v in terms[1:]:
                    val = val + v
                if len(set(pattern)) == len(pattern):  # no diagonal: plain broadcast
                    y = val.expand(B, t.copies, *sizes).reshape(B, t.copies, t.size)
                else:  # written onto a diagonal of the output
                    deg = [sizes[pattern.index(q)] for q in range(max(pattern) + 1)]
                    flat = val.expand(B, t.copies, *deg).reshape(B, t.copies, -1)
                    base = y if y is not None else flat.new_zeros(B, t.copies, t.size)
                    y = base.index_add(2, getattr(self, self._embed[(j, pattern)]), flat)
            if y is None:
                y = x.new_zeros(B, t.copies, t.size, dtype=theta.dtype)
            outs.append(y.reshape(B, t.copies * t.size))
        y = outs[0] if len(outs) == 1 else torch.cat(outs, dim=1)
        if self._out_perm:
            y = y.index_select(1, self.inv_out)
        return y


def _cached(reduced: dict, x: torch.Tensor, dg: _Diagram) -> torch.Tensor:
    """The reduction of x that diagram ``dg`` needs, computed once per forward."""
    R = reduced.get(dg.spec)
    if R is None:
        R = reduced[dg.spec] = _reduce(x, dg.plan)
    return R


def _reduction_plan(ins: str, outs: str) -> tuple:
    """The einsum ``...{ins}->...{outs}`` as view operations: the diagonals (pairs of axes
    with one letter), one sum over the letters not kept, and a permutation."""
    axes = list(ins)
    diagonals = []
    while len(set(axes)) < len(axes):
        p1 = next(i for i, c in enumerate(axes) if axes.index(c) != i)
        p0 = axes.index(axes[p1])
        diagonals.append((p0, p1))
        letter = axes[p0]
        axes = [c for i, c in enumerate(axes) if i not in (p0, p1)] + [letter]
    summed = tuple(i for i, c in enumerate(axes) if c not in outs)
    kept = [c for c in axes if c in outs]
    perm = tuple(kept.index(c) for c in outs)
    return tuple(diagonals), summed, None if perm == tuple(range(len(perm))) else perm


def _reduce(x: torch.Tensor, plan) -> torch.Tensor:
    """Apply a reduction plan to x (B, a, n, …, n): all but the first two axes are indices."""
    diagonals, summed, perm = plan
    for p0, p1 in diagonals:
        x = x.diagonal(dim1=2 + p0, dim2=2 + p1)
    if summed:
        x = x.sum(dim=tuple(2 + i for i in summed))
    if perm is not None:
        x = x.permute(0, 1, *(2 + i for i in perm))
    return x


def _type_major(types) -> np.ndarray | None:
    """As :func:`type_major_permutation`, but decides "already type-major" from the offsets
    alone (O(copies), not O(size): a V⊗V of S(10⁴) has 10⁸ coordinates)."""
    pos = 0
    for t in types:
        if not np.array_equal(t.offsets, pos + t.size * np.arange(t.copies)):
            return type_major_permutation(types)
        pos += t.copies * t.size
    return None


def _sizes(rep: Rep) -> tuple[int, ...]:
    return tuple(f.size for f in rep.factors()) if rep != Scalar else ()


def _diagonal_index(pattern, block_degrees, sizes) -> np.ndarray:
    """Flat output indices of the entries whose positions repeat as ``pattern`` says, in the
    row-major order of the (one axis per block) compact tensor."""
    grids = np.indices(block_degrees).reshape(len(block_degrees), -1)
    strides = np.cumprod((1,) + tuple(sizes[::-1]))[:-1][::-1]
    return sum(grids[b] * s for b, s in zip(pattern, strides)).astype(np.int64)


class PermutationLinear(EquivariantLinear):
    """:class:`~groupkit.nn.EquivariantLinear` for symmetric-group tensor representations, applied
    as structured operations (see the module docstring). Same constructor, parameters, θ order
    and outputs as the dense layer; no (out, in) weight is ever formed, so
    ``PermutationLinear(V(S(n))**2, V(S(n))**2)`` builds instantly for any n and costs O(n²)
    per sample.

    >>> import torch
    >>> from groupkit import S, V
    >>> layer = PermutationLinear(V(S(5)) ** 2, 2 * V(S(5)) + V(S(5)) ** 2)
    >>> layer.weight.shape, layer(torch.zeros(3, 25)).shape
    (torch.Size([25]), torch.Size([3, 35]))
    """

    def __init__(self, rep_in: Rep, rep_out: Rep, *, bias: bool = True, method: str = "auto",
                 dtype: torch.dtype | None = None, device=None):
        nn.Module.__init__(self)
        self.rep_in, self.rep_out = rep_in, rep_out
        self._size_in = rep_in.size
        dtype = dtype or torch.get_default_dtype()
        basis = solve(rep_in, rep_out, method=method)
        self.op = PartitionOp(basis).to(device)
        self.assembler = _Dims(basis.dim, False)
        factory = {"dtype": dtype, "device": device}
        self.weight = nn.Parameter(torch.empty(basis.dim, **factory))
        self.bias_op = None
        if bias:
            bbasis = solve(Scalar, rep_out, method=method)
            self.bias_op = PartitionOp(bbasis).to(device)
            self.bias = nn.Parameter(torch.zeros(bbasis.dim, **factory))
        else:
            self.register_parameter("bias", None)
        self._cache = AssemblyCache()  # unused here, but EquivariantLinear._apply clears it
        self.reset_parameters()
        # The maps are fixed by the partitions and by n: name them, so a state dict saved for
        # another n (same 15 coefficients, other maps) is refused on load.
        self.basis_digest = text_digest("PartitionLinear", "v1", rep_in.key, rep_out.key,
                                        str(bias))
        attach_fingerprint(self)

    def weight_matrix(self) -> torch.Tensor:
        """The current W (rep_out.size, rep_in.size), formed by applying the layer to the
        identity: for small reps and tests only."""
        if self.rep_in.size * self.rep_out.size > 1 << 26:
            raise MemoryError(f"W would have {self.rep_in.size * self.rep_out.size:.3g} entries; "
                              "the structured layer never needs it.")
        eye = torch.eye(self.rep_in.size, dtype=self.weight.dtype, device=self.weight.device)
        return self.op(eye, self.weight).T

    def bias_vector(self) -> torch.Tensor | None:
        if self.bias is None:
            return None
        one = torch.ones(1, 1, dtype=self.bias.dtype, device=self.bias.device)
        return self.bias_op(one, self.bias).reshape(-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input(x, self.rep_in, self, ref=self.weight, size=self._size_in)
        lead = x.shape[:-1]
        x = x.reshape(-1, self._size_in)
        extra = () if self.bias is None else ((self.bias_op, x.new_ones(1, 1), self.bias),)
        y = self.op(x, self.weight, extra)
        return y.reshape(*lead, self.rep_out.size)

    def extra_repr(self) -> str:
        return f"{self.rep_in} → {self.rep_out}, dim={self.weight.numel()}, structured"


class _Dims:
    """What :meth:`EquivariantLinear.reset_parameters` reads from an assembler."""

    def __init__(self, dim: int, is_complex: bool):
        self.dim, self.is_complex = dim, is_complex

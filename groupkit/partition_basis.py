"""Symbolic orbit bases for symmetric groups: each equivariant map known by its set partition.

For S(n) acting on V^⊗p (outputs) and V^⊗q (inputs), the equivariant maps V^⊗q → V^⊗p have one
basis element per set partition π of the p + q positions with at most n blocks (see
:mod:`groupkit._partitions`): the *orbit map* O_π, whose matrix entry W[i, j] is 1 when the
index tuple (i, j) has exactly the equality pattern π and 0 otherwise. A
:class:`PartitionBasis` keeps only the partitions — B(4) = 15 of them for V⊗V → V⊗V, whatever
n — prints them readably, converts to the solver's sparse or dense columns on request, and
feeds the structured layers of :mod:`groupkit.nn.permutation`, which apply each map as an
einsum (diagonals, sums, broadcasts, transposes) without forming W.

Products of symmetric groups (S(n) × S(m) on V ⊗ V′, …) and A(n) where its orbits are those of
S(n) (n ≥ k + 2 for k positions) are covered the same way: one partition per factor.

>>> from groupkit import S, V
>>> from groupkit.partition_basis import PartitionBasis
>>> B = PartitionBasis.of(V(S(1000)) ** 2, V(S(1000)) ** 2)
>>> B.dim, B.shape
(15, (1000000000000, 15))
>>> print(B.describe(7))
O_7   {1 1'} {2} {2'}: Y[a,b] = Σ_{c} X[a,c] · [a, b, c distinct]
"""

from __future__ import annotations

import math
import string

import numpy as np
import scipy.sparse

from . import _partitions as P
from . import _permgroups
from .basis import DENSE_BYTES_LIMIT, PairBasis
from .groups import Group
from .reps import Rep, Scalar, Vector, _Dual, _Lifted, _Tensor, dual, tensor

__all__ = ["PartitionBasis", "PartitionPairBasis", "position_groups"]

# Materialising a basis as a sparse matrix enumerates every index tuple; refuse beyond this.
MATERIALISE_LIMIT = 50_000_000


def _is_symmetric(G: Group) -> bool:
    from .catalogue import A, S

    return isinstance(G, (S, A))


def position_groups(rep: Rep) -> list[Group] | None:
    """The symmetric (or alternating) group acting on each tensor position of ``rep``, when
    ``rep`` is a tensor product of standard representations (or their duals, which are equal
    for permutation matrices) of S(n)/A(n) factors; [] for Scalar; None otherwise.

    >>> from groupkit import S, V, SO
    >>> position_groups(V(S(3)) ** 2), position_groups(V(SO(3)))
    ([S(3), S(3)], None)
    """
    if rep == Scalar:
        return []
    if isinstance(rep, _Tensor):
        out: list[Group] = []
        for f in rep.factors():
            g = position_groups(f)
            if g is None:
                return None
            out.extend(g)
        return out
    if isinstance(rep, (_Dual, _Lifted)):
        return position_groups(rep.base)
    if type(rep) is Vector and _is_symmetric(rep.group):
        return [rep.group]
    return None


class PartitionBasis:
    """The orbit basis of Hom(V^⊗q, V^⊗p) for symmetric groups, one set partition per map.

    ``out_groups``/``in_groups``: the group acting on each output/input tensor position
    (S(n) or A(n) instances; positions of different groups are relabelled independently).
    Columns are numbered by each orbit's smallest index tuple (out positions first, row-major),
    exactly as the enumeration solver numbers them. ``labels[c]`` is that tuple: the
    restricted growth string of column c's partition, per group.
    """

    def __init__(self, out_groups, in_groups):
        positions = list(out_groups) + list(in_groups)
        self.k_out, self.k_in = len(out_groups), len(in_groups)
        keys: list[str] = []
        groups: list[Group] = []
        for g in positions:
            if g.key not in keys:
                keys.append(g.key)
                groups.append(g)
        self.groups = tuple(groups)
        self.group_of = np.array([keys.index(g.key) for g in positions], dtype=np.int64)
        self.degrees = tuple(int(g.d) for g in groups)
        from .catalogue import A

        per_group = []
        for gi, g in enumerate(groups):
            k_g = int(np.sum(self.group_of == gi))
            if isinstance(g, A) and g.d < k_g + 2:
                raise ValueError(
                    f"A({g.d}) on {k_g} positions has orbits that split from those of "
                    f"S({g.d}); the partition basis needs n ≥ k + 2. Use the orbit solver.")
            per_group.append(P.set_partitions(k_g, g.d))
        self._pos_of_group = [np.flatnonzero(self.group_of == gi) for gi in range(len(groups))]
        combos = _product([range(len(p)) for p in per_group])
        k = len(positions)
        labels = np.zeros((len(combos), k), dtype=np.int64)
        for c, combo in enumerate(combos):
            for gi, idx in enumerate(combo):
                labels[c, self._pos_of_group[gi]] = per_group[gi][idx]
        order = np.lexsort(labels.T[::-1]) if k else np.arange(len(combos))
        self.labels = labels[order]
        self.labels.setflags(write=False)
        self._column_of = {tuple(row): c for c, row in enumerate(self.labels.tolist())}

    @classmethod
    def of(cls, rep_in: Rep, rep_out: Rep) -> "PartitionBasis":
        """The basis of Hom(rep_in, rep_out) for single summands built from S(n)/A(n) factors."""
        gi, go = position_groups(rep_in), position_groups(rep_out)
        if gi is None or go is None:
            raise ValueError(f"Hom({rep_in}, {rep_out}) is not a map between tensor powers of "
                             "symmetric-group representations; use groupkit.solve.")
        return cls(go, gi)

    # -- sizes ---------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.labels.shape[0]

    @property
    def k(self) -> int:
        return self.k_out + self.k_in

    @property
    def out_size(self) -> int:
        return math.prod(self.degrees[g] for g in self.group_of[:self.k_out])

    @property
    def in_size(self) -> int:
        return math.prod(self.degrees[g] for g in self.group_of[self.k_out:])

    @property
    def shape(self) -> tuple[int, int]:
        """(out_size · in_size, dim), as the solver's basis matrices."""
        return (self.out_size * self.in_size, self.dim)

    def blocks(self, c: int) -> list[tuple[int, ...]]:
        """The blocks of column c's partition, as tuples of positions (outputs 0..p−1, inputs
        p..p+q−1), ordered by (group, block number)."""
        row = self.labels[c]
        out = []
        for pos in self._pos_of_group:
            for b in range(P.n_blocks(tuple(row[pos].tolist()))):
                out.append(tuple(int(p) for p in pos[row[pos] == b]))
        return out

    def orbit_size(self, c: int) -> int:
        """Number of index tuples in column c's orbit (its number of non-zero entries)."""
        row = self.labels[c]
        return math.prod(P.falling_factorial(n, P.n_blocks(tuple(row[pos].tolist())))
                         for n, pos in zip(self.degrees, self._pos_of_group))

    # -- printing ------------------------------------------------------------------------------
    def diagram(self, c: int) -> str:
        """Column c as a partition diagram: outputs 1..p, inputs 1′..q′; ``{1 1′} {2} {2′}``."""
        def name(p):
            return str(p + 1) if p < self.k_out else f"{p - self.k_out + 1}'"
        return " ".join("{" + " ".join(name(p) for p in blk) + "}" for blk in self.blocks(c))

    def formula(self, c: int) -> str:
        """Column c as the map it applies, Y = O_c X, in index notation."""
        blocks = self.blocks(c)
        letters = (string.ascii_lowercase.replace("x", "").replace("y", "") * 4)[:len(blocks)]
        of = {}
        for letter, blk in zip(letters, blocks):
            for p in blk:
                of[p] = letter
        out = [of[p] for p in range(self.k_out)]
        inn = [of[p] for p in range(self.k_out, self.k)]
        summed = [letter for letter, blk in zip(letters, blocks)
                  if all(p >= self.k_out for p in blk)]
        lhs = f"Y[{','.join(out)}]" if out else "y"
        rhs = f"X[{','.join(inn)}]" if inn else "x"
        if summed:
            rhs = f"Σ_{{{','.join(summed)}}} {rhs}"
        conds = []
        for gi in range(len(self.groups)):
            ls = [letter for letter, blk in zip(letters, blocks) if self.group_of[blk[0]] == gi]
            if len(ls) > 1:
                conds.append(f"[{', '.join(ls)} distinct]")
        return f"{lhs} = {rhs}" + (" · " + " ".join(conds) if conds else "")

    def describe(self, c: int | None = None) -> str:
        """One line per column (or column c): its diagram and formula. The maps are the orbit
        maps — index patterns *exactly* as shown, distinct letters distinct — which is what
        makes them linearly independent with disjoint supports."""
        cols = range(self.dim) if c is None else [c]
        width = len(str(self.dim - 1))
        lines = [f"O_{j:<{width}}  {self.diagram(j)}: {self.formula(j)}" for j in cols]
        return "\n".join(lines)

    def __repr__(self) -> str:
        gs = ", ".join(map(repr, self.groups)) or "trivial"
        return (f"PartitionBasis({gs}: {self.k_in} input and {self.k_out} output positions, "
                f"dim={self.dim})")

    # -- matrices on request ---------------------------------------------------------------------
    def sparse(self, normalized: bool = True) -> scipy.sparse.csc_matrix:
        """The basis as a sparse (out_size · in_size, dim) matrix: column c is the indicator of
        its orbit (``normalized``: scaled to unit norm). Enumerates every index tuple, so it is
        refused beyond 5·10⁷ tuples."""
        N = self.shape[0]
        if N > MATERIALISE_LIMIT:
            raise MemoryError(
                f"materialising {self} enumerates {N:.3g} index tuples; use the basis "
                "symbolically (groupkit.nn layers apply it as structured operations).")
        sizes = [self.degrees[g] for g in self.group_of]
        k = len(sizes)
        if k == 0:
            return scipy.sparse.csc_matrix(np.ones((1, self.dim)))
        T = np.indices(sizes).reshape(k, -1).T
        lab = np.zeros_like(T)
        for pos in self._pos_of_group:
            lab[:, pos] = P.rgs_of_tuples(T[:, pos])
        weights = k ** np.arange(k - 1, -1, -1, dtype=np.int64)
        codes = lab @ weights
        col = np.searchsorted(self.labels @ weights, codes)
        vals = np.ones(N)
        if normalized:
            norms = np.sqrt(np.array([float(self.orbit_size(c)) for c in range(self.dim)]))
            vals = 1.0 / norms[col]
        return scipy.sparse.csc_matrix((vals, (np.arange(N), col)), shape=(N, self.dim))

    def dense(self, normalized: bool = True) -> np.ndarray:
        nbytes = self.shape[0] * self.shape[1] * 8
        if nbytes > DENSE_BYTES_LIMIT:
            raise MemoryError(f"the dense basis would take {nbytes / 2**30:.1f} GiB; use "
                              ".sparse() or the basis symbolically.")
        return self.sparse(normalized).toarray()

    def diagram_transform(self) -> np.ndarray:
        """M (dim, dim) with Σ_π c_π O_π = Σ_σ (M c)_σ D_σ, where the *diagram map* D_σ asks only
        for the equalities of σ (entries may coincide across blocks): D_σ = Σ_{π ≤ σ} O_π,
        inverted by Möbius on the partition lattice, μ(π, σ) = Π (−1)^{m−1} (m−1)!. The
        diagram maps are the einsum-style operations the structured layers apply."""
        r = self.dim
        M = np.zeros((r, r))
        for c in range(r):
            row = self.labels[c]
            per = []
            for pos in self._pos_of_group:
                per.append(list(P.coarsenings(tuple(row[pos].tolist()))))
            for choice in _product([range(len(x)) for x in per]):
                sigma = np.zeros(self.k, dtype=np.int64)
                mu = 1
                for gi, j in enumerate(choice):
                    s, m = per[gi][j]
                    sigma[self._pos_of_group[gi]] = s
                    mu *= m
                M[self._column_of[tuple(sigma.tolist())], c] += mu
        return M


def _product(ranges):
    out = [()]
    for rg in ranges:
        out = [t + (i,) for t in out for i in rg]
    return out


class _LazyPairBasis(PairBasis):
    """A :class:`~groupkit.basis.PairBasis` whose matrices ``Q`` (normalised columns) and
    ``exact`` (integer columns) are built by ``_mat`` only when asked for."""

    def _mat(self, normalized: bool):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @property
    def is_complex(self) -> bool:
        return False  # permutation orbits: real, and known without building the matrices

    @property
    def Q(self):  # noqa: N802 (the dataclass field's name)
        return self._mat(True)

    @property
    def exact(self):
        return self._mat(False)


class PartitionPairBasis(_LazyPairBasis):
    """A :class:`~groupkit.basis.PairBasis` whose matrices are built from a
    :class:`PartitionBasis` only when asked for (``Q``, ``exact``); ``r`` and ``partition``
    never touch them."""

    def __init__(self, partition: PartitionBasis):
        object.__setattr__(self, "partition", partition)
        object.__setattr__(self, "method", "partition")
        object.__setattr__(self, "gap", float("inf"))
        object.__setattr__(self, "_mats", {})

    def _mat(self, normalized: bool):
        if normalized not in self._mats:
            m = self.partition.sparse(normalized)
            self._mats[normalized] = m if normalized else m.astype(np.int8)
        return self._mats[normalized]

    @property
    def r(self) -> int:
        return self.partition.dim

    def __repr__(self) -> str:
        return f"PartitionPairBasis({self.partition!r})"


def partition_pair(R: Rep, S: Rep) -> PartitionPairBasis | None:
    """The solver's hook: Hom(R, S) as a :class:`PartitionPairBasis` when both summands are
    tensor powers of S(n)/A(n) representations (A(n) only where its orbits are S(n)'s), else
    None (the orbit enumeration or numerical solvers take over)."""
    go, gi = position_groups(S), position_groups(R)
    if go is None or gi is None or not (go or gi):
        return None
    from .catalogue import A

    positions = go + gi
    for g in positions:
        if isinstance(g, A) and g.d < sum(h.key == g.key for h in positions) + 2:
            return None
    return PartitionPairBasis(PartitionBasis(go, gi))


# Enumerating orbits touches every index tuple; beyond this many, the stabiliser tree of
# groupkit._permgroups is cheaper (it costs ~0.1–0.5 s whatever the size).
ENUMERATE_BELOW = 2_000_000
TREE_MAX_ORBITS = 5_000  # the tree walks one Python path per orbit: for many orbits, enumerate


class OrbitPairBasis(_LazyPairBasis):
    """A :class:`~groupkit.basis.PairBasis` for a general permutation group, known by its orbit
    representatives (``orbits``: each orbit's smallest index tuple and its size, found by
    :func:`groupkit._permgroups.tuple_orbits` without the tuples); the matrices are enumerated
    only when asked for (then exactly the enumeration solver's)."""

    def __init__(self, U: Rep, orbits):
        object.__setattr__(self, "U", U)
        object.__setattr__(self, "orbits", orbits)
        object.__setattr__(self, "method", "orbit-tree")
        object.__setattr__(self, "gap", float("inf"))
        object.__setattr__(self, "_mats", {})

    def _mat(self, normalized: bool):
        if normalized not in self._mats:
            from . import _orbits
            from ._constraint import Constraint

            if self.U.size > MATERIALISE_LIMIT:
                raise MemoryError(
                    f"materialising the orbit basis of {self.U} enumerates {self.U.size:.3g} "
                    "index tuples; use the orbit representatives (.orbits) instead.")
            E = _orbits.orbit_basis(Constraint.of(self.U))
            self._mats[normalized] = _orbits.normalized(E) if normalized else E
        return self._mats[normalized]

    @property
    def r(self) -> int:
        return self.orbits.count

    def __repr__(self) -> str:
        return f"OrbitPairBasis({self.U}, dim={self.r})"


def orbit_tree_pair(R: Rep, S: Rep) -> OrbitPairBasis | None:
    """The solver's hook for permutation groups that are not symmetric groups: orbits from the
    stabiliser tree when enumerating the index tuples would cost more (else None)."""
    U = tensor(S, dual(R))
    if U.size < ENUMERATE_BELOW or U == Scalar:
        return None
    found = _permgroups.tuple_blocks(U)
    if found is None:
        return None
    perms, blocks = found
    try:
        orbits = _permgroups.tuple_orbits(perms, U.group.d, blocks, max_orbits=TREE_MAX_ORBITS)
    except _permgroups.TooManyOrbits:
        return None
    return OrbitPairBasis(U, orbits)

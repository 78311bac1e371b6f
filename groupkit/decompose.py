"""Irreducible decomposition of a representation, from its commutant.

Everything comes from one solve: the commutant End_G(V) (all equivariant maps V → V). Its
elements commute with ρ(g), so every polynomial in one of them does too, and the (generalised)
eigenspaces of a random commutant element x are G-invariant subspaces with G-invariant
complements. Splitting V along them, and each piece again along random elements of *its*
commutant, ends in pieces whose commutant is local (no two eigenvalue classes): indecomposable
summands, unique up to isomorphism (Krull–Schmidt). Then:

* a piece is irreducible when its commutant D is a division algebra (dim 1, 2 or 4 over R: real,
  complex or quaternionic type) *and* the algebra spanned by ρ(G) on it is all of End_D(W)
  (Burnside), checked by closing the span of products of the generators. Otherwise the
  representation is not completely reducible (a Borel or Heisenberg group) and the pieces returned
  are its indecomposable blocks, said so by ``completely_reducible == False``;
* two pieces are isomorphic when Hom_G(W_j, W_k) holds an invertible map φ; the copy W_k is then
  re-based by φ, so that all copies of one irrep carry *identical* matrices and
  Q⁻¹ ρ(g) Q = ⊕_i I_{m_i} ⊗ ρ_i(g).

When ρ is orthogonal (unitary) the commutant is closed under transposition, so random *symmetric*
elements are used: their eigenspaces are orthogonal and Q comes out orthogonal (unitary).

With ``exact=True`` the same splitting runs in rational arithmetic on the exact commutant basis
(the primary decomposition of rational commutant elements over Q); see
:mod:`groupkit._exact_decompose`.

>>> from groupkit import SO, V, Sym, decompose
>>> decompose(V(SO(3)) ** 2)
V⊗V ≅ 1 ⊕ 3 ⊕ 5
>>> decompose(Sym(V(SO(3)), 3)).dims
(3, 7)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ._elements import preserves_standard_form
from ._keys import array_digest, text_digest
from .reps import Rep, RepError, _check_group_element

__all__ = ["decompose", "Decomposition", "Irrep", "commutant", "DecompositionError",
           "NotCompletelyReducibleWarning"]

_TYPES = {1: "real", 2: "complex", 4: "quaternionic"}


class DecompositionError(ValueError):
    """A representation could not be decomposed as asked (e.g. not exactly over Q).

    >>> from groupkit import Z, V, decompose
    >>> try:
    ...     decompose(V(Z(5)), exact=True)   # cos 72° is irrational
    ... except DecompositionError as e:
    ...     print("not over Q")
    not over Q
    """


class NotCompletelyReducibleWarning(UserWarning):
    """:func:`decompose` met a representation with an invariant subspace that has no invariant
    complement (a Borel or Heisenberg group): the summands returned are indecomposable blocks,
    not irreducibles.

    >>> import warnings, numpy as np
    >>> from groupkit import Group, V, decompose
    >>> borel = Group((), [np.diag([1., 0.]), np.array([[0., 1.], [0., 0.]]), np.diag([0., 1.])])
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     dec = decompose(V(borel))
    >>> w[0].category.__name__, dec.completely_reducible
    ('NotCompletelyReducibleWarning', False)
    """


class Irrep(Rep):
    """An irreducible (or, for a representation that is not completely reducible, an
    indecomposable) summand found by :func:`decompose`, as a representation in its own right.

    ``rho(g) = coords @ parent.rho(g) @ basis``: ``basis`` (parent.size, size) spans the summand
    in the parent's coordinates, ``coords`` (size, parent.size) is its left inverse along the
    other summands. ``kind`` is ``"real"``, ``"complex"`` or ``"quaternionic"`` (for a real
    representation: dim End_G = 1, 2, 4; for a complex one: whether ρ ≅ ρ* by a symmetric or an
    antisymmetric form, or not at all). ``irreducible`` is False (and ``kind`` None) for an
    indecomposable but reducible block of a representation that is not completely reducible;
    its label is then bracketed, ``[2]``. ``is_trivial``: ρ(g) = 1 for all g.

    >>> from groupkit import SO, V, decompose
    >>> three = decompose(V(SO(3)) ** 2).irreps[1]
    >>> three, three.size, three.kind, three.irreducible
    (3, 3, 'real', True)
    """

    def __init__(self, parent: Rep, basis: np.ndarray, coords: np.ndarray, *, kind: str,
                 irreducible: bool, label: str, trivial: bool):
        self.parent = parent
        self.group = parent.group
        self.basis = _readonly(basis)
        self.coords = _readonly(coords)
        self.kind = kind
        self.irreducible = irreducible
        self.label = label
        self.is_trivial = trivial
        G = parent.group
        images = [] if G is None else (
            [self.rho(h) for h in G.discrete_generators] + [self.drho(A) for A in G.lie_algebra])
        self._images_digest = text_digest(*[array_digest(m) for m in images])

    @property
    def size(self) -> int:
        return self.basis.shape[1]

    def rho(self, g):
        g = _check_group_element(self, g, "g")
        return self.coords @ self.parent.rho(g) @ self.basis

    def drho(self, A):
        A = _check_group_element(self, A, "A")
        return self.coords @ self.parent.drho(A) @ self.basis

    @property
    def is_complex(self):
        return self.parent.is_complex

    def _encode(self):
        return f"{self.size}|{self.group.key if self.group else ''}|{self._images_digest}"

    def _str(self, prec=0):
        return self.label


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Decomposition:
    """ρ ≅ ⊕_i m_i ρ_i, with the change of basis Q.

    ``irreps[i]`` occurs ``multiplicities[i]`` times. ``Q`` (n, n) has the columns of every copy
    of every irrep, irrep by irrep (copies consecutive), so that
    ``Q_inv @ rep.rho(g) @ Q`` is block-diagonal with the blocks ``irreps[i].rho(g)``
    repeated ``multiplicities[i]`` times. ``Q`` is orthogonal (unitary) when ρ is.
    ``exact_Q`` is a sympy Matrix with the same block structure when the decomposition was
    made exactly (``exact=True``), else None.

    >>> from groupkit import S, V, decompose
    >>> dec = decompose(V(S(4)))
    >>> dec, dec.multiplicities, dec.Q.shape
    (V ≅ 1 ⊕ 3, (1, 1), (4, 4))
    """

    rep: Rep
    irreps: tuple[Irrep, ...]
    multiplicities: tuple[int, ...]
    Q: np.ndarray
    Q_inv: np.ndarray
    completely_reducible: bool
    exact_Q: object = None

    @property
    def dims(self) -> tuple[int, ...]:
        """The dimension of each summand, with repetition, in the order of Q's columns."""
        return tuple(r.size for r, m in zip(self.irreps, self.multiplicities) for _ in range(m))

    @property
    def kinds(self) -> tuple[str, ...]:
        """``"real"``, ``"complex"`` or ``"quaternionic"`` for each distinct irrep."""
        return tuple(r.kind for r in self.irreps)

    def __iter__(self):
        """Pairs (irrep, multiplicity)."""
        return iter(zip(self.irreps, self.multiplicities))

    def __len__(self) -> int:
        return len(self.irreps)

    def columns(self, i: int, copy: int | None = None) -> slice:
        """The columns of Q holding irrep ``i`` (all its copies, or copy ``copy``).

        >>> from groupkit import SO, V, decompose
        >>> dec = decompose(V(SO(3)) ** 3)   # 1 ⊕ 3·3 ⊕ 2·5 ⊕ 7
        >>> dec.columns(1), dec.columns(1, copy=2)
        (slice(1, 10, None), slice(7, 10, None))
        """
        start = sum(r.size * m for r, m in zip(self.irreps[:i], self.multiplicities[:i]))
        k, m = self.irreps[i].size, self.multiplicities[i]
        if copy is None:
            return slice(start, start + k * m)
        if not 0 <= copy < m:
            raise IndexError(f"irrep {i} has {m} copies; got copy={copy}.")
        return slice(start + copy * k, start + (copy + 1) * k)

    def isotypic_projector(self, i: int) -> np.ndarray:
        """The G-equivariant projector (n, n) onto the isotypic component of irrep ``i``, along
        the others (orthogonal when ρ is orthogonal).

        >>> import numpy as np
        >>> from groupkit import S, V, decompose
        >>> P = decompose(V(S(4))).isotypic_projector(0)   # onto the constant vectors
        >>> np.allclose(P, np.full((4, 4), 0.25))
        True
        """
        s = self.columns(i)
        return self.Q[:, s] @ self.Q_inv[s, :]

    def block_diagonal(self, g: np.ndarray) -> np.ndarray:
        """Q⁻¹ ρ(g) Q for a group element g (d, d): block-diagonal, shape (n, n).

        >>> import numpy as np
        >>> from groupkit import SO, V, decompose
        >>> dec = decompose(V(SO(3)) ** 2)
        >>> B = dec.block_diagonal(SO(3).sample(rng=0))
        >>> bool(np.abs(B[0, 1:]).max() < 1e-12 and np.abs(B[1:4, 4:]).max() < 1e-12)
        True
        """
        return self.Q_inv @ self.rep.rho(g) @ self.Q

    def __repr__(self) -> str:
        parts = [f"{m}·{r}" if m > 1 else str(r) for r, m in self]
        sign = "≅" if self.completely_reducible else "≅ (indecomposable, not completely reducible)"
        return f"{self.rep} {sign} {' ⊕ '.join(parts)}"

    def _repr_latex_(self) -> str:
        from ._latex import decomposition_latex

        return decomposition_latex(self)


# -- the commutant ---------------------------------------------------------------------------

def commutant(rep: Rep, *, exact: bool = False):
    """A basis of End_G(rep): an array (m, n, n) of matrices commuting with every ρ(g)
    (orthonormal in the Frobenius inner product), or with ``exact=True`` a list of sympy
    matrices with rational entries.

    >>> from groupkit import SO, V, commutant
    >>> commutant(V(SO(3)) ** 2).shape  # Brauer: 1, swap, and the trace contraction
    (3, 9, 9)
    """
    from .solver import solve

    if not isinstance(rep, Rep):
        raise RepError(f"commutant needs a groupkit representation; got {type(rep).__name__}.")
    n = rep.size
    if exact:
        from .exact import exact_basis

        E = exact_basis(rep, rep)
        return [E[:, k].reshape(n, n) for k in range(E.shape[1])]
    Q = solve(rep, rep).dense()
    return Q.T.reshape(-1, n, n)


# -- splitting -------------------------------------------------------------------------------

@dataclass
class _Piece:
    B: np.ndarray   # (n, k) basis of an invariant subspace
    L: np.ndarray   # (k, n) left inverse, zero on the complement


def _span_basis(mats: np.ndarray, cplx: bool, tol: float = 1e-9) -> np.ndarray:
    """Frobenius-orthonormal basis (e, k, k) of the span of ``mats`` (m, k, k)."""
    m, k, _ = mats.shape
    if m == 0:
        return mats
    flat = mats.reshape(m, -1)
    if not cplx and np.iscomplexobj(flat):
        flat = np.concatenate([flat.real, flat.imag])
    U, s, Vh = np.linalg.svd(flat, full_matrices=False)
    r = int(np.sum(s > tol * max(s[0], 1e-300)))
    return Vh[:r].reshape(r, k, k)


def _random_element(E: np.ndarray, rng, cplx: bool, symmetric: bool) -> np.ndarray:
    c = rng.normal(size=E.shape[0])
    if cplx:
        c = c + 1j * rng.normal(size=E.shape[0])
    x = np.tensordot(c, E, axes=1)
    if symmetric:
        x = x + x.conj().T
    return x


def _clusters(w: np.ndarray, cplx: bool, tol: float) -> list[complex]:
    """Representative eigenvalues, one per class (λ and λ̄ together for a real matrix)."""
    reps: list[complex] = []
    for lam in w:
        key = lam if cplx else complex(lam.real, abs(lam.imag))
        if not any(abs(key - r) <= tol for r in reps):
            reps.append(key)
    return reps


def _in_cluster(lam: complex, c: complex, cplx: bool, tol: float) -> bool:
    key = lam if cplx else complex(lam.real, abs(lam.imag))
    return abs(key - c) <= tol


def _split_once(x: np.ndarray, cplx: bool, symmetric: bool):
    """Invariant subspaces of x for its eigenvalue classes: list of (Z_c (k, k_c), rows of the
    inverse (k_c, k)), or None when x has one eigenvalue class."""
    k = x.shape[0]
    if symmetric:
        w, Vec = np.linalg.eigh(x)
        scale = max(1.0, float(np.max(np.abs(w))))
        groups = np.split(np.arange(k), np.flatnonzero(np.diff(w) > 1e-7 * scale) + 1)
        if len(groups) == 1:
            return None
        return [(Vec[:, g], Vec[:, g].conj().T) for g in groups]
    w = np.linalg.eigvals(x)
    scale = max(1.0, float(np.max(np.abs(w))))
    tol = 1e-6 * scale
    reps = _clusters(w, cplx, tol)
    if len(reps) == 1:
        return None
    out = []
    for c in reps:
        want = sum(_in_cluster(lam, c, cplx, tol) for lam in w)
        if cplx:
            def pick(lam, c=c):
                return _in_cluster(lam, c, True, tol)
            _, Z, sdim = scipy.linalg.schur(x.astype(complex), output="complex", sort=pick)
        else:
            def pick(re, im, c=c):
                return _in_cluster(complex(re, im), c, False, tol)
            _, Z, sdim = scipy.linalg.schur(x, output="real", sort=pick)
        if sdim != want:
            return None  # reordering failed (ill-conditioned cluster): try another element
        out.append(Z[:, :sdim])
    M = np.concatenate(out, axis=1)
    if np.linalg.cond(M) > 1e8:
        return None
    Minv = np.linalg.inv(M)
    parts, start = [], 0
    for Z in out:
        parts.append((Z, Minv[start:start + Z.shape[1]]))
        start += Z.shape[1]
    return parts


def _restricted(p: _Piece, C: np.ndarray) -> np.ndarray:
    """The commutant basis C (m, n, n) restricted to the piece: (m, k, k)."""
    return p.L @ (C @ p.B)


def _split(p: _Piece, C: np.ndarray, rng, cplx: bool, symmetric: bool) -> list[_Piece]:
    # A random element of the piece's commutant, L (Σ c_l C_l) B: one (n, n) combination
    # instead of restricting every basis element.
    x = p.L @ _random_element(C, rng, cplx, False) @ p.B
    if symmetric:
        x = x + x.conj().T
    parts = _split_once(x, cplx, symmetric)
    if parts is None and not symmetric:
        # One try suffices for symmetric elements (their eigenspaces are irreducible); a
        # general random element of a split algebra M_m(R) can have complex eigenvalues only,
        # so retry, more often when the commutant is large enough to be M_2(R) or bigger.
        E = _span_basis(_restricted(p, C), cplx)
        tries = 0 if E.shape[0] <= 1 else (2 if E.shape[0] < 4 else 15)
        for _ in range(tries):
            parts = _split_once(_random_element(E, rng, cplx, False), cplx, False)
            if parts is not None:
                break
    if parts is not None:
        out = []
        for Z, Zi in parts:
            out += _split(_Piece(p.B @ Z, Zi @ p.L), C, rng, cplx, symmetric)
        return out
    return [p]


# -- classifying the pieces ------------------------------------------------------------------

def _generator_images(rep: Rep, p: _Piece) -> list[np.ndarray]:
    G = rep.group
    if G is None:
        return []
    return ([p.L @ rep.rho(h) @ p.B for h in G.discrete_generators]
            + [p.L @ rep.drho(A) @ p.B for A in G.lie_algebra])


def _envelope_dim(mats: list[np.ndarray], k: int, tol: float = 1e-9) -> int:
    """dim of the associative algebra spanned by products of ``mats`` and the identity."""
    norms = [np.linalg.norm(m) for m in mats]
    top = max(norms, default=0.0)
    # scale each generator to norm 1; a generator acting by (numerically) zero adds nothing
    mats = [m / nm for m, nm in zip(mats, norms) if nm > 1e-12 * max(top, 1.0)]
    cplx = any(np.iscomplexobj(m) for m in mats)
    dtype = complex if cplx else float
    basis = np.zeros((k * k, 0), dtype=dtype)
    queue = [np.eye(k, dtype=dtype)]
    first = True
    while queue and basis.shape[1] < k * k:
        M = queue.pop()
        cands = [M] if first else [X @ M for X in mats]
        first = False
        for Y in cands:
            y = Y.ravel()
            ny = np.linalg.norm(y)
            if ny == 0:
                continue
            for _ in range(2):
                y = y - basis @ (basis.conj().T @ y)
            if np.linalg.norm(y) > tol * ny:
                y = y / np.linalg.norm(y)
                basis = np.concatenate([basis, y[:, None]], axis=1)
                queue.append(y.reshape(k, k))  # normalised: products stay O(1)
    return basis.shape[1]


def _is_orthogonal(rep: Rep) -> bool:
    G = rep.group
    if G is None:
        return True
    # scale-free, without allclose's relative slack: see preserves_standard_form
    return preserves_standard_form([rep.rho(h) for h in G.discrete_generators],
                                   [rep.drho(A) for A in G.lie_algebra])


def _kind_complex(rep: Irrep) -> str:
    """Type of a complex irreducible: invariant bilinear forms B with ρᵀ B ρ = B."""
    from .solver import solve

    from .reps import Scalar

    basis = solve(rep * rep, Scalar, cache=False).dense()
    if basis.shape[1] == 0:
        return "complex"
    Bm = basis[:, 0].reshape(rep.size, rep.size)
    return "real" if np.allclose(Bm, Bm.T, atol=1e-8 * np.abs(Bm).max()) else "quaternionic"


def decompose(rep: Rep, *, exact: bool = False, rng=0) -> Decomposition:
    """Decompose ``rep`` into irreducibles: ρ ≅ ⊕_i m_i ρ_i with an explicit change of basis.

    Parameters
    ----------
    rep : Rep
        Any representation the solver handles (real or complex; compact or not).
    exact : bool
        Also build the change of basis in exact rational arithmetic (``exact_Q``, a sympy
        Matrix); raises :class:`DecompositionError` when the splitting is not rational.
    rng : seed or numpy Generator
        The random commutant elements (the result is reproducible for a fixed seed).

    Returns a :class:`Decomposition`. If ``rep`` is not completely reducible, the summands are
    its indecomposable blocks (``completely_reducible`` is False, and the blocks that are
    reducible have ``irreducible == False``).

    >>> from groupkit import Lorentz, V, decompose
    >>> dec = decompose(V(Lorentz()) ** 2)   # scalar ⊕ antisymmetric ⊕ symmetric traceless
    >>> dec.dims, dec.kinds
    ((1, 6, 9), ('real', 'real', 'real'))
    """
    if not isinstance(rep, Rep):
        raise RepError(f"decompose needs a groupkit representation; got {type(rep).__name__}.")
    if exact:
        from ._exact_decompose import exact_decompose

        return exact_decompose(rep, rng=rng)
    dec = _decompose_numeric(rep, rng)
    if not dec.completely_reducible:
        bad = ", ".join(r.label for r in dec.irreps if not r.irreducible)
        warnings.warn(
            f"{rep} of {rep.group} is not completely reducible: the summands {bad} are "
            "indecomposable but reducible (they have an invariant subspace without an invariant "
            "complement), so there is no decomposition into irreducibles; the decomposition "
            "returned is into indecomposable blocks.", NotCompletelyReducibleWarning,
            stacklevel=2)
    return dec


def _decompose_numeric(rep: Rep, rng) -> Decomposition:
    rng = np.random.default_rng(rng)
    n = rep.size
    cplx = rep.is_complex
    dtype = complex if cplx else float
    symmetric = _is_orthogonal(rep)
    C = commutant(rep)
    if C.dtype != dtype and not cplx:
        C = C.real
    whole = _Piece(np.eye(n, dtype=dtype), np.eye(n, dtype=dtype))
    pieces = _split(whole, C, rng, cplx, symmetric)
    return _assemble(rep, pieces, C, rng, cplx, symmetric)


def _assemble(rep, pieces, C, rng, cplx, symmetric) -> Decomposition:
    # classify each piece: End dimension, division algebra, Burnside
    info = []
    for p in pieces:
        k = p.B.shape[1]
        E = _span_basis(_restricted(p, C), cplx)
        e = E.shape[0]
        division = e in ((1,) if cplx else (1, 2, 4))
        if division and e > 1:  # a random element of a division algebra is semisimple
            x = _random_element(E, rng, cplx, False)
            w = np.linalg.eigvals(x)
            lam = w[np.argmax(w.imag)]
            px = (x - lam.real * np.eye(k)) @ (x - lam.real * np.eye(k)) + lam.imag ** 2 * np.eye(k)
            division = bool(np.linalg.norm(px) <= 1e-7 * max(1.0, np.linalg.norm(x)) ** 2)
        irreducible = division
        if division and not symmetric:
            irreducible = _envelope_dim(_generator_images(rep, p), k) * e == k * k
        info.append((e, irreducible))
    completely_reducible = all(irr for _, irr in info)

    # group isomorphic pieces; re-base each copy by an intertwiner from the first
    classes: list[list[int]] = []
    based: dict[int, _Piece] = {}
    CB: dict[int, np.ndarray] = {}  # C_l B_i for the first piece i of each class
    for j, p in enumerate(pieces):
        for cls in classes:
            i = cls[0]
            q = based[i]
            if q.B.shape[1] != p.B.shape[1] or info[i][0] != info[j][0]:
                continue
            H = p.L @ CB[i]  # Hom(W_i, W_j), spanned by L_j C_l B_i
            if np.max(np.abs(H), initial=0.0) < 1e-8:
                continue
            c = rng.normal(size=H.shape[0]) + (1j * rng.normal(size=H.shape[0]) if cplx else 0)
            phi = np.tensordot(c, H, axes=1)
            if np.linalg.cond(phi) > 1e8:
                continue  # a non-invertible map between indecomposables: not isomorphic
            if symmetric:  # polar factor: keeps the copy orthonormal
                w, U = np.linalg.eigh(phi.conj().T @ phi)
                phi = phi @ (U * w ** -0.5) @ U.conj().T
            based[j] = _Piece(p.B @ phi, np.linalg.solve(phi, p.L))
            cls.append(j)
            break
        else:
            based[j] = p if not symmetric else _Piece(p.B, p.B.conj().T)
            CB[j] = C @ p.B
            classes.append([j])

    def is_trivial(i):
        if pieces[i].B.shape[1] != 1:
            return False
        imgs = _generator_images(rep, based[i])
        G = rep.group
        nd = 0 if G is None else G.discrete_generators.shape[0]
        return all(abs(m[0, 0] - (1 if t < nd else 0)) < 1e-9 for t, m in enumerate(imgs))

    order = sorted(range(len(classes)),
                   key=lambda c: (not is_trivial(classes[c][0]),
                                  pieces[classes[c][0]].B.shape[1], c))
    irreps, mults, cols, rows = [], [], [], []
    seen_dims: dict[int, int] = {}
    for c in order:
        cls = classes[c]
        first = based[cls[0]]
        k = first.B.shape[1]
        trivial = is_trivial(cls[0])
        e, irr = info[cls[0]]
        if trivial:
            label = "1"
        else:
            primes = seen_dims.get(k, 1 if k == 1 else 0)  # "1" is the trivial irrep only
            label = str(k) + "'" * primes
            seen_dims[k] = primes + 1
        if not irr:
            label = f"[{label}]"
        kind = (_TYPES.get(e) if not cplx else "complex") if irr else None
        irrep = Irrep(rep, first.B, first.L, kind=kind, irreducible=irr, label=label,
                      trivial=trivial)
        if cplx and irr:
            irrep = Irrep(rep, first.B, first.L, kind=_kind_complex(irrep), irreducible=irr,
                          label=label, trivial=trivial)
        irreps.append(irrep)
        mults.append(len(cls))
        for j in cls:
            cols.append(based[j].B)
            rows.append(based[j].L)
    Q = np.concatenate(cols, axis=1)
    Q_inv = np.concatenate(rows, axis=0)
    return Decomposition(rep, tuple(irreps), tuple(mults), _readonly(Q), _readonly(Q_inv),
                         completely_reducible)

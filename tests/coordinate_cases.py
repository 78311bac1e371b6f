"""Groups in the user's coordinates: the acceptance family for issue 12.

Every group here is written down in *standard* coordinates, where its constraint is well
conditioned, and then handed to groupkit in other coordinates and units: G' = S G S⁻¹ for a
diagonal S (units: entries spanning six orders of magnitude), a random well-conditioned S, a
random ill-conditioned S, and (for Lie groups) with its algebra generators rescaled by 10⁻⁶ and
10⁶. The independent count and reference subspace come from a brute-force dense null space of
the stacked, per-generator-normalised constraint in standard coordinates, built here with
``np.kron`` (no groupkit code); the reference for G' is that subspace mapped by
ρ_out(S) ⊗ ρ_in(S)^{-T}.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from scipy.stats import ortho_group

import groupkit as gk


def E(d: int, i: int, j: int) -> np.ndarray:
    m = np.zeros((d, d))
    m[i, j] = 1.0
    return m


def _rot(d: int, i: int, j: int) -> np.ndarray:
    return E(d, j, i) - E(d, i, j)


def _perm(p) -> np.ndarray:
    m = np.zeros((len(p), len(p)))
    m[list(p), range(len(p))] = 1.0
    return m


def _psl27_perms():
    """PSL(2,7) on the projective line over F_7 (points 0..6 and ∞ = 7): x ↦ x + 1, x ↦ −1/x."""
    inv = {x: pow(x, 5, 7) for x in range(1, 7)}
    shift = [(x + 1) % 7 for x in range(7)] + [7]
    flip = [7] + [(-inv[x]) % 7 for x in range(1, 7)] + [0]
    return [shift, flip]


def _block(*ms):
    return scipy.linalg.block_diag(*ms)


def _product(a: tuple, b: tuple) -> tuple:
    """Generators of A × B from those of A and B (identity/zero on the other block)."""
    (ha, la), (hb, lb) = a, b
    da = (ha or la)[0].shape[0]
    db = (hb or lb)[0].shape[0]
    h = [_block(g, np.eye(db)) for g in ha] + [_block(np.eye(da), g) for g in hb]
    lie = [_block(A, np.zeros((db, db))) for A in la] + [_block(np.zeros((da, da)), A) for A in lb]
    return h, lie


def _so21():
    eta = np.diag([1.0, 1.0, -1.0])
    return [], [_rot(3, 0, 1), (E(3, 0, 2) + E(3, 2, 0)), (E(3, 1, 2) + E(3, 2, 1))], eta


def _gens(name: str) -> tuple[list, list]:
    """(discrete generators, Lie algebra) in standard coordinates."""
    if name == "Heisenberg":
        return [], [E(3, 0, 1), E(3, 1, 2), E(3, 0, 2)]
    if name == "Borel(2)":
        return [], [E(2, 0, 0), E(2, 1, 1), E(2, 0, 1)]
    if name == "Borel(3)":
        return [], [E(3, i, j) for i in range(3) for j in range(i, 3)]
    if name == "Galilei(1+1)":   # (t, x, 1): boost x += v t, time and space translations
        return [], [E(3, 1, 0), E(3, 0, 2), E(3, 1, 2)]
    if name == "SE(2)":
        return [], [_rot(3, 0, 1), E(3, 0, 2), E(3, 1, 2)]
    if name == "SE(3)":
        return [], [_rot(4, 0, 1), _rot(4, 0, 2), _rot(4, 1, 2), E(4, 0, 3), E(4, 1, 3),
                    E(4, 2, 3)]
    if name == "SL(2)":
        return [], list(gk.SL(2).lie_algebra)
    if name == "SO(2,1)":
        return [], _so21()[1]
    if name == "SO+(1,3)":
        return [], list(gk.SO13p().lie_algebra)
    if name == "O(3)":
        return [np.diag([-1.0, 1.0, 1.0])], [_rot(3, 0, 1), _rot(3, 0, 2), _rot(3, 1, 2)]
    if name == "SU(2)":
        return [], list(gk.SU(2).lie_algebra)
    if name == "SU(3)":
        return [], list(gk.SU(3).lie_algebra)
    if name == "U(2)":
        return [], list(gk.U(2).lie_algebra)
    if name == "D(4)":
        return list(gk.D(4).discrete_generators), []
    if name == "Octahedral":
        return list(gk.Octahedral().discrete_generators), []
    if name == "PSL(2,7)":
        return [_perm(p) for p in _psl27_perms()], []
    if name == "SO(3)xSO(2)":
        return _product(([], [_rot(3, 0, 1), _rot(3, 0, 2), _rot(3, 1, 2)]), ([], [_rot(2, 0, 1)]))
    if name == "Heisenberg x C(4)":
        return _product(_gens("Heisenberg"), (list(gk.C(4).discrete_generators), []))
    if name == "SL(2)xD(4)":
        return _product(_gens("SL(2)"), _gens("D(4)"))
    raise KeyError(name)


GROUPS = ("Heisenberg", "Borel(2)", "Borel(3)", "Galilei(1+1)", "SE(2)", "SE(3)", "SL(2)",
          "SO(2,1)", "SO+(1,3)", "O(3)", "SU(2)", "SU(3)", "U(2)", "D(4)", "Octahedral",
          "PSL(2,7)", "SO(3)xSO(2)", "Heisenberg x C(4)", "SL(2)xD(4)")

# Hom spaces (rep_in, rep_out) as tensor words: "V", "VV", "1", "V*" ...
HOMS = (("V", "V"), ("VV", "1"), ("VV", "V"))


# -- coordinates -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Coordinates:
    """How the group is handed over: S (None: as written) and per-generator scale factors."""

    id: str
    S: np.ndarray | None = None
    lie_scale: tuple[float, ...] = ()


def coordinates(name: str, d: int, n_lie: int) -> list[Coordinates]:
    rng = np.random.default_rng(_seed(name))
    out = [Coordinates("standard")]
    units = 10.0 ** np.linspace(-3, 3, d)
    out.append(Coordinates("units(1e6)", np.diag(rng.permutation(units))))
    out.append(Coordinates("random(10)", _random_S(rng, d, 10.0)))
    out.append(Coordinates("random(1e3)", _random_S(rng, d, 1e3)))
    if n_lie >= 2:
        scale = [1.0] * n_lie
        scale[0], scale[1] = 1e-6, 1e6
        out.append(Coordinates("rescaled(1e-6,1e6)", None, tuple(scale)))
    return out


def _seed(name: str) -> int:
    return sum((i + 1) * ord(ch) for i, ch in enumerate(name))


def _random_S(rng, d: int, cond: float) -> np.ndarray:
    U = ortho_group.rvs(d, random_state=rng) if d > 1 else np.eye(1)
    W = ortho_group.rvs(d, random_state=rng) if d > 1 else np.eye(1)
    return U @ np.diag(np.logspace(0, math.log10(cond), d)) @ W


def transformed(name: str, co: Coordinates) -> tuple[list, list]:
    h, lie = _gens(name)
    if co.lie_scale:
        lie = [s * A for s, A in zip(co.lie_scale, lie)]
    if co.S is not None:
        Si = np.linalg.inv(co.S)
        h = [co.S @ g @ Si for g in h]
        lie = [co.S @ A @ Si for A in lie]
    return h, lie


def group(name: str, co: Coordinates) -> gk.Group:
    h, lie = transformed(name, co)
    d = (h or lie)[0].shape[0]
    return gk.Group(h, lie, d=d, name=f"{name}[{co.id}]")


def rep(word: str, G: gk.Group) -> gk.Rep:
    if word == "1":
        return gk.Scalar
    r = gk.V(G) ** len(word.replace("*", "")) if "*" not in word else gk.V(G).T
    return r


# -- the oracle: brute force in standard coordinates ----------------------------------------

def _word_matrix(word: str, g: np.ndarray, lie: bool) -> np.ndarray:
    """ρ_word(g) (lie=False) or dρ_word(g) (lie=True), by np.kron."""
    if word == "1":
        return np.zeros((1, 1)) if lie else np.ones((1, 1))
    k = len(word)
    d = g.shape[0]
    if not lie:
        out = np.ones((1, 1))
        for _ in range(k):
            out = np.kron(out, g)
        return out
    out = np.zeros((d ** k, d ** k), dtype=g.dtype)
    for i in range(k):
        out = out + np.kron(np.kron(np.eye(d ** i), g), np.eye(d ** (k - 1 - i)))
    return out


def constraint_blocks(name: str, rin: str, rout: str) -> list[np.ndarray]:
    """The constraint of Hom(rin, rout) in standard coordinates, one block per generator,
    each divided by its spectral norm."""
    h, lie = _gens(name)
    blocks = []
    for g in h:
        a, b = _word_matrix(rout, g, False), _word_matrix(rin, g, False)
        C = np.kron(a, np.linalg.inv(b).T) - np.eye(a.shape[0] * b.shape[0])
        if np.any(C):
            blocks.append(C)
    for A in lie:
        a, b = _word_matrix(rout, A, True), _word_matrix(rin, A, True)
        C = np.kron(a, np.eye(b.shape[0])) - np.kron(np.eye(a.shape[0]), b.T)
        if np.any(C):
            blocks.append(C)
    return [C / np.linalg.norm(C, 2) for C in blocks]


@functools.cache
def reference(name: str, rin: str, rout: str) -> np.ndarray:
    """Orthonormal basis of the equivariant maps in standard coordinates (dense SVD; the
    spectrum must have a gap of at least 10⁶ around the rank, or the oracle refuses)."""
    blocks = constraint_blocks(name, rin, rout)
    n = blocks[0].shape[1]
    _, s, vh = np.linalg.svd(np.concatenate(blocks, axis=0), full_matrices=True)
    s = np.concatenate([s, np.zeros(n - len(s))])
    r = int(np.sum(s <= 1e-9))
    lz = s[n - r] if r else 0.0
    nz = s[n - r - 1] if r < n else np.inf
    assert nz >= 1e-4 and lz <= 1e-12, f"oracle spectrum unclear for {name} {rin}->{rout}"
    return vh[n - r:].conj().T


def word_transform(word: str, S: np.ndarray) -> np.ndarray:
    """ρ_word(S): the change of coordinates a representation sees."""
    return _word_matrix(word, S, False)


def hom_transform(rin: str, rout: str, S: np.ndarray | None, inverse: bool = False):
    """T = ρ_out(S) ⊗ ρ_in(S)^{-T}: vec(W') = T vec(W) for W' = ρ_out(S) W ρ_in(S)⁻¹ (or T⁻¹)."""
    if S is None:
        return None
    if inverse:
        S = np.linalg.inv(S)
    return np.kron(word_transform(rout, S), np.linalg.inv(word_transform(rin, S)).T)


def pulled_back(Q: np.ndarray, rin: str, rout: str, co: Coordinates) -> np.ndarray:
    """A basis found in co's coordinates, mapped back to the standard ones (T⁻¹ Q)."""
    T = hom_transform(rin, rout, co.S, inverse=True)
    return Q if T is None else T @ Q


def mapped_reference(name: str, rin: str, rout: str, co: Coordinates) -> np.ndarray:
    """The standard basis mapped into co's coordinates (T Q0)."""
    Q0 = reference(name, rin, rout)
    T = hom_transform(rin, rout, co.S)
    return Q0 if T is None else T @ Q0


def cases():
    """(group name, Coordinates, rep_in, rep_out) for the whole family."""
    out = []
    for name in GROUPS:
        h, lie = _gens(name)
        d = (h or lie)[0].shape[0]
        for co in coordinates(name, d, len(lie)):
            for rin, rout in HOMS:
                out.append((name, co, rin, rout))
    return out
